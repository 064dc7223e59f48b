/* median: the percentile rule at 50: stop a trial whose best value so far
 * is worse than the median of finished trials at the same step.
 * Entry points: median_check, median_should_stop.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_MEDIAN_H
#define HPOD_MEDIAN_H

#include "prune/prune.h"

int median_check(const json_t *options, struct err *e);
int median_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                       const struct prune_curve *others, size_t n_others);

#endif
