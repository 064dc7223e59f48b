/* grid: exhaustive search over the product of every param's levels.
 * Entry points: grid_check, grid_suggest.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_GRID_H
#define HPOD_GRID_H

#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int grid_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number, or return 1 when every point is taken; r
 * and h are set up by search_propose. */
int grid_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

#endif
