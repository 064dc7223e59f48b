/* test_jsonout: JSON text keeps every double exact and short.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "suite_run.h"

/* Dump v and parse it back. */
static double round_trip(json_t *v, char **text) {
    *text = jsonout_dumps(v, JSON_COMPACT);
    json_t *back = json_loads(*text, 0, NULL);
    double x = json_real_value(json_array_get(json_object_get(back, "a"), 0));
    json_decref(back);
    return x;
}

START_TEST(test_jsonout_keeps_short_reals_short) {
    json_t *v = json_pack("{s:[f, f]}", "a", 0.4, 1e-3);
    char *text = NULL;
    ck_assert(round_trip(v, &text) == 0.4);
    ck_assert_str_eq(text, "{\"a\":[0.4,0.001]}");
    free(text);
    json_decref(v);
}
END_TEST

START_TEST(test_jsonout_reals_read_back_exactly) {
    /* 16 digits print this as 0.2408548786173952, another double. */
    double x = 0.24085487861739519;
    json_t *v = json_pack("{s:[f], s:{s:[f]}}", "a", x, "b", "c", 0.5);
    char *text = NULL;
    ck_assert(round_trip(v, &text) == x);
    free(text);
    json_decref(v);
}
END_TEST

START_TEST(test_jsonout_finds_reals_in_nested_documents) {
    double x = 0.24085487861739519;
    json_t *v = json_pack("{s:[f], s:[{s:[f]}]}", "a", 0.5, "deep", "x", x);
    char *text = jsonout_dumps(v, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    const json_t *deep = json_array_get(json_object_get(json_array_get(
                                            json_object_get(back, "deep"), 0), "x"), 0);
    ck_assert(json_real_value(deep) == x);
    json_decref(back);
    free(text);
    json_decref(v);
}
END_TEST

int main(void) {
    Suite *su = suite_create("jsonout");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_jsonout_keeps_short_reals_short);
    tcase_add_test(tc, test_jsonout_reals_read_back_exactly);
    tcase_add_test(tc, test_jsonout_finds_reals_in_nested_documents);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
