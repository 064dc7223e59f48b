/* hyperband: runs floor(log_eta(max/min)) + 1 ASHA brackets side by side.
 * Bracket b starts its rungs at min_resource * eta^b, so bracket 0 prunes
 * hardest and the last bracket barely prunes. Trial n joins bracket
 * n mod n_brackets, which any server computes alike, and competes only
 * with trials of the same bracket.
 * Entry points: hyperband_check, hyperband_should_stop, hyperband_bracket.
 * SPDX-License-Identifier: MIT */
#include "prune/hyperband.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "prune/asha.h"
#include "search/opts.h"

static const struct opt_spec HB_OPTS[] = {
    {"min_resource", OPT_INT, 1, 2e9, NULL},
    {"reduction_factor", OPT_NUM, 2, 1e6, NULL},
    {"max_resource", OPT_INT, 1, 2e9, NULL},
    {NULL, 0, 0, 0, NULL},
};

int hyperband_check(const json_t *options, struct err *e) {
    if (opts_check(options, "pruner.options", HB_OPTS, e)) return -1;
    if (!json_object_get(options, "max_resource"))
        return err_set(e, 422, "missing_field", "pruner.options.max_resource",
                       "pruner.options.max_resource is required by hyperband");
    if (opts_num(options, "max_resource", 0) < opts_num(options, "min_resource", 1))
        return err_set(e, 422, "bad_range", "pruner.options.max_resource",
                       "pruner.options.max_resource must be >= min_resource");
    return 0;
}

static int n_brackets(const json_t *options) {
    double lo = opts_num(options, "min_resource", 1);
    double hi = opts_num(options, "max_resource", lo);
    double eta = opts_num(options, "reduction_factor", 3);
    /* The small slack keeps exact powers (81 / 1 with eta 3) from losing
     * a bracket to rounding in the logarithms. */
    return (int)floor(log(hi / lo) / log(eta) + 1e-9) + 1;
}

int hyperband_bracket(const json_t *options, int number) {
    int n = n_brackets(options);
    return (int)(((long)number % n + n) % n);
}

int hyperband_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                          const struct prune_curve *others, size_t n_others) {
    int b = hyperband_bracket(options, trial->number);
    struct asha_rungs r = {
        .min_resource = opts_num(options, "min_resource", 1),
        .eta = opts_num(options, "reduction_factor", 3),
        .max_resource = opts_num(options, "max_resource", 0),
        .rate = b,
    };
    struct prune_curve *mates = xcalloc(n_others + 1, sizeof *mates);
    size_t n_mates = 0;
    for (size_t i = 0; i < n_others; i++)
        if (hyperband_bracket(options, others[i].number) == b) mates[n_mates++] = others[i];
    int stop = asha_rule(&r, maximize, trial, mates, n_mates);
    free(mates);
    return stop;
}
