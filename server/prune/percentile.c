/* percentile: the percentile pruning rule. After a warm-up, once enough
 * trials have finished, a trial is stopped when the best value it has
 * reported so far is worse than the given percentile of the values the
 * finished trials reported at its latest step. Only finished trials are
 * compared, as pruned ones would bias the percentile towards bad values.
 * Entry points: percentile_check, percentile_should_stop, percentile_rule.
 * SPDX-License-Identifier: MIT */
#include "prune/percentile.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "search/opts.h"

static const struct opt_spec PCT_OPTS[] = {
    {"n_startup_trials", OPT_INT, 0, 1e9, NULL}, {"n_warmup_steps", OPT_INT, 0, 2e9, NULL},
    {"interval_steps", OPT_INT, 1, 2e9, NULL},   {"n_min_trials", OPT_INT, 1, 1e9, NULL},
    {"percentile", OPT_NUM, 0, 100, NULL},       {NULL, 0, 0, 0, NULL},
};

int percentile_check(const json_t *options, struct err *e) {
    return opts_check(options, "pruner.options", PCT_OPTS, e);
}

int percentile_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                           const struct prune_curve *others, size_t n_others) {
    double pct = opts_num(options, "percentile", 25);
    return percentile_rule(options, pct, maximize, trial, others, n_others);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-th percentile (0-100) of v[n] with linear interpolation; sorts v. */
static double percentile_of(double *v, size_t n, double p) {
    qsort(v, n, sizeof *v, cmp_double);
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

/* Best finite value of c, oriented so that lower is better, or NaN. */
static double best_so_far(const struct prune_curve *c, int maximize) {
    double best = NAN;
    for (size_t i = 0; i < c->n; i++) {
        double v = maximize ? -c->values[i] : c->values[i];
        if (isfinite(v) && !(v >= best)) best = v;
    }
    return best;
}

/* Value of c at exactly step, or NaN.
 * TODO: only reports at exactly the same step are compared, so trials
 * that report at different steps (every 3 epochs versus every 2) never
 * prune each other. Interpolating the other curves at the step would
 * fix it. */
static double value_at(const struct prune_curve *c, int step) {
    for (size_t i = 0; i < c->n; i++)
        if (c->steps[i] == step) return c->values[i];
    return NAN;
}

static int is_checkpoint(const json_t *options, int step) {
    long warmup = (long)opts_num(options, "n_warmup_steps", 0);
    long interval = (long)opts_num(options, "interval_steps", 1);
    return step >= warmup && (step - warmup) % interval == 0;
}

int percentile_rule(const json_t *options, double pct, int maximize,
                    const struct prune_curve *trial, const struct prune_curve *others,
                    size_t n_others) {
    if (trial->n == 0) return 0;
    int step = trial->steps[trial->n - 1];
    if (!isfinite(trial->values[trial->n - 1])) return 1;
    if (!is_checkpoint(options, step)) return 0;

    size_t n_done = 0, n_vals = 0;
    double *vals = xcalloc(n_others + 1, sizeof *vals);
    for (size_t i = 0; i < n_others; i++) {
        if (!others[i].is_complete) continue;
        n_done++;
        double v = value_at(&others[i], step);
        if (isfinite(v)) vals[n_vals++] = maximize ? -v : v;
    }
    size_t n_startup = (size_t)opts_num(options, "n_startup_trials", 5);
    size_t n_min = (size_t)opts_num(options, "n_min_trials", 1);
    int stop = 0;
    if (n_done >= n_startup && n_vals >= n_min && n_vals > 0) {
        /* Values are oriented to "lower is better", so the kept share is
         * the lowest pct percent whatever the direction. */
        double cut = percentile_of(vals, n_vals, pct);
        stop = best_so_far(trial, maximize) > cut;
    }
    free(vals);
    return stop;
}
