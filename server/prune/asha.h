/* asha: asynchronous successive halving. A trial crossing a rung goes on
 * only if it is in the top 1/reduction_factor of the trials that reached
 * that rung. Entry points: asha_check, asha_should_stop, and asha_rule,
 * which the hyperband pruner reuses per bracket.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_ASHA_H
#define HPOD_ASHA_H

#include "prune/prune.h"

/* Rung geometry: rung k sits at step min_resource * eta^(rate + k); rungs
 * at or past max_resource (when > 0) are not decided on. */
struct asha_rungs {
    double min_resource;
    double eta;
    double max_resource;
    int rate; // minimum early-stopping rate (the bracket, for hyperband)
};

int asha_check(const json_t *options, struct err *e);
int asha_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                     const struct prune_curve *others, size_t n_others);

/* The rule for given rungs; others are the trials competing with it. */
int asha_rule(const struct asha_rungs *r, int maximize, const struct prune_curve *trial,
              const struct prune_curve *others, size_t n_others);

#endif
