/* nsga2: the NSGA-II genetic algorithm for one or more objectives.
 * Entry points: nsga2_check, nsga2_propose.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NSGA2_H
#define HPOD_NSGA2_H

#include "search/search.h"

int nsga2_check(const json_t *options, const struct space *s,
                int n_objectives, struct err *e);
int nsga2_propose(const struct search_ctx *ctx, json_t **out, struct err *e);

#endif
