/* codec_trial: parsing of trial request bodies. Values are doubles in the
 * order of the study's objectives; non-finite ones are allowed through so
 * the store can fail the trial with that reason.
 * SPDX-License-Identifier: MIT */
#include "codec_trial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static int one_value(const json_t *v, const char *f, double *out, struct err *e) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (json_is_null(v) || (s && !strcasecmp(s, "nan"))) {
        *out = NAN;
        return 0;
    }
    if (s && (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity"))) {
        *out = INFINITY;
        return 0;
    }
    if (s && (!strcasecmp(s, "-inf") || !strcasecmp(s, "-infinity"))) {
        *out = -INFINITY;
        return 0;
    }
    return err_set(e, 422, "bad_type", f, "%s must be a number", f);
}

/* Metrics are values too: each a number, null, or a NaN or infinity
 * string. */
static int check_metrics(const json_t *m, struct err *e) {
    if (!m) return 0;
    if (!json_is_object(m))
        return err_set(e, 422, "bad_type", "metrics", "metrics must be an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)m, key, v) {
        char f[96];
        double ignored;
        codec_path(f, sizeof f, "metrics", key);
        if (one_value(v, f, &ignored, e) != 0) return -1;
    }
    return 0;
}

int codec_trial_values(const json_t *body, const struct study *s, double *out, struct err *e) {
    const json_t *values = json_object_get(body, "values");
    const json_t *value = json_object_get(body, "value");
    const json_t *metrics = json_object_get(body, "metrics");
    if (values) {
        if (!json_is_array(values) || (int)json_array_size(values) != s->n_objectives) {
            return err_set(e, 422, "bad_value", "values",
                           "values must be an array of %d numbers, one per objective",
                           s->n_objectives);
        }
        for (int i = 0; i < s->n_objectives; i++) {
            char f[32];
            snprintf(f, sizeof f, "values[%d]", i);
            if (one_value(json_array_get(values, (size_t)i), f, &out[i], e) != 0) return -1;
        }
        return 0;
    }
    if (value) {
        if (s->n_objectives != 1) {
            return err_set(e, 422, "bad_value", "value",
                           "value is for one objective; this study has %d, use values",
                           s->n_objectives);
        }
        return one_value(value, "value", &out[0], e);
    }
    if (json_is_object(metrics)) {
        for (int i = 0; i < s->n_objectives; i++) {
            char f[96];
            codec_path(f, sizeof f, "metrics", s->objective[i]);
            const json_t *m = json_object_get(metrics, s->objective[i]);
            if (!m) return err_set(e, 422, "missing_field", f, "%s is required", f);
            if (one_value(m, f, &out[i], e) != 0) return -1;
        }
        return 0;
    }
    return err_set(e, 422, "missing_field", "values", "values is required");
}

int codec_trial_enqueue(const json_t *body, const struct study *s, const json_t **params,
                        double *values, int *has_values, struct err *e) {
    static const char *const keys[] = {"params", "values", "value", NULL};
    if (codec_keys(body, "", keys, e) != 0) return -1;
    *params = json_object_get(body, "params");
    if (!*params) return err_set(e, 422, "missing_field", "params", "params is required");
    if (!json_is_object(*params)) {
        return err_set(e, 422, "bad_type", "params", "params must be an object");
    }
    if (space_check_params(s->space, *params, e) != 0) return -1;
    *has_values = json_object_get(body, "values") || json_object_get(body, "value");
    if (!*has_values) return 0;
    if (codec_trial_values(body, s, values, e) != 0) return -1;
    for (int i = 0; i < s->n_objectives; i++) {
        if (isfinite(values[i])) continue;
        char f[32];
        if (json_object_get(body, "values"))
            snprintf(f, sizeof f, "values[%d]", i);
        else
            snprintf(f, sizeof f, "value");
        return err_set(e, 422, "bad_value", f, "%s of a warm-start trial must be finite", f);
    }
    return 0;
}

int codec_trial_ask(const json_t *body, const char **worker, int *count, struct err *e) {
    static const char *const keys[] = {"worker", "count", NULL};
    if (codec_keys(body, "", keys, e) != 0) return -1;
    long long n;
    if (codec_str(body, "", "worker", STORE_TRIAL_WORKER_CHARS, "anonymous", 0, worker, e) != 0)
        return -1;
    if (codec_int(body, "", "count", 1, 256, 1, 0, &n, e) != 0) return -1;
    *count = (int)n;
    return 0;
}

/* The optional "worker" of a write on a leased trial; NULL when absent. */
static int holder(const json_t *body, const char **worker, struct err *e) {
    return codec_str(body, "", "worker", STORE_TRIAL_WORKER_CHARS, NULL, 0, worker, e);
}

int codec_trial_holder(const json_t *body, const char **worker, struct err *e) {
    static const char *const keys[] = {"worker", NULL};
    *worker = NULL;
    if (!body) return 0;
    if (codec_keys(body, "", keys, e) != 0) return -1;
    return holder(body, worker, e);
}

int codec_trial_report(const json_t *body, const struct study *s, struct trial_report *rep,
                       const char **worker, struct err *e) {
    static const char *const keys[] = {"step", "values", "value", "metrics", "worker", NULL};
    if (codec_keys(body, "", keys, e) != 0) return -1;
    if (holder(body, worker, e) != 0) return -1;
    long long step;
    if (codec_int(body, "", "step", 0, 100000000, 0, 1, &step, e) != 0) return -1;
    rep->step = (int)step;
    rep->n_values = s->n_objectives;
    const json_t *m = json_object_get(body, "metrics");
    if (check_metrics(m, e) != 0) return -1;
    rep->metrics = m;
    return codec_trial_values(body, s, rep->values, e);
}

int codec_trial_complete(const json_t *body, const struct study *s, double *values,
                         const char **worker, struct err *e) {
    static const char *const keys[] = {"values", "value", "metrics", "worker", NULL};
    if (codec_keys(body, "", keys, e) != 0) return -1;
    if (holder(body, worker, e) != 0) return -1;
    if (check_metrics(json_object_get(body, "metrics"), e) != 0) return -1;
    return codec_trial_values(body, s, values, e);
}

int codec_trial_fail(const json_t *body, const char **reason, const char **stderr_tail,
                     const char **worker, struct err *e) {
    static const char *const keys[] = {"reason", "stderr_tail", "worker", NULL};
    if (codec_keys(body, "", keys, e) != 0) return -1;
    if (holder(body, worker, e) != 0) return -1;
    if (codec_str(body, "", "reason", 2000, NULL, 1, reason, e) != 0) return -1;
    return codec_str(body, "", "stderr_tail", 4096, NULL, 0, stderr_tail, e);
}

int codec_trial_number(const char *s, int *number, struct err *e) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    int is_canonical = s[0] >= '0' && s[0] <= '9' && (s[0] != '0' || s[1] == '\0');
    if (!is_canonical || *end || v > 100000000) {
        return err_set(e, 404, "trial_not_found", NULL, "no trial numbered '%.40s'", s);
    }
    *number = (int)v;
    return 0;
}

int codec_trial_query_int(const char *v, const char *name, int min, int max, int dflt, int *out,
                          struct err *e) {
    *out = dflt;
    if (!v) return 0;
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < min || x > max) {
        return err_set(e, 400, "bad_query", name, "%s must be an integer from %d to %d", name, min,
                       max);
    }
    *out = (int)x;
    return 0;
}
