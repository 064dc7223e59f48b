/* search: the table of searchers and the two calls that dispatch to it.
 * It holds no searcher logic; each searcher lives in its own file.
 * Entry points: search_check, search_propose.
 * SPDX-License-Identifier: MIT */
#include "search/search.h"

#include <string.h>

#include "search/cmaes.h"
#include "search/gp.h"
#include "search/grid.h"
#include "search/nsga2.h"
#include "search/random.h"
#include "search/tpe.h"

struct searcher {
    const char *name;
    int max_objectives; // 0 = any number
    int (*check)(const json_t *options, const struct space *s,
                 int n_objectives, struct err *e);
    int (*propose)(const struct search_ctx *ctx, json_t **out, struct err *e);
};

static const struct searcher SEARCHERS[] = {
    {"grid", 0, grid_check, grid_propose},
    {"random", 0, random_check, random_propose},
    {"tpe", 1, tpe_check, tpe_propose},
    {"gp", 1, gp_check, gp_propose},
    {"cmaes", 1, cmaes_check, cmaes_propose},
    {"nsga2", 0, nsga2_check, nsga2_propose},
};

static const struct searcher *find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof SEARCHERS / sizeof SEARCHERS[0]; i++)
        if (strcmp(SEARCHERS[i].name, name) == 0) return &SEARCHERS[i];
    return NULL;
}

int search_check(const char *name, const json_t *options,
                 const struct space *space, int n_objectives, struct err *e) {
    const struct searcher *sr = find(name);
    if (!sr)
        return err_set(e, 422, "bad_value", "searcher.name",
                       "searcher.name is not a known searcher");
    if (sr->max_objectives && n_objectives > sr->max_objectives)
        return err_set(e, 422, "bad_value", "searcher.name",
                       "searcher.name %s supports a single objective only", sr->name);
    return sr->check(options, space, n_objectives, e);
}

int search_propose(const char *name, const struct search_ctx *ctx,
                   json_t **out, struct err *e) {
    *out = NULL;
    const struct searcher *sr = find(name);
    if (!sr)
        return err_set(e, 500, "internal", "", "unknown searcher");
    return sr->propose(ctx, out, e);
}
