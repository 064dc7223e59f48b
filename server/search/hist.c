/* hist: decoding of the trial history for the model-based searchers. It
 * does not judge trials; each searcher decides how to treat pruned,
 * running and failed ones. Entry points: hist_init, hist_cleanup.
 * SPDX-License-Identifier: MIT */
#include "search/hist.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"

void hist_init(struct hist *h, const struct search_ctx *ctx) {
    const struct space *s = ctx->space;
    h->n = ctx->n_trials;
    h->d = s->n_params;
    h->m = ctx->n_objectives > 0 ? (size_t)ctx->n_objectives : 1;
    h->x = xcalloc(h->n * h->d + 1, sizeof *h->x);
    h->loss = xcalloc(h->n * h->m + 1, sizeof *h->loss);
    h->state = xcalloc(h->n + 1, sizeof *h->state);
    for (size_t i = 0; i < h->n; i++) {
        const struct search_trial *t = &ctx->trials[i];
        h->state[i] = t->state;
        space_decode(s, t->params, &h->x[i * h->d]);
        for (size_t k = 0; k < h->m; k++) {
            double v = t->values ? t->values[k] : NAN;
            int is_max = ctx->maximize && ctx->maximize[k];
            if (t->state == SEARCH_RUNNING || t->state == SEARCH_FAILED || !isfinite(v)) v = NAN;
            h->loss[i * h->m + k] = is_max ? -v : v;
        }
    }
}

void hist_cleanup(struct hist *h) {
    free(h->x);
    free(h->loss);
    free(h->state);
    h->x = h->loss = NULL;
    h->state = NULL;
}

int hist_is_done(const struct hist *h, size_t i) {
    return h->state[i] == SEARCH_COMPLETE && !isnan(h->loss[i * h->m]);
}
