/* opts: validation of the small options objects of searchers and pruners.
 * It knows no option names itself; each searcher passes its own table.
 * Entry points: opts_check and the opts_num/bool/str getters.
 * SPDX-License-Identifier: MIT */
#include "search/opts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct opt_spec *find_spec(const struct opt_spec *specs, const char *key) {
    for (; specs->key; specs++)
        if (strcmp(specs->key, key) == 0) return specs;
    return NULL;
}

static int check_number(const struct opt_spec *sp, const json_t *v, const char *field,
                        struct err *e) {
    int is_int_ok = sp->type == OPT_INT ? json_is_integer(v) : json_is_number(v);
    if (!is_int_ok)
        return err_set(e, 422, "bad_type", field, "%s must be %s", field,
                       sp->type == OPT_INT ? "an integer" : "a number");
    double x = json_number_value(v);
    if (!isfinite(x) || x < sp->lo || x > sp->hi)
        return err_set(e, 422, "bad_range", field, "%s must be in [%g, %g]", field, sp->lo, sp->hi);
    return 0;
}

static int check_enum(const struct opt_spec *sp, const json_t *v, const char *field,
                      struct err *e) {
    const char *s = json_string_value(v);
    if (!s) return err_set(e, 422, "bad_type", field, "%s must be a string", field);
    char allowed[120] = "";
    for (const char *const *n = sp->names; *n; n++) {
        if (strcmp(*n, s) == 0) return 0;
        size_t len = strlen(allowed);
        snprintf(allowed + len, sizeof allowed - len, "%s%s", len ? ", " : "", *n);
    }
    return err_set(e, 422, "bad_value", field, "%s must be one of: %s", field, allowed);
}

static int check_one(const struct opt_spec *sp, const json_t *v, const char *field, struct err *e) {
    switch (sp->type) {
    case OPT_BOOL:
        if (!json_is_boolean(v))
            return err_set(e, 422, "bad_type", field, "%s must be a boolean", field);
        return 0;
    case OPT_ENUM: return check_enum(sp, v, field, e);
    default: return check_number(sp, v, field, e);
    }
}

int opts_check(const json_t *options, const char *prefix, const struct opt_spec *specs,
               struct err *e) {
    if (!options || json_is_null(options)) return 0;
    if (!json_is_object(options))
        return err_set(e, 422, "bad_type", prefix, "%s must be an object", prefix);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)options, key, v) {
        char field[96];
        snprintf(field, sizeof field, "%.40s.%.50s", prefix, key);
        const struct opt_spec *sp = find_spec(specs, key);
        if (!sp) return err_set(e, 422, "unknown_field", field, "%s is not an option", field);
        if (check_one(sp, v, field, e)) return -1;
    }
    return 0;
}

double opts_num(const json_t *options, const char *key, double def) {
    const json_t *v = json_object_get(options, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

int opts_bool(const json_t *options, const char *key, int def) {
    const json_t *v = json_object_get(options, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *opts_str(const json_t *options, const char *key, const char *def) {
    const char *s = json_string_value(json_object_get(options, key));
    return s ? s : def;
}
