/* hist: the trial history decoded once into dense arrays, which is the
 * form every model-based searcher works on. Losses are oriented so that
 * lower is always better. Entry points: hist_init, hist_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_HIST_H
#define HPOD_HIST_H

#include <stddef.h>

#include "search/search.h"

struct hist {
    size_t n;                 // trials
    size_t d;                 // params
    size_t m;                 // objectives
    double *x;                // (n, d) decoded values, NaN where inactive or absent
    double *loss;             // (n, m) objective values negated where maximized;
                              // NaN unless COMPLETE (or PRUNED with values) and finite
    enum search_state *state; // (n)
};

/* Decode ctx's history into h (caller storage; release with
 * hist_cleanup). */
void hist_init(struct hist *h, const struct search_ctx *ctx);
void hist_cleanup(struct hist *h);

/* Whether row i is a finished trial with a usable first loss. */
int hist_is_done(const struct hist *h, size_t i);

#endif
