/* suite_run: the end of every unit test program's main. Runs the suite,
 * prints Check's summary, and gives the exit status: 0 when every test
 * passed, 1 otherwise.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_SUITE_RUN_H
#define HPOD_SUITE_RUN_H

#include <check.h>

static inline int suite_run(Suite *suite) {
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
