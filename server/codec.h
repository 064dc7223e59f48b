/* codec: small readers for validating JSON request bodies field by field.
 * Each reports a 422 (or 400) naming the JSON path, so every codec_<res>.c
 * speaks with the same codes: bad_type, missing_field, unknown_field,
 * bad_range, bad_value. Entry points: codec_keys, codec_int, codec_num,
 * codec_str, codec_bool.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CODEC_H
#define HPOD_CODEC_H

#include <jansson.h>

#include "err.h"

/* Refuse any key of obj not in allowed (NULL-terminated): 422
 * unknown_field at "<path>.<key>". path may be "" for the top level. */
int codec_keys(const json_t *obj, const char *path, const char *const *allowed, struct err *e);

/* Read obj[key] as an integer in [min, max]. When absent: *out = dflt if
 * is_required is 0, else 422 missing_field. 422 bad_type for a non-integer,
 * bad_range outside the bounds. */
int codec_int(const json_t *obj, const char *path, const char *key, long long min, long long max,
              long long dflt, int is_required, long long *out, struct err *e);

/* Like codec_int for a finite number in [min, max]; null counts as absent. */
int codec_num(const json_t *obj, const char *path, const char *key, double min, double max,
              double dflt, int is_required, double *out, struct err *e);

/* Read obj[key] as a string (borrowed) of 1..max_len characters; *out = dflt
 * when absent and not required. */
int codec_str(const json_t *obj, const char *path, const char *key, size_t max_len,
              const char *dflt, int is_required, const char **out, struct err *e);

/* Read obj[key] as a boolean; *out = dflt when absent. */
int codec_bool(const json_t *obj, const char *path, const char *key, int dflt, int *out,
               struct err *e);

/* Format "<path>.<key>" (or "<key>" when path is "") into buf. */
const char *codec_path(char *buf, size_t n, const char *path, const char *key);

#endif
