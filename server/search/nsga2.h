/* nsga2: the NSGA-II genetic algorithm for one or more objectives.
 * Entry points: nsga2_check, nsga2_suggest.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NSGA2_H
#define HPOD_NSGA2_H

#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int nsga2_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number; r and h are set up by search_propose. */
int nsga2_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

#endif
