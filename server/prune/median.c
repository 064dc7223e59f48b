/* median: the median pruner, which is the percentile rule at 50 with the
 * same warm-up and minimum-trial options but no "percentile" key.
 * Entry points: median_check, median_should_stop.
 * SPDX-License-Identifier: MIT */
#include "prune/median.h"

#include "prune/percentile.h"
#include "search/opts.h"

static const struct opt_spec MEDIAN_OPTS[] = {
    {"n_startup_trials", OPT_INT, 0, 1e9, NULL},
    {"n_warmup_steps", OPT_INT, 0, 2e9, NULL},
    {"interval_steps", OPT_INT, 1, 2e9, NULL},
    {"n_min_trials", OPT_INT, 1, 1e9, NULL},
    {NULL, 0, 0, 0, NULL},
};

int median_check(const json_t *options, struct err *e) {
    return opts_check(options, "pruner.options", MEDIAN_OPTS, e);
}

int median_should_stop(const json_t *options, int maximize, const struct prune_curve *trial,
                       const struct prune_curve *others, size_t n_others) {
    return percentile_rule(options, 50, maximize, trial, others, n_others);
}
