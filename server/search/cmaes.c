/* cmaes: CMA-ES (active covariance update, IPOP restarts) over the
 * numeric params in the unit cube, rebuilt from the history on each call.
 * Categoricals are not learned; see the TODO in fill_rest.
 * Entry points: cmaes_check, cmaes_suggest.
 * SPDX-License-Identifier: MIT */
#include "search/cmaes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "search/hist.h"
#include "search/lapack.h"
#include "search/opts.h"
#include "search/rng.h"

/* How it works. The searcher is stateless, so every call replays the
 * strategy: finished trials, in number order, form generations of lambda,
 * and each full generation updates mean, step size, paths and covariance
 * as usual. A restart (mean drawn afresh, population doubled) follows a
 * collapsed step size, an ill-conditioned covariance, a flat generation
 * or a long stall; the replay takes the same decisions every time. The
 * proposal is one draw from the current distribution, redrawn until it
 * lies in the cube. */

static const struct opt_spec CMA_OPTS[] = {
    {"sigma0", OPT_NUM, 1e-6, 1, NULL},
    {"popsize", OPT_INT, 4, 10000, NULL},
    {"restart", OPT_BOOL, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

int cmaes_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)s;
    (void)n_objectives;
    return opts_check(options, "searcher.options", CMA_OPTS, e);
}

/* The strategy's state and constants for dimension n. */
struct cma {
    size_t n, lambda, mu;
    double sigma, sigma0;
    double *mean, *pc, *ps; // (n)
    double *C, *B, *D;      // (n, n), (n, n) eigenvectors, (n) sqrt eigenvalues
    double *w;              // (mu) recombination weights
    double mueff, cc, cs, c1, cmu, damps, chin;
    int gen; // generations since the last restart
    int n_restarts;
    double best; // best loss since the last restart
    int best_gen;
};

/* Active CMA: the worse half of a generation gets negative weights, so
 * the covariance also shrinks along directions that failed; it speeds up
 * ill-conditioned valleys such as Rosenbrock's. Their total is the
 * smallest of the three bounds that keep C positive definite. */
static void scale_negative_weights(struct cma *c) {
    double dn = (double)c->n, sneg = 0, sneg2 = 0;
    for (size_t i = c->mu; i < c->lambda; i++) sneg += c->w[i], sneg2 += c->w[i] * c->w[i];
    if (sneg >= 0) return;
    double mueff_neg = sneg * sneg / sneg2;
    double a_mu = 1 + c->c1 / c->cmu;
    double a_mueff = 1 + 2 * mueff_neg / (c->mueff + 2);
    double a_posdef = (1 - c->c1 - c->cmu) / (dn * c->cmu);
    double total = fmin(a_mu, fmin(a_mueff, a_posdef));
    for (size_t i = c->mu; i < c->lambda; i++) c->w[i] *= total / -sneg;
}

static void cma_reset(struct cma *c, size_t lambda, const double *mean0) {
    size_t n = c->n;
    c->lambda = lambda;
    c->mu = lambda / 2;
    free(c->w);
    c->w = xcalloc(lambda, sizeof *c->w);
    double sw = 0, sw2 = 0;
    for (size_t i = 0; i < lambda; i++) {
        c->w[i] = log(((double)lambda + 1) / 2) - log((double)i + 1);
        if (i < c->mu) sw += c->w[i];
    }
    for (size_t i = 0; i < c->mu; i++) c->w[i] /= sw, sw2 += c->w[i] * c->w[i];
    double dn = (double)n;
    c->mueff = 1 / sw2;
    c->cc = (4 + c->mueff / dn) / (dn + 4 + 2 * c->mueff / dn);
    c->cs = (c->mueff + 2) / (dn + c->mueff + 5);
    c->c1 = 2 / ((dn + 1.3) * (dn + 1.3) + c->mueff);
    c->cmu = fmin(1 - c->c1, 2 * (c->mueff - 2 + 1 / c->mueff) / ((dn + 2) * (dn + 2) + c->mueff));
    c->damps = 1 + 2 * fmax(0, sqrt((c->mueff - 1) / (dn + 1)) - 1) + c->cs;
    scale_negative_weights(c);
    c->chin = sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));
    c->sigma = c->sigma0;
    memcpy(c->mean, mean0, n * sizeof *mean0);
    memset(c->pc, 0, n * sizeof *c->pc);
    memset(c->ps, 0, n * sizeof *c->ps);
    memset(c->C, 0, n * n * sizeof *c->C);
    memset(c->B, 0, n * n * sizeof *c->B);
    for (size_t i = 0; i < n; i++) c->C[i * n + i] = c->B[i * n + i] = c->D[i] = 1;
    c->gen = 0;
    c->best = INFINITY;
    c->best_gen = 0;
}

static void cma_init(struct cma *c, size_t n, double sigma0, size_t lambda) {
    memset(c, 0, sizeof *c);
    c->n = n;
    c->sigma0 = sigma0;
    c->mean = xcalloc(n, sizeof *c->mean);
    c->pc = xcalloc(n, sizeof *c->pc);
    c->ps = xcalloc(n, sizeof *c->ps);
    c->C = xcalloc(n * n, sizeof *c->C);
    c->B = xcalloc(n * n, sizeof *c->B);
    c->D = xcalloc(n, sizeof *c->D);
    double *centre = xcalloc(n, sizeof *centre);
    for (size_t i = 0; i < n; i++) centre[i] = 0.5;
    cma_reset(c, lambda, centre);
    free(centre);
}

static void cma_cleanup(struct cma *c) {
    free(c->mean), free(c->pc), free(c->ps);
    free(c->C), free(c->B), free(c->D), free(c->w);
}

/* B, D from C = B diag(D^2) B^T. Returns the condition number of C. */
static double eigen(struct cma *c) {
    int n = (int)c->n, lwork = 8 * n + 8, info;
    double *work = xcalloc((size_t)lwork, sizeof *work);
    memcpy(c->B, c->C, c->n * c->n * sizeof *c->B);
    dsyev_("V", "L", &n, c->B, &n, c->D, work, &lwork, &info, 1, 1);
    free(work);
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < c->n; i++) {
        double ev = info == 0 ? fmax(c->D[i], 1e-20) : 1;
        c->D[i] = sqrt(ev);
        lo = fmin(lo, ev), hi = fmax(hi, ev);
    }
    return info == 0 ? hi / lo : INFINITY;
}

/* out = C^{-1/2} v = B diag(1/D) B^T v. */
static void inv_sqrt_times(const struct cma *c, const double *v, double *out) {
    size_t n = c->n;
    double *t = xcalloc(n, sizeof *t);
    for (size_t k = 0; k < n; k++) { // column-major B: B[k * n + i] is B_ik
        for (size_t i = 0; i < n; i++) t[k] += c->B[k * n + i] * v[i];
        t[k] /= c->D[k];
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
        for (size_t k = 0; k < n; k++) out[i] += c->B[k * n + i] * t[k];
    }
    free(t);
}

/* One generation's update. y holds all lambda steps (x - mean) / sigma,
 * best first, as rows of n. */
static void update(struct cma *c, const double *y) {
    size_t n = c->n;
    double *yw = xcalloc(n, sizeof *yw), *z = xcalloc(n, sizeof *z);
    for (size_t k = 0; k < c->mu; k++)
        for (size_t i = 0; i < n; i++) yw[i] += c->w[k] * y[k * n + i];
    for (size_t i = 0; i < n; i++) c->mean[i] += c->sigma * yw[i];

    inv_sqrt_times(c, yw, z);
    double ps_norm = 0, ks = sqrt(c->cs * (2 - c->cs) * c->mueff);
    for (size_t i = 0; i < n; i++) {
        c->ps[i] = (1 - c->cs) * c->ps[i] + ks * z[i];
        ps_norm += c->ps[i] * c->ps[i];
    }
    ps_norm = sqrt(ps_norm);
    double decay = 1 - pow(1 - c->cs, 2.0 * (c->gen + 1));
    int hs = ps_norm / sqrt(decay) < (1.4 + 2 / ((double)n + 1)) * c->chin;
    double kc = sqrt(c->cc * (2 - c->cc) * c->mueff);
    for (size_t i = 0; i < n; i++) c->pc[i] = (1 - c->cc) * c->pc[i] + hs * kc * yw[i];

    /* Negative weights act on steps rescaled to the length n in the
     * C^{-1/2} metric, which bounds how much one bad step can remove. */
    double *wc = xcalloc(c->lambda, sizeof *wc), wsum = 0;
    for (size_t k = 0; k < c->lambda; k++) {
        wsum += c->w[k];
        wc[k] = c->w[k];
        if (c->w[k] >= 0) continue;
        inv_sqrt_times(c, &y[k * n], z);
        double z2 = 0;
        for (size_t i = 0; i < n; i++) z2 += z[i] * z[i];
        wc[k] *= (double)n / fmax(z2, 1e-20);
    }
    double keep = 1 - c->c1 - c->cmu * wsum + (1 - hs) * c->c1 * c->cc * (2 - c->cc);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double rank_mu = 0;
            for (size_t k = 0; k < c->lambda; k++) rank_mu += wc[k] * y[k * n + i] * y[k * n + j];
            c->C[i * n + j] =
                keep * c->C[i * n + j] + c->c1 * c->pc[i] * c->pc[j] + c->cmu * rank_mu;
        }
    c->sigma *= exp(fmin(1.0, (c->cs / c->damps) * (ps_norm / c->chin - 1)));
    c->gen++;
    free(wc);
    free(yw);
    free(z);
}

/* ---- replay ------------------------------------------------------------------ */

struct member {
    double loss;
    const double *u; // n unit coordinates
};

static int cmp_member(const void *a, const void *b) {
    double x = ((const struct member *)a)->loss, y = ((const struct member *)b)->loss;
    return (x > y) - (x < y);
}

/* Whether the run should restart after a generation whose sorted losses
 * are in g[lambda]. The thresholds are the usual ones scaled to the unit
 * cube: a step below 1e-7 of it cannot move an int or a printed float. */
static int should_restart(struct cma *c, const struct member *g, double cond) {
    if (g[0].loss < c->best - 1e-12 * fabs(c->best)) {
        c->best = g[0].loss;
        c->best_gen = c->gen;
    }
    double max_d = 0;
    for (size_t i = 0; i < c->n; i++) max_d = fmax(max_d, c->D[i]);
    int stall = 10 + (int)(30.0 * (double)c->n / (double)c->lambda);
    return c->sigma * max_d < 1e-7 || cond > 1e14 ||
           g[c->lambda - 1].loss - g[0].loss <= 1e-12 * fmax(1, fabs(g[0].loss)) ||
           c->gen - c->best_gen > stall;
}

static void restart(struct cma *c, uint64_t seed) {
    struct rng r;
    rng_seed(&r, seed, 0xc3a0000 + (uint64_t)c->n_restarts);
    double *m = xcalloc(c->n, sizeof *m);
    for (size_t i = 0; i < c->n; i++) m[i] = 0.2 + 0.6 * rng_uniform(&r);
    c->n_restarts++;
    cma_reset(c, c->lambda * 2, m);
    free(m);
}

/* Replay every full generation of the n_rows finished points (u rows of
 * c->n, losses in loss) through c. */
static void replay(struct cma *c, const double *u, const double *loss, size_t n_rows, uint64_t seed,
                   int is_restart) {
    struct member *g = xcalloc(n_rows + 1, sizeof *g);
    double *y = xcalloc(n_rows * c->n + 1, sizeof *y);
    for (size_t start = 0; start + c->lambda <= n_rows; start += c->lambda) {
        size_t lambda = c->lambda;
        for (size_t k = 0; k < lambda; k++)
            g[k] = (struct member){loss[start + k], &u[(start + k) * c->n]};
        qsort(g, lambda, sizeof *g, cmp_member);
        for (size_t k = 0; k < lambda; k++)
            for (size_t i = 0; i < c->n; i++) y[k * c->n + i] = (g[k].u[i] - c->mean[i]) / c->sigma;
        update(c, y);
        double cond = eigen(c);
        if (is_restart && should_restart(c, g, cond)) restart(c, seed);
    }
    free(g);
    free(y);
}

/* ---- proposing ------------------------------------------------------------- */

/* Indices of the numeric params, the ones CMA-ES moves. */
static size_t numeric_params(const struct space *s, size_t *idx) {
    size_t n = 0;
    for (size_t j = 0; j < s->n_params; j++)
        if (s->params[j].kind != SPACE_CAT) idx[n++] = j;
    return n;
}

/* Finished trials as unit rows (inactive coordinates at the mean of the
 * cube) with losses; NaN losses become the worst seen plus one. */
static size_t collect(const struct hist *h, const struct space *s, const size_t *idx, size_t n,
                      double *u, double *loss) {
    size_t rows = 0;
    double worst = -INFINITY;
    for (size_t i = 0; i < h->n; i++)
        if (hist_is_done(h, i)) worst = fmax(worst, h->loss[i * h->m]);
    for (size_t i = 0; i < h->n; i++) {
        if (h->state[i] != SEARCH_COMPLETE) continue;
        for (size_t k = 0; k < n; k++) {
            double v = h->x[i * h->d + idx[k]];
            u[rows * n + k] = isnan(v) ? 0.5 : space_to_unit(&s->params[idx[k]], v);
        }
        loss[rows++] = hist_is_done(h, i) ? h->loss[i * h->m] : worst + 1;
    }
    return rows;
}

/* Draw from N(mean, sigma^2 C) until the point lies in the cube (then
 * clamp after 100 tries); write it into x at the numeric params. */
static void sample(const struct cma *c, struct rng *r, const struct space *s, const size_t *idx,
                   double *x) {
    size_t n = c->n;
    double *z = xcalloc(n, sizeof *z), *u = xcalloc(n, sizeof *u);
    for (int tries = 0; tries < 100; tries++) {
        int is_inside = 1;
        for (size_t k = 0; k < n; k++) z[k] = c->D[k] * rng_normal(r);
        for (size_t i = 0; i < n; i++) {
            u[i] = c->mean[i];
            for (size_t k = 0; k < n; k++) u[i] += c->sigma * c->B[k * n + i] * z[k];
            is_inside &= u[i] >= 0 && u[i] <= 1;
        }
        if (is_inside) break;
    }
    for (size_t k = 0; k < n; k++) x[idx[k]] = space_from_unit(&s->params[idx[k]], u[k]);
    free(z);
    free(u);
}

/* Fill the categoricals: half the time the best trial's choice, else a
 * random one; then clear params whose condition fails and give newly
 * active ones a random value.
 * TODO: categoricals are not learned by the strategy, only copied from
 * the best trial or drawn at random, so on spaces where a categorical
 * matters CMA-ES does little better than random for it. A per-choice
 * probability vector updated from each generation's ranking (as in
 * margin-corrected CMA-ES variants) would fix it. */
static void fill_rest(const struct space *s, const struct hist *h, struct rng *r, double *x) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < h->n; i++)
        if (hist_is_done(h, i) && (best == SIZE_MAX || h->loss[i * h->m] < h->loss[best * h->m]))
            best = i;
    for (size_t j = 0; j < s->n_params; j++) {
        const struct space_param *p = &s->params[j];
        if (p->kind != SPACE_CAT) continue;
        double from_best = best == SIZE_MAX ? NAN : h->x[best * h->d + j];
        x[j] = !isnan(from_best) && rng_uniform(r) < 0.5 ? from_best
                                                         : (double)rng_below(r, p->n_choices);
    }
    for (size_t j = 0; j < s->n_params; j++) {
        if (!space_is_active(s, j, x))
            x[j] = NAN;
        else if (isnan(x[j]))
            x[j] = space_from_unit(&s->params[j], rng_uniform(r));
    }
}

int cmaes_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    const struct space *s = ctx->space;
    size_t *idx = xcalloc(s->n_params + 1, sizeof *idx);
    size_t n = numeric_params(s, idx);
    if (n > 0) {
        size_t lambda = 4 + (size_t)floor(3 * log((double)n));
        lambda = (size_t)opts_num(ctx->options, "popsize", (double)lambda);
        struct cma c;
        /* A sixth of the cube: the distribution's 3-sigma range then spans
         * it from the centre, the usual start. */
        cma_init(&c, n, opts_num(ctx->options, "sigma0", 1.0 / 6), lambda);
        double *u = xcalloc(h->n * n + 1, sizeof *u), *loss = xcalloc(h->n + 1, sizeof *loss);
        size_t rows = collect(h, s, idx, n, u, loss);
        replay(&c, u, loss, rows, ctx->seed, opts_bool(ctx->options, "restart", 1));
        sample(&c, r, s, idx, x);
        free(u);
        free(loss);
        cma_cleanup(&c);
    }
    fill_rest(s, h, r, x);
    free(idx);
    return 0;
}
