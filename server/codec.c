/* codec: the shared field readers behind every request codec. They only
 * read and check; building stored or returned JSON is each codec's job.
 * SPDX-License-Identifier: MIT */
#include "codec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

const char *codec_path(char *buf, size_t n, const char *path, const char *key) {
    if (path && *path)
        snprintf(buf, n, "%s.%s", path, key);
    else
        snprintf(buf, n, "%s", key);
    return buf;
}

int codec_keys(const json_t *obj, const char *path, const char *const *allowed, struct err *e) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int is_known = 0;
        for (const char *const *a = allowed; *a && !is_known; a++) is_known = !strcmp(*a, key);
        if (is_known) continue;
        char f[96];
        codec_path(f, sizeof f, path, key);
        return err_set(e, 422, "unknown_field", f, "%s is not a known field", f);
    }
    return 0;
}

static int absent(const char *f, int is_required, struct err *e) {
    if (!is_required) return 0;
    return err_set(e, 422, "missing_field", f, "%s is required", f);
}

int codec_int(const json_t *obj, const char *path, const char *key, long long min, long long max,
              long long dflt, int is_required, long long *out, struct err *e) {
    char f[96];
    codec_path(f, sizeof f, path, key);
    const json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v || json_is_null(v)) return absent(f, is_required, e);
    double d = json_is_real(v) ? json_real_value(v) : 0;
    if (json_is_real(v) && d == floor(d) && fabs(d) < 9e15) {
        *out = (long long)d;
    } else if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else {
        return err_set(e, 422, "bad_type", f, "%s must be an integer", f);
    }
    if (*out < min || *out > max) {
        return err_set(e, 422, "bad_range", f, "%s must be between %lld and %lld", f, min, max);
    }
    return 0;
}

int codec_num(const json_t *obj, const char *path, const char *key, double min, double max,
              double dflt, int is_required, double *out, struct err *e) {
    char f[96];
    codec_path(f, sizeof f, path, key);
    const json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v || json_is_null(v)) return absent(f, is_required, e);
    if (!json_is_number(v)) return err_set(e, 422, "bad_type", f, "%s must be a number", f);
    *out = json_number_value(v);
    if (!isfinite(*out) || *out < min || *out > max) {
        return err_set(e, 422, "bad_range", f, "%s must be between %g and %g", f, min, max);
    }
    return 0;
}

int codec_str(const json_t *obj, const char *path, const char *key, size_t max_len,
              const char *dflt, int is_required, const char **out, struct err *e) {
    char f[96];
    codec_path(f, sizeof f, path, key);
    const json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v || json_is_null(v)) return absent(f, is_required, e);
    if (!json_is_string(v)) return err_set(e, 422, "bad_type", f, "%s must be a string", f);
    size_t len = utf8_chars(json_string_value(v), json_string_length(v));
    if (len == 0 || len > max_len) {
        return err_set(e, 422, "bad_range", f, "%s must have 1 to %zu characters", f, max_len);
    }
    *out = json_string_value(v);
    return 0;
}

int codec_bool(const json_t *obj, const char *path, const char *key, int dflt, int *out,
               struct err *e) {
    char f[96];
    codec_path(f, sizeof f, path, key);
    const json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return err_set(e, 422, "bad_type", f, "%s must be a boolean", f);
    *out = json_is_true(v);
    return 0;
}
