/* tpe: the tree-structured Parzen estimator searcher.
 * Entry points: tpe_check, tpe_suggest.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_TPE_H
#define HPOD_TPE_H

#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int tpe_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number; r and h are set up by search_propose. */
int tpe_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

#endif
