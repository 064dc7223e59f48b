/* nsga2: NSGA-II for one or more objectives, recomputing its elite from
 * the history on each call. Entry points: nsga2_check, nsga2_suggest.
 * SPDX-License-Identifier: MIT */
#include "search/nsga2.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "search/hist.h"
#include "search/opts.h"
#include "search/random.h"
#include "search/rng.h"

/* How it works. Trial n belongs to generation n / population_size. The
 * first generation is random; a later one breeds from the elite of every
 * finished trial of earlier generations: the population_size best by
 * non-dominated rank, then crowding distance. A child comes from two
 * binary tournaments, simulated binary crossover of the numeric params
 * in the unit cube (uniform crossover for categoricals) and a sparse
 * mutation; conditions are repaired last. */

static const struct opt_spec NSGA2_OPTS[] = {
    {"population_size", OPT_INT, 2, 100000, NULL},
    {"crossover_prob", OPT_NUM, 0, 1, NULL},
    {"mutation_prob", OPT_NUM, 0, 1, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* Distribution index of the crossover: larger keeps children nearer
 * their parents; 15 is the customary choice for real-coded GAs. */
#define SBX_ETA 15.0

int nsga2_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)s;
    (void)n_objectives;
    return opts_check(options, "searcher.options", NSGA2_OPTS, e);
}

struct member {
    size_t row;
    int rank;
    double crowd;
};

static int dominates(const struct hist *h, size_t a, size_t b) {
    int is_better = 0;
    for (size_t k = 0; k < h->m; k++) {
        double x = h->loss[a * h->m + k], y = h->loss[b * h->m + k];
        if (x > y) return 0;
        is_better |= x < y;
    }
    return is_better;
}

static int cmp_rank_crowd(const void *a, const void *b) {
    const struct member *x = a, *y = b;
    if (x->rank != y->rank) return x->rank - y->rank;
    if (x->crowd != y->crowd) return x->crowd > y->crowd ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Non-dominated rank of every member (0 = Pareto front), O(m n^2). */
static void rank_members(const struct hist *h, struct member *p, size_t n) {
    int *n_dom = xcalloc(n + 1, sizeof *n_dom);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) n_dom[i] += j != i && dominates(h, p[j].row, p[i].row);
    size_t left = n;
    for (int rank = 0; left > 0; rank++) {
        for (size_t i = 0; i < n; i++)
            if (n_dom[i] == 0) p[i].rank = rank, n_dom[i] = -1, left--;
        for (size_t i = 0; i < n; i++) {
            if (p[i].rank != rank || n_dom[i] != -1) continue;
            n_dom[i] = -2; // its dominations are now released
            for (size_t j = 0; j < n; j++)
                if (n_dom[j] > 0 && dominates(h, p[i].row, p[j].row)) n_dom[j]--;
        }
    }
    free(n_dom);
}

/* Crowding distance within one front p[0..n-1]: per objective, the gap
 * between each member's neighbours, normalised; the ends are infinite. */
static void crowd_front(const struct hist *h, struct member *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i].crowd = 0;
    for (size_t k = 0; k < h->m; k++) {
        /* Insertion sort on objective k: fronts are small and the libc
         * qsort has no context pointer to carry k. */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0; j--) {
                double a = h->loss[p[j - 1].row * h->m + k], b = h->loss[p[j].row * h->m + k];
                if (a <= b) break;
                struct member t = p[j];
                p[j] = p[j - 1];
                p[j - 1] = t;
            }
        double lo = h->loss[p[0].row * h->m + k], hi = h->loss[p[n - 1].row * h->m + k];
        p[0].crowd = p[n - 1].crowd = INFINITY;
        if (hi <= lo) continue;
        for (size_t i = 1; i + 1 < n; i++)
            p[i].crowd +=
                (h->loss[p[i + 1].row * h->m + k] - h->loss[p[i - 1].row * h->m + k]) / (hi - lo);
    }
}

/* The elite: up to size members from the finished trials of generations
 * before gen, sorted best first. Returns how many.
 * TODO: the sort looks at every earlier trial, O(m n^2) per proposal;
 * about 0.1 s at 10,000 trials. Keeping only the previous elite plus the
 * last generation would make it linear in the population. */
static size_t elite(const struct hist *h, const struct search_ctx *ctx, size_t size, size_t gen,
                    struct member *out) {
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (h->state[i] != SEARCH_COMPLETE) continue;
        if ((size_t)ctx->trials[i].number / size >= gen) continue;
        int is_finite = 1;
        for (size_t k = 0; k < h->m; k++) is_finite &= !isnan(h->loss[i * h->m + k]);
        if (is_finite) out[n++] = (struct member){i, 0, 0};
    }
    rank_members(h, out, n);
    for (size_t i = 0; i < n; i++) out[i].crowd = 0;
    qsort(out, n, sizeof *out, cmp_rank_crowd);
    for (size_t start = 0; start < n;) {
        size_t end = start;
        while (end < n && out[end].rank == out[start].rank) end++;
        crowd_front(h, out + start, end - start);
        start = end;
    }
    qsort(out, n, sizeof *out, cmp_rank_crowd);
    return n < size ? n : size;
}

static size_t tournament(const struct member *p, size_t n, struct rng *r) {
    size_t a = rng_below(r, n), b = rng_below(r, n);
    return cmp_rank_crowd(&p[a], &p[b]) <= 0 ? p[a].row : p[b].row;
}

/* Simulated binary crossover of unit values a and b; returns one child. */
static double sbx(double a, double b, struct rng *r) {
    double u = rng_uniform(r);
    double beta =
        u <= 0.5 ? pow(2 * u, 1 / (SBX_ETA + 1)) : pow(1 / (2 * (1 - u)), 1 / (SBX_ETA + 1));
    double mid = 0.5 * (a + b), half = 0.5 * fabs(b - a);
    double c = rng_uniform(r) < 0.5 ? mid - beta * half : mid + beta * half;
    return c < 0 ? 0 : c > 1 ? 1 : c;
}

static void breed(const struct space *s, const double *pa, const double *pb,
                  const struct search_ctx *ctx, struct rng *r, double *x) {
    size_t d = s->n_params;
    int is_cross = rng_uniform(r) < opts_num(ctx->options, "crossover_prob", 0.9);
    double p_mut = opts_num(ctx->options, "mutation_prob", 1.0 / (double)(d ? d : 1));
    for (size_t j = 0; j < d; j++) {
        const struct space_param *p = &s->params[j];
        double a = pa[j], b = pb[j];
        x[j] = a;
        if (is_cross && !isnan(a) && !isnan(b)) {
            if (p->kind == SPACE_CAT)
                x[j] = rng_uniform(r) < 0.5 ? a : b;
            else
                x[j] = space_from_unit(p, sbx(space_to_unit(p, a), space_to_unit(p, b), r));
        }
        if (rng_uniform(r) >= p_mut || isnan(x[j])) continue;
        if (p->kind == SPACE_CAT) {
            x[j] = (double)rng_below(r, p->n_choices);
        } else {
            double u = space_to_unit(p, x[j]) + 0.1 * rng_normal(r);
            x[j] = space_from_unit(p, u < 0 ? -u : u > 1 ? 2 - u : u);
        }
    }
    for (size_t j = 0; j < d; j++) {
        if (!space_is_active(s, j, x))
            x[j] = NAN;
        else if (isnan(x[j]))
            x[j] = space_from_unit(&s->params[j], rng_uniform(r));
    }
}

int nsga2_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    const struct space *s = ctx->space;
    size_t size = (size_t)opts_num(ctx->options, "population_size", 50);
    size_t gen = (size_t)(ctx->number < 0 ? 0 : ctx->number) / size;
    struct member *pop = xcalloc(h->n + 1, sizeof *pop);
    size_t n = gen > 0 ? elite(h, ctx, size, gen, pop) : 0;
    if (n < 2) {
        random_fill(s, r, x);
    } else {
        size_t a = tournament(pop, n, r), b = tournament(pop, n, r);
        breed(s, &h->x[a * h->d], &h->x[b * h->d], ctx, r, x);
    }
    free(pop);
    return 0;
}
