/* grid: exhaustive search. Points are enumerated in mixed radix over the
 * params' levels (choices, integers, float grid_points or values), and a
 * point whose inactive params are not at level 0 is skipped so that each
 * conditional configuration appears once. A proposal is the first point
 * not already in the history; it does not shuffle.
 * Entry points: grid_check, grid_suggest.
 * SPDX-License-Identifier: MIT */
#include "search/grid.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "search/opts.h"

/* Upper bound on grid points; the used-point bitmap and the scan per
 * proposal are linear in it, about 10 ms at this size. */
#define GRID_MAX_POINTS 1000000

static const struct opt_spec GRID_OPTS[] = {{NULL, 0, 0, 0, NULL}};

struct levels {
    double *v; // sorted, distinct legal values
    size_t n;
};

static void float_levels(const struct space_param *p, struct levels *l) {
    size_t n = p->n_grid_values ? p->n_grid_values : (size_t)p->grid_points;
    l->v = xcalloc(n + 1, sizeof *l->v);
    for (size_t k = 0; k < n; k++) {
        double u = n == 1 ? 0.5 : (double)k / (double)(n - 1);
        double raw = p->is_log ? exp(log(p->low) + u * (log(p->high) - log(p->low)))
                               : p->low + u * (p->high - p->low);
        if (k == n - 1 && n > 1) raw = p->high;
        l->v[k] = space_snap(p, p->n_grid_values ? p->grid_values[k] : raw);
    }
    /* Sort (explicit values may come in any order), then drop repeats that
     * snapping to a step can create. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && l->v[j - 1] > l->v[j]; j--) {
            double t = l->v[j];
            l->v[j] = l->v[j - 1];
            l->v[j - 1] = t;
        }
    l->n = 0;
    for (size_t k = 0; k < n; k++)
        if (l->n == 0 || l->v[l->n - 1] != l->v[k]) l->v[l->n++] = l->v[k];
}

/* Why a param cannot join the grid. */
enum levels_fault { LEVELS_OK, LEVELS_NONE, LEVELS_TOO_MANY };

/* Fill l for param p. LEVELS_NONE: a continuous float without
 * grid_points or values; LEVELS_TOO_MANY: more levels than the whole grid
 * may hold (l stays empty, so a huge count allocates nothing). */
static enum levels_fault param_levels(const struct space_param *p, struct levels *l) {
    l->v = NULL;
    l->n = 0;
    if (p->kind == SPACE_FLOAT && (p->grid_points || p->n_grid_values)) {
        float_levels(p, l);
        return LEVELS_OK;
    }
    size_t n = space_n_levels(p);
    if (n == 0) return LEVELS_NONE;
    if (n > GRID_MAX_POINTS) return LEVELS_TOO_MANY;
    l->v = xcalloc(n, sizeof *l->v);
    for (size_t k = 0; k < n; k++) l->v[k] = space_level(p, k);
    l->n = n;
    return LEVELS_OK;
}

static void free_levels(struct levels *ls, size_t n) {
    for (size_t i = 0; i < n; i++) free(ls[i].v);
    free(ls);
}

/* A param that cannot join the grid: its index and why. */
struct levels_bad {
    int param;
    enum levels_fault why;
};

/* Levels of every param, and the product of their counts in *total (0
 * when it exceeds GRID_MAX_POINTS). Returns NULL, naming the param and
 * the reason in *bad, when one param has no levels or too many. */
static struct levels *all_levels(const struct space *s, size_t *total, struct levels_bad *bad) {
    struct levels *ls = xcalloc(s->n_params + 1, sizeof *ls);
    *total = 1;
    for (size_t i = 0; i < s->n_params; i++) {
        enum levels_fault why = param_levels(&s->params[i], &ls[i]);
        if (why != LEVELS_OK) {
            *bad = (struct levels_bad){(int)i, why};
            free_levels(ls, i);
            return NULL;
        }
        if (*total > GRID_MAX_POINTS / ls[i].n)
            *total = GRID_MAX_POINTS + 1;
        else
            *total *= ls[i].n;
    }
    if (*total > GRID_MAX_POINTS) *total = 0;
    return ls;
}

/* The 422 for a param that cannot join the grid. Too many levels in one
 * param is the same bad_value as too many points over several, but names
 * the param, since that is what the client must change. */
static int levels_error(const struct space_param *p, enum levels_fault why, struct err *e) {
    char field[96];
    if (why == LEVELS_NONE) {
        snprintf(field, sizeof field, "space.%s.grid_points", p->name);
        return err_set(e, 422, "missing_field", field, "%s is required by the grid searcher",
                       field);
    }
    snprintf(field, sizeof field, "space.%s", p->name);
    return err_set(e, 422, "bad_value", field,
                   "%s: the grid would have more than %d points; narrow [low, high] or "
                   "widen the step%s",
                   field, GRID_MAX_POINTS, p->kind == SPACE_FLOAT ? ", or give grid_points" : "");
}

int grid_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)n_objectives;
    if (opts_check(options, "searcher.options", GRID_OPTS, e)) return -1;
    size_t total;
    struct levels_bad bad;
    struct levels *ls = all_levels(s, &total, &bad);
    if (!ls) return levels_error(&s->params[bad.param], bad.why, e);
    free_levels(ls, s->n_params);
    if (total == 0)
        return err_set(e, 422, "bad_value", "searcher.name",
                       "searcher.name: the grid would have more than %d points", GRID_MAX_POINTS);
    return 0;
}

/* Grid index of x, or -1 when x is not a grid point. */
static long point_index(const struct space *s, const struct levels *ls, const double *x) {
    long idx = 0, radix = 1;
    for (size_t i = 0; i < s->n_params; i++) {
        long digit = 0;
        if (!isnan(x[i])) {
            digit = -1;
            for (size_t k = 0; k < ls[i].n && digit < 0; k++)
                if (fabs(ls[i].v[k] - x[i]) <= 1e-9 * fmax(1, fabs(x[i]))) digit = (long)k;
            if (digit < 0) return -1;
        }
        idx += digit * radix;
        radix *= (long)ls[i].n;
    }
    return idx;
}

/* Decode grid index g into x; returns 0 when an inactive param has a
 * non-zero digit (a duplicate of the same configuration). */
static int point_at(const struct space *s, const struct levels *ls, long g, double *x) {
    for (size_t i = 0; i < s->n_params; i++) {
        long digit = g % (long)ls[i].n;
        g /= (long)ls[i].n;
        if (space_is_active(s, i, x))
            x[i] = ls[i].v[digit];
        else if (digit != 0)
            return 0;
        else
            x[i] = NAN;
    }
    return 1;
}

int grid_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    (void)r;
    (void)h;
    const struct space *s = ctx->space;
    size_t total;
    struct levels_bad bad;
    struct levels *ls = all_levels(s, &total, &bad);
    if (!ls || total == 0) {
        if (ls) free_levels(ls, s->n_params);
        return 1; // search_check refuses such studies; nothing to offer
    }
    unsigned char *used = xcalloc(total, 1);
    for (size_t t = 0; t < ctx->n_trials; t++) {
        space_decode(s, ctx->trials[t].params, x);
        long g = point_index(s, ls, x);
        if (g >= 0) used[g] = 1;
    }
    int rc = 1;
    for (long g = 0; g < (long)total && rc == 1; g++)
        if (!used[g] && point_at(s, ls, g, x)) rc = 0;
    free(used);
    free_levels(ls, s->n_params);
    return rc;
}
