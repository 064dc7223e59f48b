/* tpe: tree-structured Parzen estimator, univariate or multivariate,
 * with categorical and conditional params and a constant liar for
 * running trials. One objective only. Entry points: tpe_check,
 * tpe_suggest.
 * SPDX-License-Identifier: MIT */
#include "search/tpe.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "search/hist.h"
#include "search/opts.h"
#include "search/random.h"
#include "search/rng.h"

/* How it works. Finished trials are split into a good share ("below")
 * and the rest ("above"); each share gets a kernel density in the unit
 * cube, candidates are drawn from the good density and the one with the
 * largest good/bad density ratio wins. The univariate mode models each
 * param alone; the multivariate mode keeps each trial's params together
 * in one product kernel. Conditional params learn only from trials where
 * they were active. Running trials count as bad ones ("constant liar") so
 * that parallel workers spread out; pruned trials rank after every
 * finished one. */

static const struct opt_spec TPE_OPTS[] = {
    {"n_startup_trials", OPT_INT, 0, 1e6, NULL},
    {"n_ei_candidates", OPT_INT, 1, 10000, NULL},
    {"multivariate", OPT_BOOL, 0, 0, NULL},
    {"constant_liar", OPT_BOOL, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* TODO: TPE serves one objective only (search_check refuses more). Ranking
 * the trials by non-dominated sort instead of by loss would extend it to
 * several, as multi-objective TPE does. */
int tpe_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)s;
    (void)n_objectives;
    return opts_check(options, "searcher.options", TPE_OPTS, e);
}

/* ---- splitting the history -------------------------------------------- */

struct ranked {
    size_t row;
    int group; // 0 finished, 1 pruned with a value, 2 no usable value
    double loss;
};

static int cmp_ranked(const void *a, const void *b) {
    const struct ranked *x = a, *y = b;
    if (x->group != y->group) return x->group - y->group;
    if (x->loss != y->loss) return x->loss < y->loss ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Rank the usable rows of h; returns how many, and in *n_done how many of
 * them are finished with a finite loss. */
static size_t rank_rows(const struct hist *h, int is_liar, struct ranked *out, size_t *n_done) {
    size_t n = 0;
    *n_done = 0;
    for (size_t i = 0; i < h->n; i++) {
        double loss = h->loss[i * h->m];
        int group;
        if (h->state[i] == SEARCH_FAILED) continue;
        if (h->state[i] == SEARCH_RUNNING && !is_liar) continue;
        if (h->state[i] == SEARCH_COMPLETE && !isnan(loss))
            group = 0;
        else if (h->state[i] == SEARCH_PRUNED && !isnan(loss))
            group = 1;
        else
            group = 2;
        *n_done += group == 0;
        out[n++] = (struct ranked){i, group, isnan(loss) ? 0 : loss};
    }
    qsort(out, n, sizeof *out, cmp_ranked);
    return n;
}

/* Size of the good share: a tenth of the ranked trials, at most 25, so
 * the good density stays sharp as the history grows.
 * TODO: every trial weighs the same in its share. In the univariate mode
 * this lets an early lucky categorical choice dominate for long: on the
 * bench's mixed space the median regret at 100 trials is 0.22 against
 * Optuna TPE's 0.0007 (the multivariate mode is on par). Down-weighting
 * old trials in the shares, as Optuna does, is the likely fix. */
static size_t n_good(size_t n) {
    size_t k = (n + 9) / 10;
    return k < 1 ? 1 : k > 25 ? 25 : k;
}

/* ---- the kernel model -------------------------------------------------- */

/* Kernels of one share: per row and param a centre in the unit cube (or a
 * choice index) and a width (for categoricals, the probability mass moved
 * off the centre), NaN where the param was inactive. A prior component
 * (uniform for categoricals, wide Gaussian for numbers) is always added. */
struct model {
    const struct space *s;
    size_t n, d;
    double *mu;      // (n, d)
    double *width;   // (n, d)
    double *lognorm; // (n, d) log normaliser of each truncated Gaussian
    double *scratch; // (n + 1) log densities being summed
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Width of a numeric kernel at u among the sorted centres c[n]: the larger
 * gap to a neighbour (the cube's edges count as neighbours), kept between
 * a floor that shrinks with n and 1. Discrete params get at least one
 * level's width so that their kernels overlap adjacent levels. */
static double numeric_width(const double *c, size_t n, double u, double floor_w) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    double left = lo > 0 ? u - c[lo - 1] : u;
    double right = lo + 1 < n ? c[lo + 1] - u : 1 - u;
    double w = fmax(left, right);
    return w < floor_w ? floor_w : w > 1 ? 1 : w;
}

/* Fill column j of m; buf is scratch for m->n doubles. */
static void model_dim(struct model *m, const struct hist *h, const size_t *rows, size_t j,
                      double *buf) {
    const struct space_param *p = &m->s->params[j];
    size_t n_act = 0;
    for (size_t k = 0; k < m->n; k++) {
        double v = h->x[rows[k] * h->d + j];
        m->mu[k * m->d + j] = isnan(v) ? NAN : p->kind == SPACE_CAT ? v : space_to_unit(p, v);
        if (!isnan(v)) buf[n_act++] = m->mu[k * m->d + j];
    }
    qsort(buf, n_act, sizeof *buf, cmp_double);
    size_t levels = space_n_levels(p);
    double floor_w = 1.0 / fmin(100.0, 1.0 + (double)n_act);
    if (levels > 0) floor_w = fmax(floor_w, 1.0 / (double)levels);
    for (size_t k = 0; k < m->n; k++) {
        double u = m->mu[k * m->d + j];
        double w = p->kind == SPACE_CAT ? 1.0 / (1.0 + (double)n_act)
                                        : numeric_width(buf, n_act, u, floor_w);
        m->width[k * m->d + j] = isnan(u) ? NAN : w;
    }
}

static double norm_cdf(double z) {
    return 0.5 * erfc(-z / M_SQRT2);
}

/* Log of the density's constant for a Gaussian (mu, w) truncated to
 * [0, 1]; computed once per kernel since erfc dominates the cost. */
static double trunc_lognorm(double mu, double w) {
    double mass = norm_cdf((1 - mu) / w) - norm_cdf(-mu / w);
    return -log(w) - 0.5 * log(2 * M_PI) - log(fmax(mass, 1e-300));
}

static void model_init(struct model *m, const struct space *s, const struct hist *h,
                       const size_t *rows, size_t n) {
    m->s = s;
    m->n = n;
    m->d = s->n_params;
    m->mu = xcalloc(n * m->d + 1, sizeof *m->mu);
    m->width = xcalloc(n * m->d + 1, sizeof *m->width);
    double *buf = xcalloc(n + 1, sizeof *buf);
    for (size_t j = 0; j < m->d; j++) model_dim(m, h, rows, j, buf);
    free(buf);
    m->lognorm = xcalloc(n * m->d + 1, sizeof *m->lognorm);
    for (size_t i = 0; i < n * m->d; i++)
        m->lognorm[i] = isnan(m->mu[i]) ? NAN : trunc_lognorm(m->mu[i], m->width[i]);
    m->scratch = xcalloc(n + 2, sizeof *m->scratch);
}

static void model_cleanup(struct model *m) {
    free(m->mu);
    free(m->width);
    free(m->lognorm);
    free(m->scratch);
}

/* Log density of param j at value u (unit value, or choice index) under
 * row k's kernel; k == m->n is the prior. */
static double kernel_logpdf(const struct model *m, size_t k, size_t j, double u) {
    const struct space_param *p = &m->s->params[j];
    double mu = k < m->n ? m->mu[k * m->d + j] : NAN;
    if (p->kind == SPACE_CAT) {
        double nc = (double)p->n_choices;
        if (isnan(mu)) return -log(nc);
        double w = m->width[k * m->d + j];
        return log(u == mu ? 1 - w * (nc - 1) / nc : w / nc);
    }
    if (isnan(mu)) {
        double z = u - 0.5; // the prior: centre 0.5, width 1
        return -0.5 * z * z + trunc_lognorm(0.5, 1.0);
    }
    double z = (u - mu) / m->width[k * m->d + j];
    return -0.5 * z * z + m->lognorm[k * m->d + j];
}

static double kernel_sample(const struct model *m, size_t k, size_t j, struct rng *r) {
    const struct space_param *p = &m->s->params[j];
    double mu = k < m->n ? m->mu[k * m->d + j] : NAN;
    if (p->kind == SPACE_CAT) {
        double w = isnan(mu) ? 1 : m->width[k * m->d + j];
        if (isnan(mu) || rng_uniform(r) < w) return (double)rng_below(r, p->n_choices);
        return mu;
    }
    double w = isnan(mu) ? 1.0 : m->width[k * m->d + j];
    if (isnan(mu)) mu = 0.5;
    for (int tries = 0; tries < 100; tries++) {
        double u = mu + w * rng_normal(r);
        if (u >= 0 && u <= 1) return u;
    }
    return mu;
}

/* exp(x) for x in [-36, 0], to a relative error below 1e-7: 2^k times a
 * degree-8 Taylor polynomial of e^y on [0, ln 2). The density sums below
 * need no more, and libm's exp was a third of TPE's time at 1,000 trials
 * (one call per kernel per candidate). */
static double exp_neg(double x) {
    double t = x * 1.4426950408889634; // log2(e)
    double k = floor(t);
    double y = (t - k) * 0.6931471805599453;
    double p =
        1 + y * (1 + y * (1.0 / 2 +
                          y * (1.0 / 6 +
                               y * (1.0 / 24 +
                                    y * (1.0 / 120 + y * (1.0 / 720 + y * (1.0 / 5040 +
                                                                           y * (1.0 / 40320))))))));
    union {
        double d;
        uint64_t u;
    } scale = {.u = (uint64_t)(1023 + (int)k) << 52};
    return p * scale.d;
}

/* log(sum(exp(v[i]))) without overflow: shift by the largest term. Terms
 * more than 36 below it add under 2e-16 each, below double precision of
 * the sum, so they are skipped. */
static double logsumexp(const double *v, size_t n) {
    double hi = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++) hi = v[i] > hi ? v[i] : hi; // fmax is a call here
    if (hi == -INFINITY) return hi;
    for (size_t i = 0; i < n; i++)
        if (v[i] > hi - 36) sum += exp_neg(v[i] - hi);
    return hi + log(sum);
}

/* Log density of param j at u under m's mixture: the rows where j was
 * active plus the prior, equally weighted. */
static double dim_logpdf(const struct model *m, size_t j, double u) {
    size_t n_act = 0;
    m->scratch[n_act++] = kernel_logpdf(m, m->n, j, u);
    int is_cat = m->s->params[j].kind == SPACE_CAT;
    for (size_t k = 0; k < m->n; k++) {
        size_t at = k * m->d + j;
        if (isnan(m->mu[at])) continue;
        if (is_cat) {
            m->scratch[n_act++] = kernel_logpdf(m, k, j, u);
            continue;
        }
        double z = (u - m->mu[at]) / m->width[at]; // kernel_logpdf, inlined
        m->scratch[n_act++] = -0.5 * z * z + m->lognorm[at];
    }
    return logsumexp(m->scratch, n_act) - log((double)n_act);
}

/* Log density of x (scored units u) under m's product kernels: one
 * mixture over rows of the product over the params x has active. */
static double joint_logpdf(const struct model *m, const double *u) {
    for (size_t k = 0; k <= m->n; k++) {
        double lp = 0;
        for (size_t j = 0; j < m->d; j++)
            if (!isnan(u[j])) lp += kernel_logpdf(m, k, j, u[j]);
        m->scratch[k] = lp;
    }
    return logsumexp(m->scratch, m->n + 1) - log((double)m->n + 1);
}

/* ---- proposing ---------------------------------------------------------- */

/* Unit (or index) value of x[j] to score, using the value's bin centre so
 * that discrete values are scored where they land. */
static double to_score_unit(const struct space_param *p, double v) {
    return p->kind == SPACE_CAT ? v : space_to_unit(p, v);
}

/* Value of param j drawn from row k's kernel of the good model. */
static double draw_value(const struct model *good, size_t k, size_t j, struct rng *r) {
    const struct space_param *p = &good->s->params[j];
    double raw = kernel_sample(good, k, j, r);
    return p->kind == SPACE_CAT ? raw : space_from_unit(p, raw);
}

/* Univariate: the densities factor over params, so each param in turn
 * takes the best of n_cand draws from its own good mixture. Walking in
 * declaration order lets a parent's choice decide its children. */
static void propose_univariate(const struct model *good, const struct model *bad, int n_cand,
                               struct rng *r, double *x) {
    const struct space *s = good->s;
    for (size_t j = 0; j < s->n_params; j++) {
        x[j] = NAN;
        if (!space_is_active(s, j, x)) continue;
        double best = -INFINITY;
        for (int c = 0; c < n_cand; c++) {
            size_t k = rng_below(r, good->n + 1);
            if (k < good->n && isnan(good->mu[k * good->d + j])) k = good->n;
            double v = draw_value(good, k, j, r);
            double u = to_score_unit(&s->params[j], v);
            double score = dim_logpdf(good, j, u) - dim_logpdf(bad, j, u);
            if (c == 0 || score > best) best = score, x[j] = v;
        }
    }
}

/* Multivariate: each candidate comes whole from one good component (the
 * prior included), and candidates compete on the joint density ratio. */
static void propose_multivariate(const struct model *good, const struct model *bad, int n_cand,
                                 struct rng *r, double *best_x) {
    const struct space *s = good->s;
    size_t d = s->n_params;
    double *x = xcalloc(d + 1, sizeof *x), *u = xcalloc(d + 1, sizeof *u);
    double best = -INFINITY;
    for (int c = 0; c < n_cand; c++) {
        size_t k = rng_below(r, good->n + 1);
        for (size_t j = 0; j < d; j++) {
            x[j] = u[j] = NAN;
            if (!space_is_active(s, j, x)) continue;
            x[j] = draw_value(good, k, j, r);
            u[j] = to_score_unit(&s->params[j], x[j]);
        }
        double score = joint_logpdf(good, u) - joint_logpdf(bad, u);
        if (c == 0 || score > best) {
            best = score;
            memcpy(best_x, x, d * sizeof *x);
        }
    }
    free(x);
    free(u);
}

int tpe_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    const struct space *s = ctx->space;

    struct ranked *rk = xcalloc(h->n + 1, sizeof *rk);
    size_t n_done;
    size_t n = rank_rows(h, opts_bool(ctx->options, "constant_liar", 1), rk, &n_done);
    size_t n_startup = (size_t)opts_num(ctx->options, "n_startup_trials", 10);
    if (n_done < n_startup || n_done == 0) {
        random_fill(s, r, x);
    } else {
        size_t n_below = n_good(n_done);
        size_t *rows = xcalloc(n + 1, sizeof *rows);
        for (size_t i = 0; i < n; i++) rows[i] = rk[i].row;
        struct model good, bad;
        model_init(&good, s, h, rows, n_below);
        model_init(&bad, s, h, rows + n_below, n - n_below);
        int n_cand = (int)opts_num(ctx->options, "n_ei_candidates", 24);
        if (opts_bool(ctx->options, "multivariate", 0))
            propose_multivariate(&good, &bad, n_cand, r, x);
        else
            propose_univariate(&good, &bad, n_cand, r, x);
        model_cleanup(&good);
        model_cleanup(&bad);
        free(rows);
    }
    free(rk);
    return 0;
}
