/* hyperband: several ASHA brackets with different early-stopping rates;
 * a trial's bracket follows from its number. Entry points:
 * hyperband_check, hyperband_should_stop.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_HYPERBAND_H
#define HPOD_HYPERBAND_H

#include "prune/prune.h"

int hyperband_check(const json_t *options, struct err *e);
int hyperband_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                          const struct prune_curve *others, size_t n_others);

/* Bracket of trial number given the options (0 = most aggressive). */
int hyperband_bracket(const json_t *options, int number);

#endif
