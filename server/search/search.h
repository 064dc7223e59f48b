/* search: the one interface every searcher sits behind. A searcher is
 * stateless: its proposal is a deterministic function of the space, the
 * options, the seed, the whole trial history and the number of the trial
 * being proposed, so any server or worker proposes the same thing again
 * after a crash. Locking is the caller's job (the store holds the study row
 * while it proposes and inserts). Entry points: search_check,
 * search_propose. Searchers: grid, random, tpe, gp, cmaes, nsga2.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_SEARCH_H
#define HPOD_SEARCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "space.h"

enum search_state { SEARCH_RUNNING, SEARCH_COMPLETE, SEARCH_PRUNED, SEARCH_FAILED };

/* One trial of the history; everything is borrowed from the caller. */
struct search_trial {
    int number;
    enum search_state state;
    const json_t *params; // object name -> value
    const double *values; // n_objectives values when COMPLETE (the last
                          // reported ones when PRUNED), else NULL
};

struct search_ctx {
    const struct space *space;
    int n_objectives;
    const int *maximize;   // per objective, 1 = maximize
    const json_t *options; // the study's searcher options, may be NULL
    uint64_t seed;
    const struct search_trial *trials; // the whole history, by number
    size_t n_trials;
    int number; // number of the trial being proposed
};

/* Validate a searcher name and its options at study creation. Returns 0,
 * or -1 with a 422: bad_value on "searcher.name" (unknown searcher, or one
 * that cannot serve this many objectives or this space), bad_type /
 * bad_range / bad_value / unknown_field on "searcher.options.<key>", and
 * missing_field on "space.<name>.grid_points" for a grid over a float that
 * declares neither grid_points nor values, and bad_value on "space.<name>"
 * for a grid param with more levels than a whole grid may hold. options
 * may be NULL. */
int search_check(const char *name, const json_t *options, const struct space *space,
                 int n_objectives, struct err *e);

/* Propose the params of trial ctx->number. Returns 0 with a new object in
 * *out (the caller decrefs it), 1 when the searcher is exhausted (grid: all
 * points are in the history, running ones included), or -1 with a 500 in e
 * when name is unknown (search_check should have refused it). */
int search_propose(const char *name, const struct search_ctx *ctx, json_t **out, struct err *e);

/* 0 when the searcher never looks at ctx->trials (random), so a caller
 * may pass an empty history instead of loading every trial; else 1. */
int search_reads_trials(const char *name);

#endif
