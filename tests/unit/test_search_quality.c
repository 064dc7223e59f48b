/* test_search_quality: the model-based searchers must beat random search
 * on Branin at 50 trials (median over seeds, a weak but real bar), and
 * running trials must push parallel proposals apart.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"
#include "suite_run.h"

static double branin(double x1, double x2) {
    double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double a = x2 - b * x1 * x1 + c * x1 - 6;
    return a * a + 10 * (1 - t) * cos(x1) + 10;
}

static struct space *branin_space(void) {
    json_t *j = json_loads("{\"x1\": {\"type\": \"float\", \"low\": -5, \"high\": 10},"
                           " \"x2\": {\"type\": \"float\", \"low\": 0, \"high\": 15}}",
                           0, NULL);
    struct space *s = NULL;
    struct err e;
    ck_assert_int_eq(space_parse(j, &s, &e), 0);
    json_decref(j);
    return s;
}

/* Best Branin value found by searcher `name` in n trials, run
 * sequentially (each trial finishes before the next is proposed). */
static double run_branin(const char *name, uint64_t seed, int n) {
    struct space *s = branin_space();
    struct search_trial *t = calloc((size_t)n, sizeof *t);
    double *vals = calloc((size_t)n, sizeof *vals);
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        struct search_ctx c = {.space = s,
                               .n_objectives = 1,
                               .maximize = (int[]){0},
                               .seed = seed,
                               .trials = t,
                               .n_trials = (size_t)i,
                               .number = i};
        json_t *p;
        struct err e;
        ck_assert_int_eq(search_propose(name, &c, &p, &e), 0);
        vals[i] = branin(json_number_value(json_object_get(p, "x1")),
                         json_number_value(json_object_get(p, "x2")));
        t[i] = (struct search_trial){i, SEARCH_COMPLETE, p, &vals[i]};
        best = fmin(best, vals[i]);
    }
    for (int i = 0; i < n; i++) json_decref((json_t *)t[i].params);
    free(t);
    free(vals);
    space_free(s);
    return best;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_regret(const char *name, int n_seeds) {
    double r[16];
    for (int k = 0; k < n_seeds; k++) r[k] = run_branin(name, 100 + (uint64_t)k, 50) - 0.397887;
    qsort(r, (size_t)n_seeds, sizeof *r, cmp_double);
    return r[n_seeds / 2];
}

static const char *const MODEL_SEARCHERS[] = {"tpe", "gp", "cmaes"};

START_TEST(test_model_searchers_beat_random_on_branin) {
    const char *name = MODEL_SEARCHERS[_i];
    double rnd = median_regret("random", 5);
    double got = median_regret(name, 5);
    ck_assert_msg(got < rnd, "%s median regret %g not below random's %g", name, got, rnd);
}
END_TEST

START_TEST(test_running_trials_push_proposals_apart) {
    const char *name = MODEL_SEARCHERS[_i];
    struct space *s = branin_space();
    /* 20 finished trials, then propose twice with the first proposal
     * recorded as running: the second must differ from the first. */
    struct search_trial t[22];
    double vals[22];
    for (int i = 0; i < 20; i++) {
        json_t *p = json_pack("{s:f, s:f}", "x1", -5 + 0.7 * i, "x2", 15 - 0.6 * i);
        vals[i] = branin(-5 + 0.7 * i, 15 - 0.6 * i);
        t[i] = (struct search_trial){i, SEARCH_COMPLETE, p, &vals[i]};
    }
    struct search_ctx c = {.space = s,
                           .n_objectives = 1,
                           .maximize = (int[]){0},
                           .seed = 5,
                           .trials = t,
                           .n_trials = 20,
                           .number = 20};
    json_t *a, *b;
    struct err e;
    ck_assert_int_eq(search_propose(name, &c, &a, &e), 0);
    t[20] = (struct search_trial){20, SEARCH_RUNNING, a, NULL};
    c.n_trials = 21;
    c.number = 21;
    ck_assert_int_eq(search_propose(name, &c, &b, &e), 0);
    double dx =
        json_number_value(json_object_get(a, "x1")) - json_number_value(json_object_get(b, "x1"));
    double dy =
        json_number_value(json_object_get(a, "x2")) - json_number_value(json_object_get(b, "x2"));
    ck_assert_msg(hypot(dx, dy) > 1e-3, "%s proposed the running point again", name);
    for (int i = 0; i < 21; i++) json_decref((json_t *)t[i].params);
    json_decref(b);
    space_free(s);
}
END_TEST

int main(void) {
    Suite *su = suite_create("search_quality");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    size_t n = sizeof MODEL_SEARCHERS / sizeof MODEL_SEARCHERS[0];
    tcase_add_loop_test(tc, test_model_searchers_beat_random_on_branin, 0, (int)n);
    tcase_add_loop_test(tc, test_running_trials_push_proposals_apart, 0, (int)n);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
