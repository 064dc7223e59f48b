/* grid: exhaustive search over the product of every param's levels.
 * Entry points: grid_check, grid_propose.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_GRID_H
#define HPOD_GRID_H

#include "search/search.h"

int grid_check(const json_t *options, const struct space *s,
               int n_objectives, struct err *e);
int grid_propose(const struct search_ctx *ctx, json_t **out, struct err *e);

#endif
