/* test_search: properties every searcher must keep on random spaces and
 * random histories (values legal, conditions exact, determinism, survival
 * of degenerate histories), plus grid exhaustiveness and the searchers'
 * option validation. Quality on benchmark functions is in
 * test_search_quality.c.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/rng.h"
#include "search/search.h"
#include "suite_run.h"

static const char *const SEARCHERS[] = {"random", "grid", "tpe", "gp", "cmaes", "nsga2", NULL};

/* ---- random spaces ---------------------------------------------------- */

static void add_numeric(json_t *p, struct rng *r, int is_int) {
    double low, high;
    int kind = (int)rng_below(r, 6);
    json_object_set_new(p, "type", json_string(is_int ? "int" : "float"));
    if (is_int) {
        low = (double)rng_below(r, 10) - (kind == 1 ? 0 : 5);
        high = low + (double)rng_below(r, kind == 5 ? 1 : 12);
        if (kind == 1) { // log int, wide, high must stay reachable
            low = 1 + (double)rng_below(r, 3);
            high = low + (double)rng_below(r, 2000);
        }
    } else {
        low = kind == 1 ? 1e-4 * (1 + rng_uniform(r)) : rng_uniform(r) * 4 - 2;
        high = low + (kind == 5 ? 0 : rng_uniform(r) * 10);
    }
    json_object_set_new(p, "low", is_int ? json_integer((json_int_t)low) : json_real(low));
    json_object_set_new(p, "high", is_int ? json_integer((json_int_t)high) : json_real(high));
    if (kind == 1) json_object_set_new(p, "log", json_true());
    if (kind == 2 && high > low) {
        double step = is_int ? 1 + (double)rng_below(r, (size_t)(high - low))
                             : (high - low) / (1.5 + rng_uniform(r) * 6);
        json_object_set_new(p, "step", is_int ? json_integer((json_int_t)step) : json_real(step));
    }
    if (!is_int) json_object_set_new(p, "grid_points", json_integer(1 + (int)rng_below(r, 4)));
}

static void add_categorical(json_t *p, struct rng *r) {
    json_object_set_new(p, "type", json_string("categorical"));
    json_t *ch = json_array();
    size_t n = 1 + rng_below(r, 5);
    for (size_t k = 0; k < n; k++) {
        if (k == 0 && rng_below(r, 3) == 0)
            json_array_append_new(ch, json_true());
        else if (k % 2)
            json_array_append_new(ch, json_integer((json_int_t)k * 10));
        else
            json_array_append_new(ch, json_sprintf("c%zu", k));
    }
    json_object_set_new(p, "choices", ch);
}

/* Make param p conditional on a random earlier categorical or int. */
static void add_condition(json_t *space, json_t *p, struct rng *r) {
    const char *name;
    json_t *def, *cand = NULL;
    const char *cand_name = NULL;
    json_object_foreach(space, name, def) {
        const char *t = json_string_value(json_object_get(def, "type"));
        if (strcmp(t, "float") != 0 && rng_below(r, 2) == 0) {
            cand = def;
            cand_name = name;
        }
    }
    if (!cand) return;
    json_t *when = json_object();
    json_t *ch = json_object_get(cand, "choices");
    if (ch) {
        json_object_set(when, cand_name, json_array_get(ch, rng_below(r, json_array_size(ch))));
    } else { // int parent: its low, which is always a legal value
        json_object_set(when, cand_name, json_object_get(cand, "low"));
    }
    json_object_set_new(p, "when", when);
}

static json_t *random_space_json(struct rng *r) {
    json_t *space = json_object();
    size_t n = 1 + rng_below(r, 6);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object();
        int kind = (int)rng_below(r, 3);
        if (kind == 2)
            add_categorical(p, r);
        else
            add_numeric(p, r, kind == 1);
        if (i > 0 && rng_below(r, 3) == 0) add_condition(space, p, r);
        char name[32];
        snprintf(name, sizeof name, "p%zu", i);
        json_object_set_new(space, name, p);
    }
    return space;
}

/* ---- random histories ------------------------------------------------- */

struct history {
    struct search_trial *trials;
    double *values;
    size_t n;
};

static void history_free(struct history *h) {
    for (size_t i = 0; i < h->n; i++) json_decref((json_t *)h->trials[i].params);
    free(h->trials);
    free(h->values);
}

/* A history of n trials over s with random states, params drawn by the
 * random searcher, and values that include NaN, ties and duplicates. */
static void random_history(const struct space *s, struct rng *r, size_t n, int m,
                           struct history *h) {
    h->n = n;
    h->trials = calloc(n + 1, sizeof *h->trials);
    h->values = calloc((n + 1) * (size_t)m, sizeof *h->values);
    for (size_t i = 0; i < n; i++) {
        struct search_ctx c = {
            .space = s, .n_objectives = m, .seed = 99, .number = (int)(rng_below(r, 1000))};
        json_t *params;
        struct err e;
        if (i > 0 && rng_below(r, 8) == 0) // duplicate of an earlier trial
            params = json_deep_copy(h->trials[rng_below(r, i)].params);
        else
            search_propose("random", &c, &params, &e);
        struct search_trial *t = &h->trials[i];
        t->number = (int)i;
        t->params = params;
        t->state = (enum search_state)rng_below(r, 10) % 4;
        if (rng_below(r, 3)) t->state = SEARCH_COMPLETE;
        for (int k = 0; k < m; k++) {
            double v = rng_uniform(r) * 10 - 3;
            if (rng_below(r, 15) == 0) v = NAN;
            if (rng_below(r, 6) == 0) v = 1.0; // ties
            h->values[i * (size_t)m + (size_t)k] = v;
        }
        int has_values = t->state == SEARCH_COMPLETE || t->state == SEARCH_PRUNED;
        t->values = has_values ? &h->values[i * (size_t)m] : NULL;
    }
}

/* ---- the property test ------------------------------------------------ */

static const int MAXIMIZE[3] = {0, 1, 0};

/* Options the property tests rotate through, so that small populations
 * and the non-default modes get exercised on short histories too. */
static json_t *test_options(const char *name, int k) {
    const char *text = "{}";
    if (strcmp(name, "nsga2") == 0) text = "{\"population_size\": 4}";
    if (strcmp(name, "tpe") == 0 && k % 2)
        text = "{\"multivariate\": true, \"n_startup_trials\": 3}";
    if (strcmp(name, "gp") == 0 && k % 3 == 1)
        text = "{\"acquisition\": \"ucb\", \"n_startup_trials\": 3}";
    if (strcmp(name, "gp") == 0 && k % 3 == 2) text = "{\"acquisition\": \"pi\"}";
    if (strcmp(name, "cmaes") == 0 && k % 2) text = "{\"popsize\": 4}";
    if (strcmp(name, "random") == 0 && k % 2) text = "{\"quasi\": \"halton\"}";
    return json_loads(text, 0, NULL);
}

static int g_option_k; // which rotation test_options uses for propose()

static json_t *propose(const char *name, const struct space *s, const struct history *h, int m,
                       int number) {
    json_t *opts = test_options(name, g_option_k);
    struct search_ctx c = {
        .space = s,
        .n_objectives = m,
        .maximize = MAXIMIZE,
        .options = opts,
        .seed = 12345,
        .trials = h->trials,
        .n_trials = h->n,
        .number = number,
    };
    json_t *out = NULL;
    struct err e = {0};
    int rc = search_propose(name, &c, &out, &e);
    json_decref(opts);
    ck_assert_msg(rc >= 0, "%s failed: %s", name, e.msg);
    return rc == 0 ? out : NULL;
}

/* Run searcher `name` on n_spaces random spaces, each with a random
 * history, checking every proposal against the space and that the same
 * inputs give the same proposal. */
static void check_searcher_on_random_spaces(const char *name, int n_spaces, size_t max_hist) {
    struct rng r;
    rng_seed(&r, 7, (uint64_t)strlen(name) * 1000 + (uint64_t)name[0]);
    int n_tested = 0;
    for (int k = 0; k < n_spaces; k++) {
        json_t *sj = random_space_json(&r);
        struct space *s = NULL;
        struct err e = {0};
        ck_assert_msg(space_parse(sj, &s, &e) == 0, "space: %s %s", e.code, e.field);
        int m = strcmp(name, "nsga2") == 0 ? 1 + (int)rng_below(&r, 3) : 1;
        if (search_check(name, NULL, s, m, &e) != 0) {
            json_decref(sj);
            space_free(s);
            continue;
        }
        struct history h;
        random_history(s, &r, rng_below(&r, max_hist + 1), m, &h);
        g_option_k = k;
        int number = (int)h.n;
        json_t *a = propose(name, s, &h, m, number);
        json_t *b = propose(name, s, &h, m, number);
        if (a) {
            char *text = json_dumps(sj, JSON_COMPACT);
            ck_assert_msg(space_check_params(s, a, &e) == 0,
                          "%s gave illegal params (%s %s) for space %s", name, e.code, e.field,
                          text);
            ck_assert_msg(json_equal(a, b), "%s is not deterministic on %s", name, text);
            free(text);
            n_tested++;
        }
        json_decref(a);
        json_decref(b);
        history_free(&h);
        json_decref(sj);
        space_free(s);
    }
    ck_assert_int_gt(n_tested, n_spaces / 4);
}

START_TEST(test_searchers_propose_legal_params_on_random_spaces) {
    const char *name = SEARCHERS[_i];
    int is_slow = strcmp(name, "gp") == 0;
    check_searcher_on_random_spaces(name, is_slow ? 300 : 1500, is_slow ? 25 : 40);
}
END_TEST

/* ---- degenerate histories --------------------------------------------- */

static const char *SMALL_SPACE =
    "{\"x\": {\"type\": \"float\", \"low\": -5, \"high\": 10, \"grid_points\": 4},"
    " \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 64, \"log\": true},"
    " \"c\": {\"type\": \"categorical\", \"choices\": [\"a\", \"b\", \"c\"]},"
    " \"y\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0.25,"
    "         \"when\": {\"c\": \"b\"}}}";

static struct space *small_space(void) {
    json_t *j = json_loads(SMALL_SPACE, 0, NULL);
    struct space *s = NULL;
    struct err e;
    ck_assert_int_eq(space_parse(j, &s, &e), 0);
    json_decref(j);
    return s;
}

enum degenerate {
    DEG_EMPTY,
    DEG_ALL_FAILED,
    DEG_SINGLE,
    DEG_CONSTANT,
    DEG_DUPLICATES,
    DEG_NAN,
    DEG_ALL_RUNNING,
    DEG_COUNT
};

static void degenerate_history(const struct space *s, enum degenerate kind, struct history *h) {
    struct rng r;
    rng_seed(&r, 3, (uint64_t)kind);
    size_t n = kind == DEG_EMPTY ? 0 : kind == DEG_SINGLE ? 1 : 30;
    random_history(s, &r, n, 1, h);
    for (size_t i = 0; i < n; i++) {
        struct search_trial *t = &h->trials[i];
        t->state = kind == DEG_ALL_FAILED    ? SEARCH_FAILED
                   : kind == DEG_ALL_RUNNING ? SEARCH_RUNNING
                                             : SEARCH_COMPLETE;
        h->values[i] = kind == DEG_NAN ? NAN : kind == DEG_CONSTANT ? 2.5 : h->values[i];
        if (isnan(h->values[i]) && kind != DEG_NAN) h->values[i] = 0;
        t->values = t->state == SEARCH_COMPLETE ? &h->values[i] : NULL;
        if (kind == DEG_DUPLICATES && i > 0) {
            json_decref((json_t *)t->params);
            t->params = json_deep_copy(h->trials[0].params);
            h->values[i] = h->values[0];
        }
    }
}

START_TEST(test_searchers_survive_degenerate_histories) {
    const char *name = SEARCHERS[_i];
    struct space *s = small_space();
    for (int kind = 0; kind < 2 * DEG_COUNT; kind++) {
        struct history h;
        g_option_k = kind / DEG_COUNT;
        degenerate_history(s, (enum degenerate)(kind % DEG_COUNT), &h);
        json_t *a = propose(name, s, &h, 1, (int)h.n);
        struct err e = {0};
        ck_assert_msg(a != NULL, "%s gave nothing on history kind %d", name, kind);
        ck_assert_msg(space_check_params(s, a, &e) == 0, "%s kind %d: %s %s", name, kind, e.code,
                      e.field);
        json_decref(a);
        history_free(&h);
    }
    space_free(s);
}
END_TEST

START_TEST(test_searchers_vary_with_trial_number) {
    const char *name = SEARCHERS[_i];
    if (strcmp(name, "grid") == 0) return; // grid depends on history only
    struct space *s = small_space();
    struct history h = {0};
    json_t *a = propose(name, s, &h, 1, 0);
    json_t *b = propose(name, s, &h, 1, 1);
    ck_assert_msg(!json_equal(a, b), "%s proposes the same point for trials 0 and 1", name);
    json_decref(a);
    json_decref(b);
    space_free(s);
}
END_TEST

/* ---- grid ------------------------------------------------------------- */

/* Propose from grid until exhausted, recording each proposal as a running
 * trial; returns the number of distinct points proposed. */
static size_t drain_grid(const char *space_text) {
    json_t *j = json_loads(space_text, 0, NULL);
    struct space *s = NULL;
    struct err e;
    ck_assert_int_eq(space_parse(j, &s, &e), 0);
    ck_assert_int_eq(search_check("grid", NULL, s, 1, &e), 0);
    struct history h = {calloc(1000, sizeof(struct search_trial)), NULL, 0};
    for (;;) {
        json_t *p = propose("grid", s, &h, 1, (int)h.n);
        if (!p) break;
        ck_assert_int_eq(space_check_params(s, p, &e), 0);
        for (size_t i = 0; i < h.n; i++)
            ck_assert_msg(!json_equal(p, (json_t *)h.trials[i].params), "grid repeated a point");
        h.trials[h.n].params = p;
        h.trials[h.n].state = SEARCH_RUNNING;
        h.trials[h.n].number = (int)h.n;
        h.n++;
        ck_assert_uint_lt(h.n, 1000);
    }
    size_t n = h.n;
    history_free(&h);
    space_free(s);
    json_decref(j);
    return n;
}

START_TEST(test_grid_visits_every_point_once) {
    ck_assert_uint_eq(
        drain_grid("{\"c\": {\"type\": \"categorical\", \"choices\": [1, 2, 3]},"
                   " \"i\": {\"type\": \"int\", \"low\": 0, \"high\": 4, \"step\": 2},"
                   " \"f\": {\"type\": \"float\", \"low\": 1, \"high\": 100, \"log\": true,"
                   "         \"grid_points\": 2}}"),
        18);
    ck_assert_uint_eq(drain_grid("{\"f\": {\"type\": \"float\", \"low\": 0, \"high\": 1,"
                                 "         \"values\": [0.5, 0, 1, 0.5]}}"),
                      3);
}
END_TEST

START_TEST(test_grid_counts_conditional_configurations_once) {
    /* opt=sgd: 3 momenta; opt=adam: no momentum. 4 configurations. */
    ck_assert_uint_eq(
        drain_grid("{\"opt\": {\"type\": \"categorical\", \"choices\": [\"sgd\", \"adam\"]},"
                   " \"m\": {\"type\": \"float\", \"low\": 0, \"high\": 0.9, \"grid_points\": 3,"
                   "         \"when\": {\"opt\": \"sgd\"}}}"),
        4);
}
END_TEST

/* ---- option validation ------------------------------------------------- */

struct option_case {
    const char *searcher;
    const char *options;
    int n_objectives;
    const char *code; // "" = accepted
    const char *field;
};

static const struct option_case OPTION_CASES[] = {
    {"random", "{\"quasi\": \"halton\"}", 1, "", ""},
    {"random", "{\"quasi\": \"sobel\"}", 1, "bad_value", "searcher.options.quasi"},
    {"random", "{\"q\": 1}", 1, "unknown_field", "searcher.options.q"},
    {"random", "[]", 1, "bad_type", "searcher.options"},
    {"annealing", "{}", 1, "bad_value", "searcher.name"},
    {"grid", "{}", 1, "missing_field", "space.x.grid_points"},
    {"tpe", "{\"n_startup_trials\": 5, \"multivariate\": true}", 1, "", ""},
    {"tpe", "{\"n_startup_trials\": -1}", 1, "bad_range", "searcher.options.n_startup_trials"},
    {"tpe", "{\"multivariate\": 1}", 1, "bad_type", "searcher.options.multivariate"},
    {"gp", "{\"acquisition\": \"ucb\", \"beta\": 3}", 1, "", ""},
    {"gp", "{\"acquisition\": \"max\"}", 1, "bad_value", "searcher.options.acquisition"},
    {"gp", "{}", 2, "bad_value", "searcher.name"},
    {"gp", "{\"output_warp\": \"log\", \"xi\": 0.1}", 1, "", ""},
    {"gp", "{\"output_warp\": \"sqrt\"}", 1, "bad_value", "searcher.options.output_warp"},
    {"gp", "{\"n_candidates\": 5}", 1, "bad_range", "searcher.options.n_candidates"},
    {"tpe", "{}", 2, "bad_value", "searcher.name"},
    {"grid", "{\"shuffle\": true}", 1, "unknown_field", "searcher.options.shuffle"},
    {"cmaes", "{\"sigma0\": 0.2}", 1, "", ""},
    {"cmaes", "{\"sigma0\": 0}", 1, "bad_range", "searcher.options.sigma0"},
    {"nsga2", "{\"population_size\": 20}", 2, "", ""},
    {"nsga2", "{\"population_size\": 1}", 2, "bad_range", "searcher.options.population_size"},
};

START_TEST(test_searcher_options_table) {
    const struct option_case *c = &OPTION_CASES[_i];
    json_t *sj = json_loads("{\"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}", 0, NULL);
    struct space *s = NULL;
    struct err e = {0};
    space_parse(sj, &s, &e);
    json_t *o = json_loads(c->options, JSON_DECODE_ANY, NULL);
    int rc = search_check(c->searcher, o, s, c->n_objectives, &e);
    if (c->code[0] == '\0') {
        ck_assert_msg(rc == 0, "%s %s: %s %s", c->searcher, c->options, e.code, e.field);
    } else {
        ck_assert_msg(rc == -1, "%s accepted %s", c->searcher, c->options);
        ck_assert_msg(strcmp(e.code, c->code) == 0 && strcmp(e.field, c->field) == 0,
                      "%s %s: got %s %s", c->searcher, c->options, e.code, e.field);
    }
    json_decref(o);
    json_decref(sj);
    space_free(s);
}
END_TEST

START_TEST(test_searcher_enum_option_lists_the_allowed_values) {
    struct err e = {0};
    json_t *o = json_loads("{\"quasi\": \"sobol\"}", 0, NULL);
    ck_assert_int_eq(search_check("random", o, NULL, 1, &e), -1);
    ck_assert_str_eq(e.msg, "searcher.options.quasi must be one of: none, halton");
    json_decref(o);
}
END_TEST

static int n_searchers(void) {
    int n = 0;
    while (SEARCHERS[n]) n++;
    return n;
}

int main(void) {
    Suite *su = suite_create("search");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    int n = n_searchers();
    tcase_add_loop_test(tc, test_searchers_propose_legal_params_on_random_spaces, 0, n);
    tcase_add_loop_test(tc, test_searchers_survive_degenerate_histories, 0, n);
    tcase_add_loop_test(tc, test_searchers_vary_with_trial_number, 0, n);
    tcase_add_test(tc, test_grid_visits_every_point_once);
    tcase_add_test(tc, test_grid_counts_conditional_configurations_once);
    tcase_add_test(tc, test_searcher_enum_option_lists_the_allowed_values);
    tcase_add_loop_test(tc, test_searcher_options_table, 0,
                        sizeof OPTION_CASES / sizeof OPTION_CASES[0]);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
