/* importance: how much of an objective's variation each parameter explains,
 * estimated the fANOVA way (Hutter, Hoos and Leyton-Brown, "An efficient
 * approach for assessing hyperparameter importance", ICML 2014): fit a
 * small random forest of regression trees on the finished trials, then
 * split each tree's prediction variance over the unit cube into the share
 * carried by each parameter's main effect. It reads and writes nothing:
 * the caller brings the data (store_importance) and replies
 * (h_importance). Entry point: importance_compute.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_IMPORTANCE_H
#define HPOD_IMPORTANCE_H

#include <stddef.h>

#include "space.h"

/* The name of the method, as the API reports it. */
#define IMPORTANCE_METHOD "fanova_random_forest"

/* Fill share[s->n_params] with each parameter's share of the main-effect
 * variance of y; the shares are >= 0 and sum to 1. x holds n rows of
 * s->n_params raw values as space_decode gives them (NaN = inactive) and
 * y the n objective values; both are borrowed. With fewer than two
 * trials, or a constant objective, nothing can be told apart and every
 * parameter gets the same share. Deterministic: the same data always
 * gives the same shares. Cannot fail. */
void importance_compute(const struct space *s, const double *x, const double *y, size_t n,
                        double *share);

#endif
