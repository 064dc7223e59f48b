/* space: the search space of a study, parsed and validated from its JSON
 * definition, plus the value helpers every searcher shares (unit-interval
 * mapping, conditional activity, JSON encoding). It does not sample; the
 * searchers in search/ do. Entry points: space_parse, space_check_params,
 * space_to_unit, space_from_unit, space_is_active, space_encode.
 *
 * Error codes (all HTTP 422; field is the JSON path at fault):
 *   bad_type       a value has the wrong JSON type ("low" is a string)
 *   missing_field  a required key is absent ("high", "choices", a param)
 *   unknown_field  a key or parameter name is not part of the definition
 *   bad_range      a bound, step or count is out of range (low > high,
 *                  log with low <= 0, step <= 0 or larger than high - low,
 *                  a float step giving more than 1e15 steps, a value
 *                  outside [low, high], more than 1000 choices)
 *   bad_value      a value is not allowed (unknown type, non-finite number,
 *                  non-integer int bound, empty or duplicate choices, value
 *                  off its step or not among the choices)
 *   bad_condition  a "when" clause is wrong (parent not declared before,
 *                  not categorical or int, value the parent cannot take),
 *                  or a given param is present while its condition is false
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_SPACE_H
#define HPOD_SPACE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

enum space_kind { SPACE_FLOAT, SPACE_INT, SPACE_CAT };

#define SPACE_MAX_CHOICES 1000
/* Parameter names: up to this many characters, so up to four times as
 * many bytes in UTF-8. */
#define SPACE_MAX_NAME 64
#define SPACE_MAX_NAME_BYTES (4 * SPACE_MAX_NAME)

/* One parameter. Values are held as doubles everywhere in the searchers:
 * floats and ints as themselves, categoricals as the index of the choice,
 * and NaN for "inactive / absent". */
struct space_param {
    char *name;
    enum space_kind kind;
    double low, high; // float and int bounds, inclusive
    double step;      // 0 for a continuous float; ints default to 1
    int is_log;
    json_t *choices; // categorical: array of scalars (owned)
    size_t n_choices;
    int parent;   // index of the conditioning param, or -1
    double *when; // parent values (choice index or int) that enable it
    size_t n_when;
    int grid_points;     // float grid: number of points, or 0
    double *grid_values; // float grid: explicit sorted values, or NULL
    size_t n_grid_values;
};

struct space {
    struct space_param *params; // in the order the definition lists them
    size_t n_params;
};

/* Parse and validate a "space" object. On success *out is a new space
 * (free with space_free) and 0 is returned; otherwise -1 with a 422 in e
 * (codes above, fields like "space.lr.low"). Borrows space_json. */
int space_parse(const json_t *space_json, struct space **out, struct err *e);

/* Free a space; NULL is a no-op. */
void space_free(struct space *s);

/* Validate a user-given params object against the space: every active
 * parameter present and legal, inactive ones absent, no unknown names.
 * Returns 0, or -1 with a 422 whose field is "params.<name>". */
int space_check_params(const struct space *s, const json_t *params, struct err *e);

/* Index of the parameter called name, or -1. */
int space_find(const struct space *s, const char *name);

/* Number of distinct values of a discrete parameter (int, stepped float,
 * categorical), or 0 for a continuous float. */
size_t space_n_levels(const struct space_param *p);

/* Value of level k (0 <= k < space_n_levels) of a discrete parameter. */
double space_level(const struct space_param *p, size_t k);

/* Map a legal value to [0, 1], on a log scale where declared. Discrete
 * values map to the centre of their equal-width bin, so that
 * space_from_unit(space_to_unit(v)) == v. A categorical index k of n maps
 * to (k + 0.5) / n. */
double space_to_unit(const struct space_param *p, double v);

/* Map any u (clamped to [0, 1]) to a legal value: inside [low, high]
 * exactly, on the step, integral for ints, a choice index for
 * categoricals. u = 1 reaches high (for a log int too). */
double space_from_unit(const struct space_param *p, double u);

/* Round an arbitrary number to the nearest legal value of p. */
double space_snap(const struct space_param *p, double v);

/* Whether parameter i is active given the values x[0..i-1] of the params
 * declared before it (only its parent matters; NaN means inactive). */
int space_is_active(const struct space *s, size_t i, const double *x);

/* Decode a params object into x[n_params]: NaN for params that are absent,
 * inactive or not legal values. Borrows params. */
void space_decode(const struct space *s, const json_t *params, double *x);

/* Return a new params object holding the active params of x, in space
 * order: ints as JSON integers, floats as reals, categoricals as their
 * choice. The caller decrefs it. Inactive params are left out. */
json_t *space_encode(const struct space *s, const double *x);

/* Set x[i] = NaN for every param that is inactive given the others,
 * walking in declaration order so that nested conditions resolve. */
void space_deactivate(const struct space *s, double *x);

#endif
