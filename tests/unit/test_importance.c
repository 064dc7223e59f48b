/* test_importance: the fANOVA estimate ranks the parameter that drives the
 * objective first, returns shares that sum to 1, is deterministic, and
 * copes with too few trials or a constant objective.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "importance.h"
#include "space.h"
#include "suite_run.h"

/* Four parameters of every kind: a log float, a plain float, an int and a
 * categorical, so the unit mapping of each is exercised. */
static const char *const SPACE =
    "{\"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5},"
    " \"layers\": {\"type\": \"int\", \"low\": 1, \"high\": 8},"
    " \"opt\": {\"type\": \"categorical\", \"choices\": [\"adam\", \"sgd\", \"rms\"]}}";

static struct space *make_space(void) {
    json_t *j = json_loads(SPACE, 0, NULL);
    ck_assert_ptr_nonnull(j);
    struct space *s = NULL;
    struct err e = {0};
    ck_assert_int_eq(space_parse(j, &s, &e), 0);
    json_decref(j);
    return s;
}

static double uniform(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

/* n random trials; x rows are decoded values, as space_decode gives them. */
static void make_trials(const struct space *s, size_t n, double *x) {
    uint64_t state = 42;
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < s->n_params; i++) {
            x[r * s->n_params + i] = space_from_unit(&s->params[i], uniform(&state));
        }
    }
}

static double sum_of(const double *v, size_t n) {
    double t = 0;
    for (size_t i = 0; i < n; i++) t += v[i];
    return t;
}

/* The objective depends on one parameter only (index `which`); the others
 * must come out far behind it. */
static void check_ranks_first(size_t which, double (*f)(double)) {
    struct space *s = make_space();
    size_t n = 300, d = s->n_params;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), share[4];
    make_trials(s, n, x);
    for (size_t r = 0; r < n; r++) y[r] = f(x[r * d + which]);
    importance_compute(s, x, y, n, share);
    ck_assert_double_eq_tol(sum_of(share, d), 1.0, 1e-9);
    for (size_t i = 0; i < d; i++) {
        if (i == which) continue;
        ck_assert_msg(share[which] > 5 * share[i], "param %zu: %g vs %zu: %g", which, share[which],
                      i, share[i]);
    }
    free(x);
    free(y);
    space_free(s);
}

static double log_lr_bowl(double lr) {
    return pow(log10(lr) + 3, 2);
}
static double layers_linear(double layers) {
    return 0.1 * layers;
}
static double opt_table(double k) {
    return k == 1 ? 1.0 : 0.2;
}

START_TEST(test_importance_ranks_the_driving_log_float_first) {
    check_ranks_first(0, log_lr_bowl);
}
END_TEST

START_TEST(test_importance_ranks_the_driving_int_first) {
    check_ranks_first(2, layers_linear);
}
END_TEST

START_TEST(test_importance_ranks_the_driving_categorical_first) {
    check_ranks_first(3, opt_table);
}
END_TEST

START_TEST(test_importance_is_deterministic) {
    struct space *s = make_space();
    size_t n = 200, d = s->n_params;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), a[4], b[4];
    make_trials(s, n, x);
    for (size_t r = 0; r < n; r++) y[r] = x[r * d + 1] + 0.3 * x[r * d + 2];
    importance_compute(s, x, y, n, a);
    importance_compute(s, x, y, n, b);
    for (size_t i = 0; i < d; i++) ck_assert_double_eq(a[i], b[i]);
    free(x);
    free(y);
    space_free(s);
}
END_TEST

START_TEST(test_importance_splits_evenly_without_information) {
    struct space *s = make_space();
    size_t n = 50, d = s->n_params;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), share[4];
    make_trials(s, n, x);
    for (size_t r = 0; r < n; r++) y[r] = 0.5;
    importance_compute(s, x, y, n, share);
    for (size_t i = 0; i < d; i++) ck_assert_double_eq_tol(share[i], 0.25, 1e-12);
    importance_compute(s, x, y, 1, share);
    for (size_t i = 0; i < d; i++) ck_assert_double_eq_tol(share[i], 0.25, 1e-12);
    free(x);
    free(y);
    space_free(s);
}
END_TEST

START_TEST(test_importance_treats_inactive_values) {
    struct space *s = make_space();
    size_t n = 120, d = s->n_params;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), share[4];
    make_trials(s, n, x);
    for (size_t r = 0; r < n; r++) {
        if (r % 3 == 0) x[r * d + 1] = NAN;
        y[r] = log_lr_bowl(x[r * d]);
    }
    importance_compute(s, x, y, n, share);
    ck_assert_double_eq_tol(sum_of(share, d), 1.0, 1e-9);
    ck_assert(share[0] > share[1]);
    free(x);
    free(y);
    space_free(s);
}
END_TEST

int main(void) {
    Suite *su = suite_create("importance");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_importance_ranks_the_driving_log_float_first);
    tcase_add_test(tc, test_importance_ranks_the_driving_int_first);
    tcase_add_test(tc, test_importance_ranks_the_driving_categorical_first);
    tcase_add_test(tc, test_importance_is_deterministic);
    tcase_add_test(tc, test_importance_splits_evenly_without_information);
    tcase_add_test(tc, test_importance_treats_inactive_values);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
