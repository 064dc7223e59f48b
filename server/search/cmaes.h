/* cmaes: the covariance matrix adaptation evolution strategy, with
 * restarts that double the population. Entry points: cmaes_check,
 * cmaes_propose.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CMAES_H
#define HPOD_CMAES_H

#include "search/search.h"

int cmaes_check(const json_t *options, const struct space *s,
                int n_objectives, struct err *e);
int cmaes_propose(const struct search_ctx *ctx, json_t **out, struct err *e);

#endif
