/* space: parsing and validation of a study's search space, and the value
 * helpers the searchers share. Nothing here samples or talks to storage.
 * Entry points: space_parse, space_check_params, space_to_unit,
 * space_from_unit, space_encode, space_decode.
 * SPDX-License-Identifier: MIT */
#include "space.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "utf8.h"

/* Bounds and steps beyond 2^53 would lose integer precision as doubles. */
#define SPACE_MAX_ABS 9007199254740992.0
#define SPACE_MAX_GRID 100000
/* Relative slack when testing "on the step" so that 0.1 + 2 * 0.1 passes. */
#define SPACE_STEP_EPS 1e-9
/* Most steps a float's range may hold. Level indices travel as doubles,
 * which hold every integer exactly only up to 2^53 (about 9e15), and
 * step_count converts (high - low) / step to size_t, which is undefined
 * once the quotient does not fit; 1e15 stays clear of both. Ints need no
 * such bound: |low|, |high| <= 2^53 and step >= 1 keep them under 2^54. */
#define SPACE_MAX_STEPS 1e15

/* ---- small helpers ---------------------------------------------------- */

static int fail(struct err *e, const char *code, const char *fmt_field, const char *name,
                const char *key, const char *msg) {
    char field[256]; // longer than err's field on purpose: err_set truncates
    snprintf(field, sizeof field, fmt_field, name, key);
    return err_set(e, 422, code, field, "%s %s", field, msg);
}

/* Two choice values are equal when both are numbers of equal value, or
 * when Jansson finds them equal (1 and 1.0 count as duplicates). */
static int value_eq(const json_t *a, const json_t *b) {
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

/* Whole steps from low to high. A quotient within rounding error of an
 * integer counts as that integer, by the same rule as on_step; a relative
 * slack on the quotient itself (floor(q * (1 + eps))) would add q * eps
 * phantom steps, a million at 1e15. parse_step keeps q at most 2^54, so
 * the conversion to size_t is defined. */
static size_t step_count(const struct space_param *p) {
    if (p->high <= p->low) return 0;
    double q = (p->high - p->low) / p->step;
    double n = round(q);
    if (fabs(q - n) > SPACE_STEP_EPS * fmax(1.0, q)) n = floor(q);
    assert(n <= 2 * SPACE_MAX_ABS);
    return (size_t)n;
}

/* Whether v lies on p's step from low. Ints are checked exactly. A float
 * counts as on the step when it is within rounding error of the nearest
 * point low + k * step, so 0.1 + 2 * 0.1 passes with step 0.1; the slack
 * is a billionth of a step, or a few units in the last place of v when
 * those are larger, and never grows with k. */
static int on_step(const struct space_param *p, double v) {
    if (p->step <= 0) return 1;
    if (p->kind == SPACE_INT) {
        long long from_low = (long long)v - (long long)p->low;
        return from_low % (long long)p->step == 0;
    }
    double nearest = p->low + round((v - p->low) / p->step) * p->step;
    double slack = fmax(SPACE_STEP_EPS * p->step, 4 * DBL_EPSILON * fmax(fabs(v), fabs(p->low)));
    return fabs(v - nearest) <= slack;
}

/* v as a double; an integer beyond 2^53, which no double holds exactly,
 * becomes an infinity of its sign so that every range check refuses it
 * instead of the nearest double passing. */
static double number_value(const json_t *v) {
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > (json_int_t)SPACE_MAX_ABS) return INFINITY;
        if (i < -(json_int_t)SPACE_MAX_ABS) return -INFINITY;
    }
    return json_number_value(v);
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_number(const json_t *obj, const char *name, const char *key, int required,
                        double *out, struct err *e) {
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return 0;
        return fail(e, "missing_field", "space.%s.%s", name, key, "is required");
    }
    if (!json_is_number(v))
        return fail(e, "bad_type", "space.%s.%s", name, key, "must be a number");
    *out = number_value(v);
    if (!isfinite(*out) || fabs(*out) > SPACE_MAX_ABS)
        return fail(e, "bad_value", "space.%s.%s", name, key,
                    "must be a finite number of magnitude <= 2^53");
    return 0;
}

static int parse_bool(const json_t *obj, const char *name, const char *key, int *out,
                      struct err *e) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    if (!json_is_boolean(v))
        return fail(e, "bad_type", "space.%s.%s", name, key, "must be a boolean");
    *out = json_is_true(v);
    return 0;
}

static int check_keys(const json_t *obj, const char *name, const char *const *allowed,
                      struct err *e) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int is_known = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) is_known = 1;
        if (!is_known)
            return fail(e, "unknown_field", "space.%s.%s", name, key,
                        "is not a known key for this type");
    }
    return 0;
}

static int parse_bounds(const json_t *obj, struct space_param *p, struct err *e) {
    const char *n = p->name;
    if (parse_number(obj, n, "low", 1, &p->low, e)) return -1;
    if (parse_number(obj, n, "high", 1, &p->high, e)) return -1;
    if (parse_bool(obj, n, "log", &p->is_log, e)) return -1;
    if (parse_number(obj, n, "step", 0, &p->step, e)) return -1;
    int is_int = p->kind == SPACE_INT;
    if (is_int && (p->low != floor(p->low) || p->high != floor(p->high)))
        return fail(e, "bad_value", "space.%s.%s", n, p->low != floor(p->low) ? "low" : "high",
                    "must be an integer for an int parameter");
    if (p->low > p->high) return fail(e, "bad_range", "space.%s.%s", n, "high", "must be >= low");
    if (p->is_log && p->low <= 0)
        return fail(e, "bad_range", "space.%s.%s", n, "low", "must be > 0 when log is true");
    return 0;
}

static int parse_step(const json_t *obj, struct space_param *p, struct err *e) {
    const char *n = p->name;
    int has_step = json_object_get(obj, "step") != NULL;
    if (!has_step) {
        p->step = p->kind == SPACE_INT && !p->is_log ? 1 : 0;
        return 0;
    }
    /* A log int takes every integer, which is step 1: Optuna's rule. */
    if (p->is_log && p->kind == SPACE_INT && p->step == 1) {
        p->step = 0;
        return 0;
    }
    if (p->is_log)
        return fail(e, "bad_value", "space.%s.%s", n, "step",
                    "cannot be combined with log, except 1 for an int");
    if (p->step <= 0) return fail(e, "bad_range", "space.%s.%s", n, "step", "must be > 0");
    if (p->kind == SPACE_INT && p->step != floor(p->step))
        return fail(e, "bad_value", "space.%s.%s", n, "step",
                    "must be an integer for an int parameter");
    if (p->high > p->low && p->step > p->high - p->low)
        return fail(e, "bad_range", "space.%s.%s", n, "step", "must be <= high - low");
    /* A quotient too large for a double becomes inf, which this refuses. */
    if (p->kind == SPACE_FLOAT && (p->high - p->low) / p->step > SPACE_MAX_STEPS)
        return fail(e, "bad_range", "space.%s.%s", n, "step",
                    "must leave at most 1e15 steps between low and high");
    return 0;
}

static int parse_grid_values(const json_t *arr, struct space_param *p, struct err *e) {
    const char *n = p->name;
    if (!json_is_array(arr))
        return fail(e, "bad_type", "space.%s.%s", n, "values", "must be an array");
    size_t len = json_array_size(arr);
    if (len == 0 || len > SPACE_MAX_GRID)
        return fail(e, "bad_value", "space.%s.%s", n, "values", "must hold 1 to 100000 numbers");
    p->grid_values = xcalloc(len, sizeof *p->grid_values);
    p->n_grid_values = len;
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(arr, i);
        double x = number_value(v);
        if (!json_is_number(v) || !isfinite(x))
            return fail(e, "bad_value", "space.%s.%s", n, "values",
                        "must hold finite numbers only");
        if (x < p->low || x > p->high || !on_step(p, x))
            return fail(e, "bad_range", "space.%s.%s", n, "values",
                        "must lie in [low, high] and on the step");
        p->grid_values[i] = x;
    }
    return 0;
}

static int parse_grid(const json_t *obj, struct space_param *p, struct err *e) {
    const char *n = p->name;
    const json_t *gp = json_object_get(obj, "grid_points");
    const json_t *vals = json_object_get(obj, "values");
    if (gp && vals)
        return fail(e, "bad_value", "space.%s.%s", n, "values",
                    "cannot be combined with grid_points");
    if (vals) return parse_grid_values(vals, p, e);
    if (!gp) return 0;
    if (!json_is_integer(gp))
        return fail(e, "bad_type", "space.%s.%s", n, "grid_points", "must be an integer");
    json_int_t k = json_integer_value(gp);
    if (k < 1 || k > SPACE_MAX_GRID)
        return fail(e, "bad_range", "space.%s.%s", n, "grid_points", "must be in [1, 100000]");
    p->grid_points = (int)k;
    return 0;
}

static int parse_choices(const json_t *obj, struct space_param *p, struct err *e) {
    const char *n = p->name;
    const json_t *arr = json_object_get(obj, "choices");
    if (!arr) return fail(e, "missing_field", "space.%s.%s", n, "choices", "is required");
    if (!json_is_array(arr))
        return fail(e, "bad_type", "space.%s.%s", n, "choices", "must be an array");
    size_t len = json_array_size(arr);
    if (len == 0) return fail(e, "bad_value", "space.%s.%s", n, "choices", "must not be empty");
    /* The duplicate check and every searcher's per-choice work grow with
     * the count; past a thousand a categorical is better an int index. */
    if (len > SPACE_MAX_CHOICES)
        return fail(e, "bad_range", "space.%s.%s", n, "choices", "must hold at most 1000 choices");
    for (size_t i = 0; i < len; i++) {
        const json_t *c = json_array_get(arr, i);
        char key[32];
        snprintf(key, sizeof key, "choices[%zu]", i);
        if (!json_is_string(c) && !json_is_number(c) && !json_is_boolean(c))
            return fail(e, "bad_type", "space.%s.%s", n, key,
                        "must be a string, number or boolean");
        if (json_is_number(c) && !isfinite(json_number_value(c)))
            return fail(e, "bad_value", "space.%s.%s", n, key, "must be finite");
        for (size_t j = 0; j < i; j++)
            if (value_eq(c, json_array_get(arr, j)))
                return fail(e, "bad_value", "space.%s.%s", n, key, "duplicates an earlier choice");
    }
    p->choices = json_deep_copy(arr);
    p->n_choices = len;
    return 0;
}

/* Index of a choice equal to v, or -1. */
static int choice_index(const struct space_param *p, const json_t *v) {
    for (size_t i = 0; i < p->n_choices; i++)
        if (value_eq(v, json_array_get(p->choices, i))) return (int)i;
    return -1;
}

/* Translate one "when" value into the parent's internal value (choice
 * index or integer), or return NaN when the parent cannot take it. */
static double when_value(const struct space_param *parent, const json_t *v) {
    if (parent->kind == SPACE_CAT) {
        int k = choice_index(parent, v);
        return k < 0 ? NAN : k;
    }
    if (!json_is_number(v)) return NAN;
    double x = number_value(v);
    if (x != floor(x) || x < parent->low || x > parent->high || !on_step(parent, x)) return NAN;
    return x;
}

static int parse_when(const json_t *obj, const struct space *s, struct space_param *p,
                      struct err *e) {
    const char *n = p->name;
    const json_t *w = json_object_get(obj, "when");
    if (!w) return 0;
    if (!json_is_object(w) || json_object_size(w) != 1)
        return fail(e, "bad_condition", "space.%s.%s", n, "when",
                    "must be an object naming exactly one parent");
    const char *pname = json_object_iter_key(json_object_iter((json_t *)w));
    const json_t *vals = json_object_get(w, pname);
    char key[128];
    snprintf(key, sizeof key, "when.%.100s", pname);
    int parent = space_find(s, pname);
    if (parent < 0)
        return fail(e, "bad_condition", "space.%s.%s", n, key,
                    "must name another parameter of the space, without a cycle of conditions");
    const struct space_param *pp = &s->params[parent];
    if (pp->kind == SPACE_FLOAT)
        return fail(e, "bad_condition", "space.%s.%s", n, key,
                    "must name a categorical or int parameter");
    size_t len = json_is_array(vals) ? json_array_size(vals) : 1;
    if (len == 0) return fail(e, "bad_condition", "space.%s.%s", n, key, "must not be empty");
    p->when = xcalloc(len, sizeof *p->when);
    p->n_when = len;
    p->parent = parent;
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_is_array(vals) ? json_array_get(vals, i) : vals;
        p->when[i] = when_value(pp, v);
        if (isnan(p->when[i]))
            return fail(e, "bad_condition", "space.%s.%s", n, key,
                        "holds a value the parent cannot take");
    }
    return 0;
}

static const char *const FLOAT_KEYS[] = {"type", "low",         "high",   "log", "step",
                                         "when", "grid_points", "values", NULL};
static const char *const INT_KEYS[] = {"type", "low", "high", "log", "step", "when", NULL};
static const char *const CAT_KEYS[] = {"type", "choices", "when", NULL};

static int parse_type(const json_t *obj, struct space_param *p, struct err *e) {
    const json_t *t = json_object_get(obj, "type");
    if (!t) return fail(e, "missing_field", "space.%s.%s", p->name, "type", "is required");
    const char *ts = json_string_value(t);
    if (!ts) return fail(e, "bad_type", "space.%s.%s", p->name, "type", "must be a string");
    if (strcmp(ts, "float") == 0)
        p->kind = SPACE_FLOAT;
    else if (strcmp(ts, "int") == 0)
        p->kind = SPACE_INT;
    else if (strcmp(ts, "categorical") == 0)
        p->kind = SPACE_CAT;
    else
        return fail(e, "bad_value", "space.%s.%s", p->name, "type",
                    "must be \"float\", \"int\" or \"categorical\"");
    return 0;
}

/* Parse param definition obj into p, which s will own. Params declared
 * before it are s->params[0 .. s->n_params - 1]. */
static int parse_param(const json_t *obj, const struct space *s, struct space_param *p,
                       struct err *e) {
    p->parent = -1;
    if (!json_is_object(obj))
        return fail(e, "bad_type", "space.%s%s", p->name, "", "must be an object");
    if (parse_type(obj, p, e)) return -1;
    if (p->kind == SPACE_CAT) {
        if (check_keys(obj, p->name, CAT_KEYS, e)) return -1;
        if (parse_choices(obj, p, e)) return -1;
    } else {
        const char *const *keys = p->kind == SPACE_INT ? INT_KEYS : FLOAT_KEYS;
        if (check_keys(obj, p->name, keys, e)) return -1;
        if (parse_bounds(obj, p, e)) return -1;
        if (parse_step(obj, p, e)) return -1;
        if (parse_grid(obj, p, e)) return -1;
    }
    return parse_when(obj, s, p, e);
}

int space_parse(const json_t *space_json, struct space **out, struct err *e) {
    *out = NULL;
    if (!json_is_object(space_json))
        return err_set(e, 422, "bad_type", "space", "space must be an object");
    size_t n = json_object_size(space_json);
    if (n == 0)
        return err_set(e, 422, "bad_value", "space", "space must declare at least one parameter");
    struct space *s = xcalloc(1, sizeof *s);
    s->params = xcalloc(n, sizeof *s->params);
    const char *name;
    const json_t *def;
    /* Jansson keeps insertion order, which is the order given. */
    json_object_foreach((json_t *)space_json, name, def) {
        struct space_param *p = &s->params[s->n_params];
        size_t len = utf8_chars(name, strlen(name));
        if (len == 0 || len > SPACE_MAX_NAME) {
            space_free(s);
            return err_set(e, 422, "bad_value", "space",
                           "space parameter names must have 1 to %d characters", SPACE_MAX_NAME);
        }
        p->name = xstrdup(name);
        int rc = parse_param(def, s, p, e);
        s->n_params++;
        if (rc) {
            space_free(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

void space_free(struct space *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_params; i++) {
        struct space_param *p = &s->params[i];
        free(p->name);
        json_decref(p->choices);
        free(p->when);
        free(p->grid_values);
    }
    free(s->params);
    free(s);
}

int space_find(const struct space *s, const char *name) {
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].name, name) == 0) return (int)i;
    return -1;
}

/* ---- value helpers ---------------------------------------------------- */

size_t space_n_levels(const struct space_param *p) {
    if (p->kind == SPACE_CAT) return p->n_choices;
    if (p->kind == SPACE_INT && p->is_log) return (size_t)(p->high - p->low) + 1;
    if (p->step <= 0) return p->low == p->high ? 1 : 0;
    return step_count(p) + 1;
}

double space_level(const struct space_param *p, size_t k) {
    if (p->kind == SPACE_CAT) return (double)k;
    if (p->step <= 0) return p->low + (double)k; // log int: every integer
    return fmin(p->low + (double)k * p->step, p->high);
}

/* Log-int bins run from low - 0.5 to high + 0.5 on the log scale so that
 * both ends get a bin of their own and high stays reachable. */
static void log_int_edges(const struct space_param *p, double *a, double *b) {
    *a = log(p->low - 0.5 > 0 ? p->low - 0.5 : p->low * 0.5);
    *b = log(p->high + 0.5);
}

double space_to_unit(const struct space_param *p, double v) {
    if (p->kind == SPACE_CAT) return (v + 0.5) / (double)p->n_choices;
    if (p->kind == SPACE_INT && p->is_log) {
        double a, b;
        log_int_edges(p, &a, &b);
        return (log(v) - a) / (b - a);
    }
    if (p->low == p->high) return 0.5;
    if (p->step > 0) {
        size_t n = step_count(p) + 1;
        double k = round((v - p->low) / p->step);
        return (k + 0.5) / (double)n;
    }
    if (p->is_log) return (log(v) - log(p->low)) / (log(p->high) - log(p->low));
    return (v - p->low) / (p->high - p->low);
}

static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

double space_from_unit(const struct space_param *p, double u) {
    u = isnan(u) ? 0.5 : clamp(u, 0, 1);
    if (p->kind == SPACE_CAT) {
        double k = floor(u * (double)p->n_choices);
        return fmin(k, (double)p->n_choices - 1);
    }
    if (p->low == p->high) return p->low;
    if (p->kind == SPACE_INT && p->is_log) {
        double a, b;
        log_int_edges(p, &a, &b);
        return clamp(round(exp(a + u * (b - a))), p->low, p->high);
    }
    if (p->step > 0) {
        size_t n = step_count(p) + 1;
        double k = fmin(floor(u * (double)n), (double)n - 1);
        return space_level(p, (size_t)k);
    }
    if (u == 1) return p->high;
    double v = p->is_log ? exp(log(p->low) + u * (log(p->high) - log(p->low)))
                         : p->low + u * (p->high - p->low);
    return clamp(v, p->low, p->high);
}

double space_snap(const struct space_param *p, double v) {
    if (p->kind == SPACE_CAT) return clamp(round(v), 0, (double)p->n_choices - 1);
    v = clamp(v, p->low, p->high);
    if (p->kind == SPACE_INT && p->is_log) return clamp(round(v), p->low, p->high);
    if (p->step <= 0) return v;
    double k = clamp(round((v - p->low) / p->step), 0, (double)step_count(p));
    return space_level(p, (size_t)k);
}

int space_is_active(const struct space *s, size_t i, const double *x) {
    const struct space_param *p = &s->params[i];
    if (p->parent < 0) return 1;
    double pv = x[p->parent];
    if (isnan(pv)) return 0;
    for (size_t k = 0; k < p->n_when; k++)
        if (p->when[k] == pv) return 1;
    return 0;
}

void space_deactivate(const struct space *s, double *x) {
    for (size_t i = 0; i < s->n_params; i++)
        if (!space_is_active(s, i, x)) x[i] = NAN;
}

/* Internal value of v for p, or NaN when v is not a legal value. */
static double decode_one(const struct space_param *p, const json_t *v) {
    if (p->kind == SPACE_CAT) {
        int k = choice_index(p, v);
        return k < 0 ? NAN : k;
    }
    if (!json_is_number(v)) return NAN;
    double x = number_value(v);
    if (!isfinite(x) || x < p->low || x > p->high) return NAN;
    if (p->kind == SPACE_INT && x != floor(x)) return NAN;
    return on_step(p, x) ? x : NAN;
}

void space_decode(const struct space *s, const json_t *params, double *x) {
    for (size_t i = 0; i < s->n_params; i++) {
        const json_t *v = json_object_get(params, s->params[i].name);
        x[i] = v ? decode_one(&s->params[i], v) : NAN;
    }
}

json_t *space_encode(const struct space *s, const double *x_in) {
    /* Resolve nested conditions on a copy: a param whose parent is itself
     * inactive must drop out even if x_in still holds a parent value. */
    double *x = xcalloc(s->n_params + 1, sizeof *x);
    memcpy(x, x_in, s->n_params * sizeof *x);
    space_deactivate(s, x);
    json_t *obj = json_object();
    for (size_t i = 0; i < s->n_params; i++) {
        const struct space_param *p = &s->params[i];
        if (isnan(x[i])) continue;
        json_t *v;
        if (p->kind == SPACE_CAT)
            v = json_deep_copy(json_array_get(p->choices, (size_t)x[i]));
        else if (p->kind == SPACE_INT)
            v = json_integer((json_int_t)x[i]);
        else
            v = json_real(x[i]);
        json_object_set_new(obj, p->name, v);
    }
    free(x);
    return obj;
}

/* ---- validating user-given params ------------------------------------- */

static int check_one(const struct space_param *p, const json_t *v, struct err *e) {
    const char *n = p->name;
    if (p->kind == SPACE_CAT) {
        if (choice_index(p, v) < 0)
            return fail(e, "bad_value", "params.%s%s", n, "", "is not one of the choices");
        return 0;
    }
    if (!json_is_number(v)) return fail(e, "bad_type", "params.%s%s", n, "", "must be a number");
    double x = number_value(v);
    if (!isfinite(x) || x < p->low || x > p->high)
        return fail(e, "bad_range", "params.%s%s", n, "", "must lie in [low, high]");
    if (p->kind == SPACE_INT && x != floor(x))
        return fail(e, "bad_value", "params.%s%s", n, "", "must be an integer");
    if (!on_step(p, x)) return fail(e, "bad_value", "params.%s%s", n, "", "must lie on the step");
    return 0;
}

int space_check_params(const struct space *s, const json_t *params, struct err *e) {
    if (!json_is_object(params))
        return err_set(e, 422, "bad_type", "params", "params must be an object");
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)params, name, v) {
        if (space_find(s, name) < 0)
            return fail(e, "unknown_field", "params.%s%s", name, "",
                        "is not a parameter of the space");
    }
    double *x = xcalloc(s->n_params, sizeof *x);
    space_decode(s, params, x);
    int rc = 0;
    for (size_t i = 0; i < s->n_params && rc == 0; i++) {
        const struct space_param *p = &s->params[i];
        v = json_object_get(params, p->name);
        int is_active = space_is_active(s, i, x);
        if (is_active && !v)
            rc = fail(e, "missing_field", "params.%s%s", p->name, "", "is required");
        else if (!is_active && v)
            rc = fail(e, "bad_condition", "params.%s%s", p->name, "",
                      "must be absent: its condition does not hold");
        else if (v)
            rc = check_one(p, v, e);
    }
    free(x);
    return rc;
}
