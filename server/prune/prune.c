/* prune: the table of pruners and the two calls that dispatch to it. It
 * holds no pruning rule; each pruner lives in its own file.
 * Entry points: prune_check, prune_should_stop.
 * SPDX-License-Identifier: MIT */
#include "prune/prune.h"

#include <string.h>

#include "prune/asha.h"
#include "prune/hyperband.h"
#include "prune/median.h"
#include "prune/percentile.h"
#include "search/opts.h"

struct pruner {
    const char *name;
    int (*check)(const json_t *options, struct err *e);
    int (*should_stop)(const json_t *options, int maximize, const struct prune_curve *trial,
                       const struct prune_curve *others, size_t n_others);
};

static const struct opt_spec NONE_OPTS[] = {{NULL, 0, 0, 0, NULL}};

static int none_check(const json_t *options, struct err *e) {
    return opts_check(options, "pruner.options", NONE_OPTS, e);
}

static int none_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                            const struct prune_curve *others, size_t n_others) {
    (void)options, (void)maximize, (void)trial, (void)others, (void)n_others;
    return 0;
}

static const struct pruner PRUNERS[] = {
    {"none", none_check, none_should_stop},
    {"median", median_check, median_should_stop},
    {"percentile", percentile_check, percentile_should_stop},
    {"asha", asha_check, asha_should_stop},
    {"hyperband", hyperband_check, hyperband_should_stop},
};

static const struct pruner *find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof PRUNERS / sizeof PRUNERS[0]; i++)
        if (strcmp(PRUNERS[i].name, name) == 0) return &PRUNERS[i];
    return NULL;
}

int prune_check(const char *name, const json_t *options, struct err *e) {
    const struct pruner *p = find(name);
    if (!p) return err_set(e, 422, "bad_value", "pruner.name", "pruner.name is not a known pruner");
    return p->check(options, e);
}

int prune_should_stop(const char *name, const json_t *options, int maximize,
                      const struct prune_curve *trial, const struct prune_curve *others,
                      size_t n_others) {
    const struct pruner *p = find(name);
    if (!p || !trial || trial->n == 0) return 0;
    return p->should_stop(options, maximize, trial, others, n_others);
}
