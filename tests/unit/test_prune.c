/* test_prune: every pruner fed small hand-checked curves, and the
 * pruners' option validation.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune/hyperband.h"
#include "prune/prune.h"
#include "suite_run.h"

static const int STEPS[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

/* A curve of trial `number` with reports at steps 0..n-1 (steps start at
 * `first` instead when first > 0). */
static struct prune_curve curve(int number, const double *values, size_t n, int first,
                                int is_complete) {
    struct prune_curve c = {number, &STEPS[first], values, n, is_complete};
    return c;
}

/* Five finished trials whose values at step 1 are 1, 2, 3, 4, 5. */
static double OTHER_VALUES[5][2] = {{9, 1}, {9, 2}, {9, 3}, {9, 4}, {9, 5}};

static void five_others(struct prune_curve *o, int is_complete) {
    for (int i = 0; i < 5; i++) o[i] = curve(i + 1, OTHER_VALUES[i], 2, 0, is_complete);
}

static int stop(const char *name, const char *options, int maximize, const struct prune_curve *t,
                const struct prune_curve *o, size_t n) {
    json_t *opts = options ? json_loads(options, 0, NULL) : NULL;
    int r = prune_should_stop(name, opts, maximize, t, o, n);
    json_decref(opts);
    return r;
}

START_TEST(test_median_prunes_above_median_when_minimizing) {
    struct prune_curve o[5];
    five_others(o, 1);
    double worse[2] = {9, 3.5}, better[2] = {9, 2.5}, early[2] = {1.0, 3.5};
    struct prune_curve t = curve(0, worse, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 5), 1);
    t = curve(0, better, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 5), 0);
    /* The best value so far counts, not the latest one. */
    t = curve(0, early, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 5), 0);
}
END_TEST

START_TEST(test_median_flips_when_maximizing) {
    struct prune_curve o[5];
    five_others(o, 1);
    double v1[2] = {0, 2.5}, v2[2] = {0, 3.5};
    struct prune_curve t = curve(0, v1, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 1, &t, o, 5), 1);
    t = curve(0, v2, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 1, &t, o, 5), 0);
}
END_TEST

START_TEST(test_median_waits_for_warmup_and_startup) {
    struct prune_curve o[5];
    five_others(o, 1);
    double worse[2] = {9, 3.5};
    struct prune_curve t = curve(0, worse, 2, 0, 0);
    ck_assert_int_eq(stop("median", "{\"n_warmup_steps\": 2}", 0, &t, o, 5), 0);
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 4), 0); // 4 < 5 startup
    ck_assert_int_eq(stop("median", "{\"n_startup_trials\": 4}", 0, &t, o, 4), 1);
    ck_assert_int_eq(stop("median", "{\"n_min_trials\": 6}", 0, &t, o, 5), 0);
    five_others(o, 0); // running trials are not compared against
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 5), 0);
}
END_TEST

START_TEST(test_pruners_stop_non_finite_values) {
    struct prune_curve o[5];
    five_others(o, 1);
    double bad[2] = {1, NAN};
    struct prune_curve t = curve(0, bad, 2, 0, 0);
    ck_assert_int_eq(stop("median", NULL, 0, &t, o, 5), 1);
    ck_assert_int_eq(stop("asha", NULL, 0, &t, o, 5), 1);
    ck_assert_int_eq(stop("none", NULL, 0, &t, o, 5), 0);
}
END_TEST

START_TEST(test_percentile_keeps_only_the_lowest_quarter) {
    struct prune_curve o[5];
    five_others(o, 1);
    /* 25th percentile of 1..5 with linear interpolation is 2. */
    double v1[2] = {9, 2.5}, v2[2] = {9, 1.5};
    struct prune_curve t = curve(0, v1, 2, 0, 0);
    ck_assert_int_eq(stop("percentile", "{\"percentile\": 25}", 0, &t, o, 5), 1);
    t = curve(0, v2, 2, 0, 0);
    ck_assert_int_eq(stop("percentile", "{\"percentile\": 25}", 0, &t, o, 5), 0);
    /* Maximizing, the kept quarter is the top: 75th percentile is 4. */
    double v3[2] = {0, 3.9}, v4[2] = {0, 4.1};
    t = curve(0, v3, 2, 0, 0);
    ck_assert_int_eq(stop("percentile", "{\"percentile\": 25}", 1, &t, o, 5), 1);
    t = curve(0, v4, 2, 0, 0);
    ck_assert_int_eq(stop("percentile", "{\"percentile\": 25}", 1, &t, o, 5), 0);
}
END_TEST

/* Eight trials that reached rung step 1 with values 1..8. */
static double RUNG_VALUES[8][2];

static void eight_at_rung(struct prune_curve *o) {
    for (int i = 0; i < 8; i++) {
        RUNG_VALUES[i][0] = 50;
        RUNG_VALUES[i][1] = i + 1;
        o[i] = curve(i + 1, RUNG_VALUES[i], 2, 0, i % 2);
    }
}

START_TEST(test_asha_keeps_top_third_at_a_rung) {
    struct prune_curve o[8];
    eight_at_rung(o);
    /* Nine at rung 1 with eta 3: keep 3. 2.5 has two better, 3.5 three. */
    double v1[2] = {50, 2.5}, v2[2] = {50, 3.5};
    struct prune_curve t = curve(0, v1, 2, 0, 0);
    ck_assert_int_eq(stop("asha", NULL, 0, &t, o, 8), 0);
    t = curve(0, v2, 2, 0, 0);
    ck_assert_int_eq(stop("asha", NULL, 0, &t, o, 8), 1);
    ck_assert_int_eq(stop("asha", NULL, 1, &t, o, 8), 1); // maximizing: five better
    double v3[2] = {50, 7.5};
    t = curve(0, v3, 2, 0, 0);
    ck_assert_int_eq(stop("asha", NULL, 1, &t, o, 8), 0); // maximizing: one better
}
END_TEST

START_TEST(test_asha_decides_only_when_crossing_a_rung) {
    struct prune_curve o[8];
    eight_at_rung(o);
    double v[3] = {50, 2.5, 100};
    struct prune_curve t = curve(0, v, 3, 0, 0); // latest step 2: no rung
    ck_assert_int_eq(stop("asha", NULL, 0, &t, o, 8), 0);
    double lone[1] = {2};
    struct prune_curve o1 = curve(1, (double[]){1}, 1, 1, 1);
    t = curve(0, lone, 1, 1, 0); // one rival: only the leader goes on
    ck_assert_int_eq(stop("asha", NULL, 0, &t, &o1, 1), 1);
    lone[0] = 0.5;
    ck_assert_int_eq(stop("asha", NULL, 0, &t, &o1, 1), 0);
    /* With max_resource 3 the rung at 3 is never decided on. */
    double late[2] = {100, 100};
    struct prune_curve o3 = curve(1, (double[]){1, 1}, 2, 2, 1);
    t = curve(0, late, 2, 2, 0); // steps 2 and 3: crosses the rung at 3
    ck_assert_int_eq(stop("asha", "{\"max_resource\": 3}", 0, &t, &o3, 1), 0);
    ck_assert_int_eq(stop("asha", NULL, 0, &t, &o3, 1), 1);
}
END_TEST

START_TEST(test_hyperband_brackets_follow_trial_number) {
    json_t *opts = json_loads("{\"max_resource\": 9}", 0, NULL);
    ck_assert_int_eq(hyperband_bracket(opts, 0), 0);
    ck_assert_int_eq(hyperband_bracket(opts, 1), 1);
    ck_assert_int_eq(hyperband_bracket(opts, 2), 2);
    ck_assert_int_eq(hyperband_bracket(opts, 3), 0);
    json_decref(opts);

    /* Bracket-0 mates 3, 6, 9 have 1, 2, 3 at step 1; bracket-1 trial 4 has
     * 0.1 and must not count against trial 0. */
    double mv[4][1] = {{1}, {2}, {3}, {0.1}};
    struct prune_curve o[4] = {curve(3, mv[0], 1, 1, 1), curve(6, mv[1], 1, 1, 1),
                               curve(9, mv[2], 1, 1, 1), curve(4, mv[3], 1, 1, 1)};
    double bad[1] = {2.5}, good[1] = {0.5};
    struct prune_curve t = curve(0, bad, 1, 1, 0);
    ck_assert_int_eq(stop("hyperband", "{\"max_resource\": 9}", 0, &t, o, 4), 1);
    t = curve(12, good, 1, 1, 0);
    ck_assert_int_eq(stop("hyperband", "{\"max_resource\": 9}", 0, &t, o, 4), 0);
    /* Bracket 2 starts its rungs at 9 = max_resource: it never prunes. */
    t = curve(2, bad, 1, 1, 0);
    ck_assert_int_eq(stop("hyperband", "{\"max_resource\": 9}", 0, &t, o, 4), 0);
}
END_TEST

struct option_case {
    const char *pruner;
    const char *options;
    const char *code; // "" = accepted
    const char *field;
};

static const struct option_case CASES[] = {
    {"none", NULL, "", ""},
    {"median", "{\"n_warmup_steps\": 3, \"n_startup_trials\": 2}", "", ""},
    {"median", "{\"percentile\": 3}", "unknown_field", "pruner.options.percentile"},
    {"median", "{\"n_warmup_steps\": -1}", "bad_range", "pruner.options.n_warmup_steps"},
    {"percentile", "{\"percentile\": 101}", "bad_range", "pruner.options.percentile"},
    {"percentile", "{\"percentile\": \"10\"}", "bad_type", "pruner.options.percentile"},
    {"asha", "{\"min_resource\": 2, \"reduction_factor\": 4}", "", ""},
    {"asha", "{\"reduction_factor\": 1}", "bad_range", "pruner.options.reduction_factor"},
    {"asha", "{\"min_resource\": 5, \"max_resource\": 4}", "bad_range",
     "pruner.options.max_resource"},
    {"hyperband", "{\"max_resource\": 27}", "", ""},
    {"hyperband", "{}", "missing_field", "pruner.options.max_resource"},
    {"hyperband", "{\"max_resource\": 27, \"x\": 1}", "unknown_field", "pruner.options.x"},
    {"sha", "{}", "bad_value", "pruner.name"},
};

START_TEST(test_pruner_options_table) {
    const struct option_case *c = &CASES[_i];
    json_t *o = c->options ? json_loads(c->options, 0, NULL) : NULL;
    struct err e = {0};
    int rc = prune_check(c->pruner, o, &e);
    if (c->code[0] == '\0') {
        ck_assert_msg(rc == 0, "%s %s: %s %s", c->pruner, c->options, e.code, e.field);
    } else {
        ck_assert_msg(rc == -1, "%s accepted %s", c->pruner, c->options);
        ck_assert_msg(strcmp(e.code, c->code) == 0 && strcmp(e.field, c->field) == 0,
                      "%s %s: got %s %s", c->pruner, c->options, e.code, e.field);
    }
    json_decref(o);
}
END_TEST

int main(void) {
    Suite *su = suite_create("prune");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_median_prunes_above_median_when_minimizing);
    tcase_add_test(tc, test_median_flips_when_maximizing);
    tcase_add_test(tc, test_median_waits_for_warmup_and_startup);
    tcase_add_test(tc, test_pruners_stop_non_finite_values);
    tcase_add_test(tc, test_percentile_keeps_only_the_lowest_quarter);
    tcase_add_test(tc, test_asha_keeps_top_third_at_a_rung);
    tcase_add_test(tc, test_asha_decides_only_when_crossing_a_rung);
    tcase_add_test(tc, test_hyperband_brackets_follow_trial_number);
    tcase_add_loop_test(tc, test_pruner_options_table, 0, sizeof CASES / sizeof CASES[0]);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
