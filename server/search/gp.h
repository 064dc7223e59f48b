/* gp: Gaussian-process Bayesian optimisation (Matern 5/2 ARD kernel).
 * Entry points: gp_check, gp_suggest.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_GP_H
#define HPOD_GP_H

#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int gp_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number; r and h are set up by search_propose. */
int gp_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

#endif
