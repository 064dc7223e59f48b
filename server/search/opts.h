/* opts: declarative validation of searcher and pruner options objects,
 * and typed getters for options that have already been validated.
 * Entry points: opts_check, opts_num, opts_bool, opts_str.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_OPTS_H
#define HPOD_OPTS_H

#include <jansson.h>

#include "err.h"

enum opt_type { OPT_INT, OPT_NUM, OPT_BOOL, OPT_ENUM };

/* One allowed key: its type, its inclusive range for numbers, or its
 * NULL-terminated list of allowed strings for OPT_ENUM. */
struct opt_spec {
    const char *key;
    enum opt_type type;
    double lo, hi;
    const char *const *names;
};

/* Check options (NULL is fine) against specs, a list ended by a NULL key.
 * prefix is the field path ("searcher.options"). Returns 0, or -1 with a
 * 422: bad_type (not an object, wrong type), bad_range (number outside
 * [lo, hi]), bad_value (string not allowed), unknown_field. */
int opts_check(const json_t *options, const char *prefix, const struct opt_spec *specs,
               struct err *e);

/* Getters for validated options: the value of key, or def when absent. */
double opts_num(const json_t *options, const char *key, double def);
int opts_bool(const json_t *options, const char *key, int def);
const char *opts_str(const json_t *options, const char *key, const char *def);

#endif
