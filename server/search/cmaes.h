/* cmaes: the covariance matrix adaptation evolution strategy, with
 * restarts that double the population. Entry points: cmaes_check,
 * cmaes_suggest.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CMAES_H
#define HPOD_CMAES_H

#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int cmaes_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number; r and h are set up by search_propose. */
int cmaes_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

#endif
