/* search: the table of searchers and the two calls that dispatch to it.
 * It holds no searcher logic; each searcher lives in its own file.
 * search_propose also sets up what every searcher starts from (generator,
 * decoded history) and encodes the result. Entry points: search_check,
 * search_propose.
 * SPDX-License-Identifier: MIT */
#include "search/search.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "search/hist.h"
#include "search/rng.h"

#include "search/cmaes.h"
#include "search/gp.h"
#include "search/grid.h"
#include "search/nsga2.h"
#include "search/random.h"
#include "search/tpe.h"

struct searcher {
    const char *name;
    int max_objectives; // 0 = any number
    int reads_trials;   // 0: ignores ctx->trials, so callers need not load them
    int uses_history;   // 0: the decoded history is not built (it costs O(n))
    int (*check)(const json_t *options, const struct space *s, int n_objectives, struct err *e);
    int (*suggest)(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x);
};

static const struct searcher SEARCHERS[] = {
    {"grid", 0, 1, 0, grid_check, grid_suggest},
    {"random", 0, 0, 0, random_check, random_suggest},
    {"tpe", 1, 1, 1, tpe_check, tpe_suggest},
    {"gp", 1, 1, 1, gp_check, gp_suggest},
    {"cmaes", 1, 1, 1, cmaes_check, cmaes_suggest},
    {"nsga2", 0, 1, 1, nsga2_check, nsga2_suggest},
};

static const struct searcher *find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof SEARCHERS / sizeof SEARCHERS[0]; i++)
        if (strcmp(SEARCHERS[i].name, name) == 0) return &SEARCHERS[i];
    return NULL;
}

int search_check(const char *name, const json_t *options, const struct space *space,
                 int n_objectives, struct err *e) {
    const struct searcher *sr = find(name);
    if (!sr)
        return err_set(e, 422, "bad_value", "searcher.name",
                       "searcher.name is not a known searcher");
    if (sr->max_objectives && n_objectives > sr->max_objectives)
        return err_set(e, 422, "bad_value", "searcher.name",
                       "searcher.name %s supports a single objective only", sr->name);
    return sr->check(options, space, n_objectives, e);
}

int search_propose(const char *name, const struct search_ctx *ctx, json_t **out, struct err *e) {
    *out = NULL;
    const struct searcher *sr = find(name);
    if (!sr) return err_set(e, 500, "internal", "", "unknown searcher");
    /* What every searcher starts from: a generator seeded by the study's
     * seed and the trial number, the decoded history, and x to fill. */
    struct rng r;
    rng_seed(&r, ctx->seed, (uint64_t)ctx->number);
    struct hist h = {0};
    if (sr->uses_history) hist_init(&h, ctx);
    double *x = xcalloc(ctx->space->n_params + 1, sizeof *x);
    int rc = sr->suggest(ctx, &r, &h, x);
    if (rc == 0) *out = space_encode(ctx->space, x);
    free(x);
    if (sr->uses_history) hist_cleanup(&h);
    return rc;
}

int search_reads_trials(const char *name) {
    const struct searcher *sr = find(name);
    return !sr || sr->reads_trials;
}
