/* test_space: the search-space parser's error table, the unit-interval
 * mapping (bounds, steps, log ints), conditions, and params validation.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "space.h"
#include "suite_run.h"

static struct space *parse_ok(const char *text) {
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "bad test JSON: %s", text);
    struct space *s = NULL;
    struct err e = {0};
    int rc = space_parse(j, &s, &e);
    json_decref(j);
    ck_assert_msg(rc == 0, "%s: %s %s", text, e.code, e.field);
    return s;
}

/* One row of the error table: a space, the code and the field expected. */
struct bad_case {
    const char *space;
    const char *code;
    const char *field;
};

static const struct bad_case BAD[] = {
    {"[]", "bad_type", "space"},
    {"{}", "bad_value", "space"},
    {"{\"a\": 3}", "bad_type", "space.a"},
    {"{\"a\": {}}", "missing_field", "space.a.type"},
    {"{\"a\": {\"type\": 1}}", "bad_type", "space.a.type"},
    {"{\"a\": {\"type\": \"complex\"}}", "bad_value", "space.a.type"},
    {"{\"a\": {\"type\": \"float\", \"high\": 1}}", "missing_field", "space.a.low"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0}}", "missing_field", "space.a.high"},
    {"{\"a\": {\"type\": \"float\", \"low\": \"0\", \"high\": 1}}", "bad_type", "space.a.low"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"lo\": 2}}", "unknown_field",
     "space.a.lo"},
    {"{\"a\": {\"type\": \"float\", \"low\": 2, \"high\": 1}}", "bad_range", "space.a.high"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"log\": true}}", "bad_range",
     "space.a.low"},
    {"{\"a\": {\"type\": \"float\", \"low\": -1, \"high\": 1, \"log\": true}}", "bad_range",
     "space.a.low"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"log\": 1}}", "bad_type",
     "space.a.log"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": -0.1}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 2}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 1, \"high\": 2, \"step\": 0.5, "
     "\"log\": true}}",
     "bad_value", "space.a.step"},
    /* More than 1e15 steps: the step count would not fit a size_t (or be
     * inexact as a double), so every proposal collapsed to low. */
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 1e-25}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 5e-324}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": -1e15, \"high\": 1e15, \"step\": 1}}", "bad_range",
     "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1e300}}", "bad_value", "space.a.high"},
    {"{\"a\": {\"type\": \"int\", \"low\": -9007199254740993, \"high\": 0}}", "bad_value",
     "space.a.low"},
    {"{\"a\": {\"type\": \"int\", \"low\": 1, \"high\": 9, \"log\": true, \"step\": 2}}",
     "bad_value", "space.a.step"},
    {"{\"a\": {\"type\": \"float\", \"low\": 1, \"high\": 9, \"log\": true, \"step\": 1}}",
     "bad_value", "space.a.step"},
    {"{\"a\": {\"type\": \"int\", \"low\": 0.5, \"high\": 3}}", "bad_value", "space.a.low"},
    {"{\"a\": {\"type\": \"int\", \"low\": 0, \"high\": 3.5}}", "bad_value", "space.a.high"},
    {"{\"a\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"step\": 1.5}}", "bad_value",
     "space.a.step"},
    {"{\"a\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"grid_points\": 2}}", "unknown_field",
     "space.a.grid_points"},
    {"{\"a\": {\"type\": \"categorical\"}}", "missing_field", "space.a.choices"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": 1}}", "bad_type", "space.a.choices"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": []}}", "bad_value", "space.a.choices"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [1, \"x\", 1.0]}}", "bad_value",
     "space.a.choices[2]"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [[1]]}}", "bad_type", "space.a.choices[0]"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [1], \"low\": 0}}", "unknown_field",
     "space.a.low"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"grid_points\": 0}}", "bad_range",
     "space.a.grid_points"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"grid_points\": 1.5}}", "bad_type",
     "space.a.grid_points"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"values\": [0.5, 2]}}", "bad_range",
     "space.a.values"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"values\": []}}", "bad_value",
     "space.a.values"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"values\": [0], "
     "\"grid_points\": 3}}",
     "bad_value", "space.a.values"},
    {"{\"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"a\": 1}}}",
     "bad_condition", "space.b.when.a"},
    {"{\"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"b\": 1}}}",
     "bad_condition", "space.b.when.b"},
    {"{\"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
     " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"a\": 1}}}",
     "bad_condition", "space.b.when.a"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [\"x\", \"y\"]},"
     " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"a\": \"z\"}}}",
     "bad_condition", "space.b.when.a"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [\"x\", \"y\"]},"
     " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"a\": []}}}",
     "bad_condition", "space.b.when.a"},
    {"{\"a\": {\"type\": \"int\", \"low\": 0, \"high\": 4, \"step\": 2},"
     " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"a\": [1]}}}",
     "bad_condition", "space.b.when.a"},
    {"{\"a\": {\"type\": \"categorical\", \"choices\": [\"x\"]},"
     " \"b\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {}}}",
     "bad_condition", "space.b.when"},
};

START_TEST(test_space_parse_error_table) {
    const struct bad_case *c = &BAD[_i];
    json_error_t je;
    json_t *j = json_loads(c->space, JSON_DECODE_ANY, &je);
    ck_assert_msg(j != NULL, "bad test JSON %s", c->space);
    struct space *s = NULL;
    struct err e = {0};
    int rc = space_parse(j, &s, &e);
    json_decref(j);
    ck_assert_msg(rc == -1 && s == NULL, "accepted %s", c->space);
    ck_assert_int_eq(e.http, 422);
    ck_assert_msg(strcmp(e.code, c->code) == 0 && strcmp(e.field, c->field) == 0,
                  "%s: got %s %s, want %s %s", c->space, e.code, e.field, c->code, c->field);
}
END_TEST

START_TEST(test_space_accepts_edge_bounds) {
    struct space *s =
        parse_ok("{\"a\": {\"type\": \"float\", \"low\": 1, \"high\": 1},"
                 " \"b\": {\"type\": \"int\", \"low\": 3, \"high\": 3, \"log\": true},"
                 " \"c\": {\"type\": \"float\", \"low\": 2, \"high\": 2, \"step\": 0.5},"
                 " \"d\": {\"type\": \"categorical\", \"choices\": [true, 1, \"1\"]}}");
    ck_assert_uint_eq(s->n_params, 4);
    for (int k = 0; k <= 10; k++) {
        double u = k / 10.0;
        ck_assert(space_from_unit(&s->params[0], u) == 1);
        ck_assert(space_from_unit(&s->params[1], u) == 3);
        ck_assert(space_from_unit(&s->params[2], u) == 2);
    }
    space_free(s);
}
END_TEST

START_TEST(test_space_keeps_declared_order) {
    struct space *s = parse_ok("{\"z\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
                               " \"a\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
                               " \"m\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}");
    ck_assert_str_eq(s->params[0].name, "z");
    ck_assert_str_eq(s->params[1].name, "a");
    ck_assert_str_eq(s->params[2].name, "m");
    space_free(s);
}
END_TEST

/* Step 1 on a log int says what it takes anyway: every integer. */
static const char *const LOG_INTS[] = {
    "{\"n\": {\"type\": \"int\", \"low\": 1, \"high\": 1000, \"log\": true}}",
    "{\"n\": {\"type\": \"int\", \"low\": 1, \"high\": 1000, \"log\": true, \"step\": 1}}",
};

START_TEST(test_space_log_int_reaches_both_bounds) {
    struct space *s = parse_ok(LOG_INTS[_i]);
    const struct space_param *p = &s->params[0];
    ck_assert(space_from_unit(p, 0) == 1);
    ck_assert(space_from_unit(p, 1) == 1000);
    ck_assert(space_from_unit(p, 0.9999) == 1000);
    for (int v = 1; v <= 1000; v += 37) ck_assert(space_from_unit(p, space_to_unit(p, v)) == v);
    space_free(s);
}
END_TEST

START_TEST(test_space_steps_never_pass_high) {
    struct space *s =
        parse_ok("{\"f\": {\"type\": \"float\", \"low\": 0.1, \"high\": 1.0, \"step\": 0.3},"
                 " \"g\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0.4},"
                 " \"i\": {\"type\": \"int\", \"low\": -5, \"high\": 6, \"step\": 4}}");
    for (int k = 0; k <= 1000; k++) {
        double u = k / 1000.0;
        double f = space_from_unit(&s->params[0], u);
        double g = space_from_unit(&s->params[1], u);
        double i = space_from_unit(&s->params[2], u);
        ck_assert(f >= 0.1 && f <= 1.0);
        ck_assert(g >= 0 && g <= 0.8 + 1e-12);
        ck_assert(i == -5 || i == -1 || i == 3);
    }
    ck_assert(space_from_unit(&s->params[0], 1) <= 1.0);
    ck_assert(fabs(space_from_unit(&s->params[0], 1) - 1.0) < 1e-12);
    ck_assert(space_from_unit(&s->params[2], 1) == 3);
    ck_assert_uint_eq(space_n_levels(&s->params[2]), 3);
    space_free(s);
}
END_TEST

START_TEST(test_space_fine_steps_up_to_the_limit_keep_their_levels) {
    struct space *s =
        parse_ok("{\"f\": {\"type\": \"float\", \"low\": 0, \"high\": 1e15, \"step\": 1},"
                 " \"g\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 1e-6},"
                 " \"i\": {\"type\": \"int\", \"low\": -9007199254740992,"
                 " \"high\": 9007199254740992}}");
    const struct space_param *f = &s->params[0], *g = &s->params[1], *i = &s->params[2];
    ck_assert(space_n_levels(f) == 1000000000000001u);
    ck_assert_uint_eq(space_n_levels(g), 1000001);
    ck_assert(space_n_levels(i) == 18014398509481985u); // 2^54 + 1: ints need no bound
    for (int k = 0; k <= 10; k++) {
        double u = k / 10.0;
        ck_assert(fabs(space_from_unit(f, u) - u * 1e15) <= 1);
        ck_assert(fabs(space_from_unit(g, u) - u) <= 1e-6);
        double v = space_from_unit(i, u);
        ck_assert(v == floor(v) && fabs(v) <= 9007199254740992.0);
    }
    space_free(s);
}
END_TEST

START_TEST(test_space_log_float_stays_in_bounds) {
    struct space *s =
        parse_ok("{\"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 0.3, \"log\": true}}");
    const struct space_param *p = &s->params[0];
    ck_assert(space_from_unit(p, 0) == 1e-5);
    ck_assert(space_from_unit(p, 1) == 0.3);
    double mid = space_from_unit(p, 0.5);
    ck_assert(fabs(mid - sqrt(1e-5 * 0.3)) < 1e-9);
    ck_assert(fabs(space_to_unit(p, mid) - 0.5) < 1e-12);
    space_free(s);
}
END_TEST

static const char *COND_SPACE =
    "{\"opt\": {\"type\": \"categorical\", \"choices\": [\"sgd\", \"adam\"]},"
    " \"momentum\": {\"type\": \"float\", \"low\": 0, \"high\": 0.99,"
    "               \"when\": {\"opt\": \"sgd\"}},"
    " \"layers\": {\"type\": \"int\", \"low\": 1, \"high\": 3},"
    " \"w2\": {\"type\": \"int\", \"low\": 8, \"high\": 64, \"log\": true,"
    "         \"when\": {\"layers\": [2, 3]}},"
    " \"w3\": {\"type\": \"int\", \"low\": 8, \"high\": 64,"
    "         \"when\": {\"w2\": [8, 9]}}}";

/* One row of the params table: params, expected code ("" = ok), field. */
struct params_case {
    const char *params;
    const char *code;
    const char *field;
};

static const struct params_case PARAMS[] = {
    {"{\"opt\": \"adam\", \"layers\": 1}", "", ""},
    {"{\"opt\": \"sgd\", \"momentum\": 0.5, \"layers\": 2, \"w2\": 10}", "", ""},
    {"{\"opt\": \"sgd\", \"momentum\": 0.5, \"layers\": 2, \"w2\": 8, \"w3\": 8}", "", ""},
    {"{\"opt\": \"sgd\", \"layers\": 1}", "missing_field", "params.momentum"},
    {"{\"opt\": \"adam\", \"momentum\": 0.5, \"layers\": 1}", "bad_condition", "params.momentum"},
    {"{\"opt\": \"rms\", \"layers\": 1}", "bad_value", "params.opt"},
    {"{\"opt\": \"adam\", \"layers\": 1.5}", "bad_value", "params.layers"},
    {"{\"opt\": \"adam\", \"layers\": 4}", "bad_range", "params.layers"},
    {"{\"opt\": \"adam\", \"layers\": \"1\"}", "bad_type", "params.layers"},
    {"{\"opt\": \"adam\", \"layers\": 1, \"depth\": 3}", "unknown_field", "params.depth"},
    {"{\"opt\": \"adam\", \"layers\": 2, \"w2\": 10, \"w3\": 8}", "bad_condition", "params.w3"},
    {"[]", "bad_type", "params"},
};

/* Check c's params against the space in space_text. */
static void check_params_case(const char *space_text, const struct params_case *c) {
    struct space *s = parse_ok(space_text);
    json_t *p = json_loads(c->params, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(p);
    struct err e = {0};
    int rc = space_check_params(s, p, &e);
    if (c->code[0] == '\0') {
        ck_assert_msg(rc == 0, "%s: %s %s", c->params, e.code, e.field);
    } else {
        ck_assert_msg(rc == -1, "accepted %s", c->params);
        ck_assert_msg(strcmp(e.code, c->code) == 0 && strcmp(e.field, c->field) == 0,
                      "%s: got %s %s", c->params, e.code, e.field);
    }
    json_decref(p);
    space_free(s);
}

START_TEST(test_space_check_params_table) {
    check_params_case(COND_SPACE, &PARAMS[_i]);
}
END_TEST

/* Values far from low on a fine or wide step: the slack of "on the step"
 * must not grow with the number of steps, ints are checked exactly, and
 * an integer no double holds exactly is out of range, not rounded in. */
static const char *STEP_SPACE =
    "{\"n\": {\"type\": \"int\", \"low\": 0, \"high\": 1000000000000, \"step\": 3},"
    " \"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 1e-9},"
    " \"y\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"step\": 0.1},"
    " \"w\": {\"type\": \"int\", \"low\": -9007199254740992,"
    "         \"high\": 9007199254740992}}";

static const struct params_case STEP_PARAMS[] = {
    {"{\"n\": 300000000000, \"x\": 0.879118259, \"y\": 0.30000000000000004, \"w\": 1}", "",
     ""},
    {"{\"n\": 999999999999, \"x\": 1, \"y\": 1, \"w\": 9007199254740992}", "", ""},
    {"{\"n\": 300000000001, \"x\": 0.5, \"y\": 0.5, \"w\": 1}", "bad_value", "params.n"},
    {"{\"n\": 1000000000000, \"x\": 0.5, \"y\": 0.5, \"w\": 1}", "bad_value", "params.n"},
    {"{\"n\": 3, \"x\": 0.8791182595, \"y\": 0.5, \"w\": 1}", "bad_value", "params.x"},
    {"{\"n\": 3, \"x\": 0.5, \"y\": 0.35, \"w\": 1}", "bad_value", "params.y"},
    {"{\"n\": 3, \"x\": 0.5, \"y\": 0.5, \"w\": 9007199254740993}", "bad_range", "params.w"},
    {"{\"n\": 3, \"x\": 0.5, \"y\": 0.5, \"w\": -9007199254740993}", "bad_range", "params.w"},
};

START_TEST(test_space_on_the_step_holds_far_from_low) {
    check_params_case(STEP_SPACE, &STEP_PARAMS[_i]);
}
END_TEST

START_TEST(test_space_encode_round_trips) {
    struct space *s = parse_ok(COND_SPACE);
    double x[5] = {0, 0.25, 2, 8, 20};
    json_t *p = space_encode(s, x);
    struct err e = {0};
    ck_assert_int_eq(space_check_params(s, p, &e), 0);
    double y[5];
    space_decode(s, p, y);
    for (int i = 0; i < 5; i++) ck_assert(x[i] == y[i]);
    ck_assert(json_is_integer(json_object_get(p, "w2")));
    ck_assert_str_eq(json_string_value(json_object_get(p, "opt")), "sgd");
    json_decref(p);
    x[0] = 1; // adam: momentum drops out
    x[2] = 1; // one layer: w2 and w3 drop out (nested)
    p = space_encode(s, x);
    ck_assert_uint_eq(json_object_size(p), 2);
    ck_assert_int_eq(space_check_params(s, p, &e), 0);
    json_decref(p);
    space_free(s);
}
END_TEST

int main(void) {
    Suite *su = suite_create("space");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_space_parse_error_table, 0, sizeof BAD / sizeof BAD[0]);
    tcase_add_test(tc, test_space_accepts_edge_bounds);
    tcase_add_test(tc, test_space_keeps_declared_order);
    tcase_add_loop_test(tc, test_space_log_int_reaches_both_bounds, 0,
                        sizeof LOG_INTS / sizeof LOG_INTS[0]);
    tcase_add_test(tc, test_space_steps_never_pass_high);
    tcase_add_test(tc, test_space_fine_steps_up_to_the_limit_keep_their_levels);
    tcase_add_test(tc, test_space_log_float_stays_in_bounds);
    tcase_add_loop_test(tc, test_space_check_params_table, 0, sizeof PARAMS / sizeof PARAMS[0]);
    tcase_add_loop_test(tc, test_space_on_the_step_holds_far_from_low, 0,
                        sizeof STEP_PARAMS / sizeof STEP_PARAMS[0]);
    tcase_add_test(tc, test_space_encode_round_trips);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
