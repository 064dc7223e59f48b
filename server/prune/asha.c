/* asha: asynchronous successive halving. Decisions are taken only at the
 * report where a trial first crosses a rung; a trial that reached it
 * earlier is never judged again there, so late good trials cannot demote
 * it. A trial is compared on its value at the first step at or past the
 * rung, as are its competitors. It keeps no state: rungs are recomputed
 * from the curves on every call.
 * Entry points: asha_check, asha_should_stop, asha_rule.
 * SPDX-License-Identifier: MIT */
#include "prune/asha.h"

#include <math.h>

#include "search/opts.h"

static const struct opt_spec ASHA_OPTS[] = {
    {"min_resource", OPT_INT, 1, 2e9, NULL},
    {"reduction_factor", OPT_NUM, 2, 1e6, NULL},
    {"max_resource", OPT_INT, 1, 2e9, NULL},
    {"min_early_stopping_rate", OPT_INT, 0, 60, NULL},
    {NULL, 0, 0, 0, NULL},
};

int asha_check(const json_t *options, struct err *e) {
    if (opts_check(options, "pruner.options", ASHA_OPTS, e)) return -1;
    double lo = opts_num(options, "min_resource", 1);
    double hi = opts_num(options, "max_resource", 0);
    if (hi > 0 && hi < lo)
        return err_set(e, 422, "bad_range", "pruner.options.max_resource",
                       "pruner.options.max_resource must be >= min_resource");
    return 0;
}

int asha_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                     const struct prune_curve *others, size_t n_others) {
    struct asha_rungs r = {
        .min_resource = opts_num(options, "min_resource", 1),
        .eta = opts_num(options, "reduction_factor", 3),
        .max_resource = opts_num(options, "max_resource", 0),
        .rate = (int)opts_num(options, "min_early_stopping_rate", 0),
    };
    return asha_rule(&r, maximize, trial, others, n_others);
}

static double rung_step(const struct asha_rungs *r, int k) {
    return r->min_resource * pow(r->eta, r->rate + k);
}

/* Highest rung k with prev < rung_step(k) <= last, or -1. */
static int crossed_rung(const struct asha_rungs *r, double prev, double last) {
    int found = -1;
    for (int k = 0; k < 64; k++) {
        double s = rung_step(r, k);
        if (s > last) break;
        if (r->max_resource > 0 && s >= r->max_resource) break;
        if (s > prev) found = k;
    }
    return found;
}

/* Value of c at the first step >= step, oriented so lower is better;
 * +inf for a non-finite value, NaN when c never got there. */
static double value_at_rung(const struct prune_curve *c, double step, int maximize) {
    for (size_t i = 0; i < c->n; i++) {
        if (c->steps[i] < step) continue;
        double v = maximize ? -c->values[i] : c->values[i];
        return isfinite(v) ? v : INFINITY;
    }
    return NAN;
}

int asha_rule(const struct asha_rungs *r, int maximize, const struct prune_curve *trial,
              const struct prune_curve *others, size_t n_others) {
    if (trial->n == 0) return 0;
    double last = trial->steps[trial->n - 1];
    if (!isfinite(trial->values[trial->n - 1])) return 1;
    double prev = trial->n > 1 ? trial->steps[trial->n - 2] : -INFINITY;
    int k = crossed_rung(r, prev, last);
    if (k < 0) return 0;

    double step = rung_step(r, k);
    double mine = value_at_rung(trial, step, maximize);
    size_t n_at_rung = 1, n_better = 0;
    for (size_t i = 0; i < n_others; i++) {
        double v = value_at_rung(&others[i], step, maximize);
        if (isnan(v)) continue;
        n_at_rung++;
        n_better += v < mine;
    }
    /* Keep the top 1/eta. While fewer than eta trials reached the rung,
     * no top share exists yet; keep the trial only if it leads, since a
     * stopped trial cannot be resumed later. */
    size_t n_keep = (size_t)floor((double)n_at_rung / r->eta);
    if (n_keep < 1) n_keep = 1;
    return n_better >= n_keep;
}
