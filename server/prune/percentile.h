/* percentile: stop a trial whose best value so far is worse than a given
 * percentile of the finished trials' values at the same step.
 * Entry points: percentile_check, percentile_should_stop, and the median
 * pruner that reuses it.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_PERCENTILE_H
#define HPOD_PERCENTILE_H

#include "prune/prune.h"

int percentile_check(const json_t *options, struct err *e);
int percentile_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                           const struct prune_curve *others, size_t n_others);

/* The rule itself with the percentile given (0-100, lower keeps fewer);
 * the median pruner calls it with 50. */
int percentile_rule(const json_t *options, double pct, int maximize,
                    const struct prune_curve *trial, const struct prune_curve *others,
                    size_t n_others);

#endif
