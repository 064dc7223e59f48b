/* importance: a fANOVA estimate of parameter importance. Each tree of a
 * small random forest cuts the unit cube into boxes with a constant
 * prediction; because the boxes partition the cube, the variance of that
 * piecewise-constant function, and of its one-parameter marginals, comes
 * out exactly from the boxes' volumes. A parameter's share is its main
 * effect's variance over the total, averaged over the trees. Interactions
 * are not reported. Entry point: importance_compute.
 * SPDX-License-Identifier: MIT */
#include "importance.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Forest size. 32 trees of depth at most 8, each fitted on at most 1024
 * trials drawn with replacement, keep a 10,000-trial study with a dozen
 * parameters at tens of milliseconds, and a parameter that drives the
 * objective still stands out clearly from ones that do not. */
#define IMPORTANCE_TREES 32
#define IMPORTANCE_MAX_DEPTH 8
#define IMPORTANCE_MIN_LEAF 3
#define IMPORTANCE_SAMPLE_MAX 1024
#define IMPORTANCE_SEED 0x9e3779b97f4a7c15ULL

/* The boxes (leaves) of one tree: lo and hi are n x d, v the predictions. */
struct leaves {
    size_t d, n, cap;
    double *lo, *hi, *v;
};

struct pair {
    double u, y;
};

/* Everything growing one tree needs; the scratch arrays are reused. */
struct grower {
    size_t d;
    const double *u; // n x d parameter values in [0, 1]
    const double *y;
    size_t *idx;        // the tree's sample, partitioned in place
    struct pair *pairs; // scratch: one per sample
    size_t *feats;      // scratch: feature order for the split search
    double *lo, *hi;    // the box of the node being grown
    uint64_t rng;
    struct leaves lv;
};

/* splitmix64: tiny, seedable, and good enough to resample trials. */
static uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *state, size_t n) {
    return (size_t)(rng_next(state) % n);
}

static int cmp_pair(const void *a, const void *b) {
    double x = ((const struct pair *)a)->u, y = ((const struct pair *)b)->u;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void leaves_add(struct leaves *lv, const double *lo, const double *hi, double v) {
    if (lv->n == lv->cap) {
        lv->cap = lv->cap ? lv->cap * 2 : 64;
        lv->lo = xrealloc(lv->lo, lv->cap * lv->d * sizeof *lv->lo);
        lv->hi = xrealloc(lv->hi, lv->cap * lv->d * sizeof *lv->hi);
        lv->v = xrealloc(lv->v, lv->cap * sizeof *lv->v);
    }
    memcpy(lv->lo + lv->n * lv->d, lo, lv->d * sizeof *lo);
    memcpy(lv->hi + lv->n * lv->d, hi, lv->d * sizeof *hi);
    lv->v[lv->n++] = v;
}

/* The best cut of samples [begin, end) on feature f: the threshold that
 * most reduces the squared error, leaving IMPORTANCE_MIN_LEAF samples on
 * each side. Returns the gain (0 when no cut is allowed). */
static double best_cut(struct grower *g, size_t begin, size_t end, size_t f, double *t) {
    size_t m = end - begin;
    double sum = 0;
    for (size_t k = 0; k < m; k++) {
        size_t i = g->idx[begin + k];
        g->pairs[k] = (struct pair){g->u[i * g->d + f], g->y[i]};
        sum += g->y[i];
    }
    qsort(g->pairs, m, sizeof *g->pairs, cmp_pair);
    double base = sum * sum / (double)m, best = 0, left = 0;
    for (size_t k = 0; k + 1 < m; k++) {
        left += g->pairs[k].y;
        size_t n_left = k + 1, n_right = m - n_left;
        if (n_left < IMPORTANCE_MIN_LEAF || n_right < IMPORTANCE_MIN_LEAF) continue;
        if (g->pairs[k].u == g->pairs[k + 1].u) continue;
        double right = sum - left;
        /* Maximising sum_L^2/n_L + sum_R^2/n_R minimises the children's
         * squared error; base is the same quantity without the cut. */
        double gain = left * left / (double)n_left + right * right / (double)n_right - base;
        if (gain > best) {
            best = gain;
            *t = 0.5 * (g->pairs[k].u + g->pairs[k + 1].u);
        }
    }
    return best;
}

/* Choose the cut of a node among a random subset of the features, as a
 * random forest does, so that the trees differ beyond their samples. */
static int choose_split(struct grower *g, size_t begin, size_t end, size_t *f_out, double *t_out) {
    size_t d = g->d, n_try = d > 2 ? (2 * d + 2) / 3 : d;
    for (size_t k = 0; k < d; k++) g->feats[k] = k;
    double best = 0, sum = 0, sum_sq = 0;
    for (size_t k = begin; k < end; k++) {
        sum += g->y[g->idx[k]];
        sum_sq += g->y[g->idx[k]] * g->y[g->idx[k]];
    }
    /* Gains below this fraction of the node's squared error are rounding. */
    double min_gain = 1e-12 * (sum_sq - sum * sum / (double)(end - begin));
    for (size_t k = 0; k < n_try; k++) {
        size_t j = k + rng_below(&g->rng, d - k);
        size_t f = g->feats[j];
        g->feats[j] = g->feats[k];
        g->feats[k] = f;
        double t = 0, gain = best_cut(g, begin, end, f, &t);
        if (gain > best && gain > min_gain) {
            best = gain;
            *f_out = f;
            *t_out = t;
        }
    }
    return best > 0;
}

static void grow(struct grower *g, size_t begin, size_t end, int depth) {
    size_t f = 0;
    double t = 0;
    int is_leaf = depth == IMPORTANCE_MAX_DEPTH || end - begin < 2 * IMPORTANCE_MIN_LEAF ||
                  !choose_split(g, begin, end, &f, &t);
    if (is_leaf) {
        double sum = 0;
        for (size_t k = begin; k < end; k++) sum += g->y[g->idx[k]];
        leaves_add(&g->lv, g->lo, g->hi, sum / (double)(end - begin));
        return;
    }

    size_t mid = begin;
    for (size_t k = begin; k < end; k++) {
        if (g->u[g->idx[k] * g->d + f] < t) {
            size_t tmp = g->idx[k];
            g->idx[k] = g->idx[mid];
            g->idx[mid++] = tmp;
        }
    }

    /* Narrow the box for each child and restore it afterwards. */
    double saved = g->hi[f];
    g->hi[f] = t;
    grow(g, begin, mid, depth + 1);
    g->hi[f] = saved;
    saved = g->lo[f];
    g->lo[f] = t;
    grow(g, mid, end, depth + 1);
    g->lo[f] = saved;
}

static double box_volume(const struct leaves *lv, size_t l) {
    double vol = 1;
    for (size_t i = 0; i < lv->d; i++) vol *= lv->hi[l * lv->d + i] - lv->lo[l * lv->d + i];
    return vol;
}

/* Variance of one tree's prediction over the unit cube (returned) and of
 * each parameter's marginal, v_main[d]. The marginal of parameter i at x
 * averages the boxes whose i-interval holds x, each weighted by its volume
 * in the other dimensions; it is constant between consecutive box edges,
 * so one midpoint per edge interval gives it exactly. */
static double tree_variance(const struct leaves *lv, double *v_main, double *edges) {
    size_t d = lv->d, n = lv->n;
    double *vol = xmalloc(n * sizeof *vol);
    double mean = 0, total = 0;
    for (size_t l = 0; l < n; l++) {
        vol[l] = box_volume(lv, l);
        mean += vol[l] * lv->v[l];
    }
    for (size_t l = 0; l < n; l++) total += vol[l] * (lv->v[l] - mean) * (lv->v[l] - mean);

    for (size_t i = 0; i < d; i++) {
        for (size_t l = 0; l < n; l++) {
            edges[2 * l] = lv->lo[l * d + i];
            edges[2 * l + 1] = lv->hi[l * d + i];
        }
        qsort(edges, 2 * n, sizeof *edges, cmp_double);
        v_main[i] = 0;
        for (size_t k = 0; k + 1 < 2 * n; k++) {
            double a = edges[k], b = edges[k + 1];
            if (b <= a) continue;
            double x = 0.5 * (a + b), f = 0;
            for (size_t l = 0; l < n; l++) {
                double lo = lv->lo[l * d + i], hi = lv->hi[l * d + i];
                if (lo <= x && x < hi) f += lv->v[l] * vol[l] / (hi - lo);
            }
            v_main[i] += (b - a) * (f - mean) * (f - mean);
        }
    }
    free(vol);
    return total;
}

/* Map decoded values to the unit cube; an inactive parameter sits at 0.
 * TODO: categoricals become ordered choice indices, so a tree needs
 * several cuts to isolate a middle choice and an inactive parameter is
 * lumped with its lowest values; with many choices or deep conditional
 * spaces their shares come out somewhat low. Splitting categoricals by
 * subsets of choices, as the fANOVA paper does, would remove both. */
static double *to_unit(const struct space *s, const double *x, size_t n) {
    size_t d = s->n_params;
    double *u = xmalloc(n * d * sizeof *u);
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < d; i++) {
            double v = x[r * d + i];
            double w = isnan(v) ? 0 : space_to_unit(&s->params[i], v);
            u[r * d + i] = w < 0 ? 0 : w > 1 ? 1 : w;
        }
    }
    return u;
}

/* Fit one tree on a bootstrap sample and add its shares to sum[d].
 * Returns 1 when the tree varies at all (and so counts), else 0. */
static int add_tree(struct grower *g, size_t n, double *sum, double *v_main, double *edges) {
    size_t m = n < IMPORTANCE_SAMPLE_MAX ? n : IMPORTANCE_SAMPLE_MAX;
    for (size_t k = 0; k < m; k++) g->idx[k] = rng_below(&g->rng, n);
    for (size_t i = 0; i < g->d; i++) {
        g->lo[i] = 0;
        g->hi[i] = 1;
    }
    g->lv.n = 0;
    grow(g, 0, m, 0);
    double total = tree_variance(&g->lv, v_main, edges);
    if (!(total > 0)) return 0;
    for (size_t i = 0; i < g->d; i++) sum[i] += v_main[i] / total;
    return 1;
}

void importance_compute(const struct space *s, const double *x, const double *y, size_t n,
                        double *share) {
    size_t d = s->n_params;
    for (size_t i = 0; i < d; i++) share[i] = 1.0 / (double)d;
    if (d == 0 || n < 2) return;

    size_t m = n < IMPORTANCE_SAMPLE_MAX ? n : IMPORTANCE_SAMPLE_MAX;
    double *u = to_unit(s, x, n);
    struct grower g = {
        .d = d,
        .u = u,
        .y = y,
        .idx = xmalloc(m * sizeof(size_t)),
        .pairs = xmalloc(m * sizeof(struct pair)),
        .feats = xmalloc(d * sizeof(size_t)),
        .lo = xmalloc(d * sizeof(double)),
        .hi = xmalloc(d * sizeof(double)),
        .rng = IMPORTANCE_SEED,
        .lv = {.d = d},
    };
    double *sum = xcalloc(d, sizeof *sum), *v_main = xmalloc(d * sizeof *v_main);
    /* A tree has at most one leaf per IMPORTANCE_MIN_LEAF samples. */
    double *edges = xmalloc(2 * (m / IMPORTANCE_MIN_LEAF + 1) * sizeof *edges);
    int n_trees = 0;
    for (int t = 0; t < IMPORTANCE_TREES; t++) n_trees += add_tree(&g, n, sum, v_main, edges);

    double total = 0;
    for (size_t i = 0; i < d; i++) total += sum[i];
    if (n_trees > 0 && total > 0) {
        for (size_t i = 0; i < d; i++) share[i] = sum[i] / total;
    }
    free(edges);
    free(v_main);
    free(sum);
    free(g.lv.lo);
    free(g.lv.hi);
    free(g.lv.v);
    free(g.hi);
    free(g.lo);
    free(g.feats);
    free(g.pairs);
    free(g.idx);
    free(u);
}
