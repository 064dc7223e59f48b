/* gp: Gaussian-process Bayesian optimisation (Matern 5/2 ARD kernel).
 * Entry points: gp_check, gp_propose.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_GP_H
#define HPOD_GP_H

#include "search/search.h"

int gp_check(const json_t *options, const struct space *s, int n_objectives,
             struct err *e);
int gp_propose(const struct search_ctx *ctx, json_t **out, struct err *e);

#endif
