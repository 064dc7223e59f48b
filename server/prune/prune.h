/* prune: the one interface every pruner sits behind. A pruner looks at the
 * learning curve of one trial after its latest report, and at the curves
 * of the study's other trials, and says whether to stop it. Pruners are
 * stateless: the answer depends only on the arguments.
 * Entry points: prune_check, prune_should_stop. Pruners: none, median,
 * percentile, asha, hyperband.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_PRUNE_H
#define HPOD_PRUNE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Values of the first objective reported at steps (ascending), borrowed. */
struct prune_curve {
    int number; // trial number
    const int *steps;
    const double *values;
    size_t n;
    int is_complete; // the trial finished (not pruned, not running)
};

/* Validate a pruner name and its options at study creation. Returns 0, or
 * -1 with a 422: bad_value on "pruner.name" for an unknown pruner;
 * bad_type, bad_range, unknown_field or missing_field on
 * "pruner.options.<key>". options may be NULL. */
int prune_check(const char *name, const json_t *options, struct err *e);

/* Whether trial should stop after its latest report (1) or go on (0).
 * maximize is 1 when larger values are better. others are the curves of
 * every other trial of the study, in any state. An unknown name, or a
 * trial without reports, never prunes. A trial whose latest value is not
 * finite is stopped by every pruner but "none". */
int prune_should_stop(const char *name, const json_t *options, int maximize,
                      const struct prune_curve *trial, const struct prune_curve *others,
                      size_t n_others);

#endif
