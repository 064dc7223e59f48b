/* random: independent uniform sampling (or a scrambled Halton sequence)
 * over the space. Also the sampler other searchers use for start-up
 * trials. Entry points: random_check, random_suggest, random_fill.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_RANDOM_H
#define HPOD_RANDOM_H

#include "search/rng.h"
#include "search/hist.h"
#include "search/rng.h"
#include "search/search.h"

int random_check(const json_t *options, const struct space *s, int n_objectives, struct err *e);
/* Fill x (one value per space parameter, NaN when inactive) with the
 * proposal for ctx->number; r and h are set up by search_propose. */
int random_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);

/* Fill x[n_params] with a uniform draw (in each param's unit scale, so log
 * where declared), NaN for params whose condition does not hold. */
void random_fill(const struct space *s, struct rng *r, double *x);

/* Fill x with point `index` of the study's scrambled Halton sequence
 * (the scrambling depends on seed only), honouring conditions like
 * random_fill. Searchers use it for start-up trials: it covers the cube
 * more evenly than independent draws. */
void random_halton_fill(const struct space *s, uint64_t seed, uint64_t index, double *x);

#endif
