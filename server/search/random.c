/* random: uniform sampling, optionally along a scrambled Halton sequence
 * indexed by trial number so that a study covers the cube more evenly
 * than independent draws. It ignores the history.
 * Entry points: random_check, random_suggest, random_fill.
 * SPDX-License-Identifier: MIT */
#include "search/random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "search/opts.h"

static const char *const QUASI_NAMES[] = {"none", "halton", NULL};
static const struct opt_spec RANDOM_OPTS[] = {
    {"quasi", OPT_ENUM, 0, 0, QUASI_NAMES},
    {NULL, 0, 0, 0, NULL},
};

int random_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)s;
    (void)n_objectives;
    return opts_check(options, "searcher.options", RANDOM_OPTS, e);
}

void random_fill(const struct space *s, struct rng *r, double *x) {
    for (size_t i = 0; i < s->n_params; i++) {
        double u = rng_uniform(r);
        x[i] = space_is_active(s, i, x) ? space_from_unit(&s->params[i], u) : NAN;
    }
}

static unsigned nth_prime(size_t i) {
    unsigned p = 1;
    for (size_t found = 0; found <= i;) {
        p++;
        int is_prime = 1;
        for (unsigned q = 2; q * q <= p; q++)
            if (p % q == 0) is_prime = 0;
        found += is_prime;
    }
    return p;
}

/* Coordinate `dim` of Halton point `index`, each digit position passed
 * through its own random permutation of the base's digits. The
 * permutations depend only on the seed, so the points of one study form
 * one sequence; enough positions are used to fill a double's precision. */
static double halton(uint64_t seed, size_t dim, uint64_t index) {
    unsigned b = nth_prime(dim);
    unsigned *perm = xcalloc(b, sizeof *perm);
    double scale = 1.0 / b, u = 0;
    for (int j = 0; scale > 1e-16; j++, scale /= b) {
        struct rng r;
        rng_seed(&r, seed, 0x4a10000000ULL + dim * 64 + (uint64_t)j);
        for (unsigned k = 0; k < b; k++) perm[k] = k;
        for (unsigned k = b - 1; k > 0; k--) {
            size_t t = rng_below(&r, k + 1);
            unsigned tmp = perm[k];
            perm[k] = perm[t];
            perm[t] = tmp;
        }
        u += perm[index % b] * scale;
        index /= b;
    }
    free(perm);
    return u;
}

void random_halton_fill(const struct space *s, uint64_t seed, uint64_t index, double *x) {
    for (size_t i = 0; i < s->n_params; i++) {
        double u = halton(seed, i, index);
        x[i] = space_is_active(s, i, x) ? space_from_unit(&s->params[i], u) : NAN;
    }
}

int random_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    (void)h;
    const struct space *s = ctx->space;
    int is_halton = strcmp(opts_str(ctx->options, "quasi", "none"), "halton") == 0;
    if (is_halton)
        random_halton_fill(s, ctx->seed, (uint64_t)ctx->number + 1, x);
    else
        random_fill(s, r, x);
    return 0;
}
