/* test_utf8: character counts, and repair of text that is not UTF-8, as
 * Jansson judges it (the repaired text must make a JSON string).
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "suite_run.h"
#include "utf8.h"

START_TEST(test_utf8_counts_characters) {
    const char *s = "a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80"; /* a, u-umlaut, euro, emoji */
    ck_assert_uint_eq(utf8_chars(s, strlen(s)), 4);
    ck_assert_uint_eq(utf8_chars("", 0), 0);
}
END_TEST

/* Whether repair leaves s as it is, which it does for valid UTF-8 only. */
static int repair_keeps(const char *s) {
    char copy[16];
    snprintf(copy, sizeof copy, "%s", s);
    utf8_repair(copy);
    return strcmp(copy, s) == 0;
}

START_TEST(test_utf8_repair_follows_rfc_3629) {
    static const char *const good[] = {
        "", "plain", "\xc3\xbc", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    static const char *const bad[] = {
        "\xff",             /* never in UTF-8 */
        "\xc3",             /* cut short at the end */
        "\xe2\x82",         /* cut short */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "a\x80z",           /* a lone continuation byte */
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ck_assert_msg(repair_keeps(good[i]), "good[%zu]", i);
        json_t *j = json_string(good[i]);
        ck_assert_ptr_nonnull(j);
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(!repair_keeps(bad[i]), "bad[%zu]", i);
        ck_assert_msg(json_string(bad[i]) == NULL, "Jansson agrees on bad[%zu]", i);
    }
}
END_TEST

START_TEST(test_utf8_repair_keeps_valid_characters) {
    char cut[] = "ok \xc3\xbc\xc3"; /* a character cut in two at the end */
    utf8_repair(cut);
    ck_assert_str_eq(cut, "ok \xc3\xbc?");
    char url[] = "/studies/\xff.\xfe/x";
    utf8_repair(url);
    ck_assert_str_eq(url, "/studies/?.?/x");
    char surrogate[] = "\xed\xa0\x80.";
    utf8_repair(surrogate);
    ck_assert_str_eq(surrogate, "???.");
    json_t *j = json_string(surrogate);
    ck_assert_ptr_nonnull(j);
    json_decref(j);
}
END_TEST

int main(void) {
    Suite *su = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_utf8_counts_characters);
    tcase_add_test(tc, test_utf8_repair_follows_rfc_3629);
    tcase_add_test(tc, test_utf8_repair_keeps_valid_characters);
    suite_add_tcase(su, tc);
    return suite_run(su);
}
