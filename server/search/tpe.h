/* tpe: the tree-structured Parzen estimator searcher.
 * Entry points: tpe_check, tpe_propose.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_TPE_H
#define HPOD_TPE_H

#include "search/search.h"

int tpe_check(const json_t *options, const struct space *s, int n_objectives,
              struct err *e);
int tpe_propose(const struct search_ctx *ctx, json_t **out, struct err *e);

#endif
