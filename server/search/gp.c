/* gp: Bayesian optimisation with a Gaussian process (Matern 5/2, one
 * length per feature, EI / UCB / PI). One objective only; pruned trials
 * are left out; nothing is kept between calls.
 * Entry points: gp_check, gp_suggest.
 * SPDX-License-Identifier: MIT */
#include "search/gp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "search/hist.h"
#include "search/lapack.h"
#include "search/opts.h"
#include "search/random.h"
#include "search/rng.h"

/* How it works. Params become features in the unit cube (log where
 * declared, ints at the centre of their bin, categoricals one-hot). Very
 * skewed losses are log-warped, then standardised. The kernel's lengths,
 * amplitude and noise maximise the marginal likelihood (with priors) by
 * gradient ascent, refitted on every call. The next point maximises the
 * acquisition over many random candidates, and a few are then refined by
 * a local random walk. Running trials enter at the mean loss ("constant
 * liar"), so their variance collapses and parallel proposals spread. */

static const char *const ACQ_NAMES[] = {"ei", "ucb", "pi", NULL};
static const char *const WARP_NAMES[] = {"auto", "log", "none", NULL};
static const struct opt_spec GP_OPTS[] = {
    {"acquisition", OPT_ENUM, 0, 0, ACQ_NAMES},
    {"beta", OPT_NUM, 0, 100, NULL},
    {"n_startup_trials", OPT_INT, 1, 1e6, NULL},
    {"n_candidates", OPT_INT, 10, 100000, NULL},
    {"xi", OPT_NUM, 0, 10, NULL},
    {"output_warp", OPT_ENUM, 0, 0, WARP_NAMES},
    {NULL, 0, 0, 0, NULL},
};

int gp_check(const json_t *options, const struct space *s, int n_objectives, struct err *e) {
    (void)s;
    (void)n_objectives;
    return opts_check(options, "searcher.options", GP_OPTS, e);
}

#define SQRT5 2.23606797749979
#define FIT_ITERS 40 // gradient steps; the likelihood flattens by then
#define N_REFINE 5   // candidates refined by the local walk
#define REFINE_STEPS 40
#define MIN_NOISE 1e-6 // on standardised losses; keeps K invertible

/* ---- features ------------------------------------------------------------ */

static size_t n_features(const struct space *s) {
    size_t f = 0;
    for (size_t j = 0; j < s->n_params; j++)
        f += s->params[j].kind == SPACE_CAT ? s->params[j].n_choices : 1;
    return f;
}

/* Features of values x: inactive numbers sit at 0.5, inactive
 * categoricals have an all-zero one-hot block. */
static void featurize(const struct space *s, const double *x, double *z) {
    for (size_t j = 0; j < s->n_params; j++) {
        const struct space_param *p = &s->params[j];
        if (p->kind != SPACE_CAT) {
            *z++ = isnan(x[j]) ? 0.5 : space_to_unit(p, x[j]);
            continue;
        }
        for (size_t c = 0; c < p->n_choices; c++) *z++ = !isnan(x[j]) && (size_t)x[j] == c;
    }
}

/* ---- the model ------------------------------------------------------------ */

struct gp {
    size_t n, f;     // points, features
    double *z;       // (n, f) inputs
    double *y;       // (n) standardised losses
    double *log_len; // (f) log length per feature
    double *inv_len; // (f) exp(-log_len), refreshed by factor()
    double log_amp, log_noise;
    double *r;     // (n, n) scaled distances, lower half, column-major
    double *chol;  // (n, n) lower Cholesky factor of K, column-major
    double *alpha; // (n) K^-1 y
};

static const int ONE = 1;

static double dot(size_t n, const double *x, const double *y) {
    int ni = (int)n;
    return ddot_(&ni, x, &ONE, y, &ONE);
}

/* x = L^-1 x (trans 'N') or L^-T x (trans 'T') for the lower factor. */
static void tri_solve(const struct gp *g, const char *trans, double *x) {
    int n = (int)g->n;
    dtrsv_("L", trans, "N", &n, g->chol, &n, x, &ONE, 1, 1, 1);
}

static double matern(double r) {
    return (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * exp(-SQRT5 * r);
}

static double dist(const struct gp *g, const double *a, const double *b) {
    double r2 = 0;
    for (size_t k = 0; k < g->f; k++) {
        double t = (a[k] - b[k]) * g->inv_len[k];
        r2 += t * t;
    }
    return sqrt(r2);
}

/* Build K in g->chol and factor it; adds jitter until the factor exists.
 * Returns the jitter used, or -1 if it never factored. */
static double factor(struct gp *g) {
    int n = (int)g->n, info = 1;
    double amp = exp(g->log_amp), noise = exp(g->log_noise);
    for (size_t k = 0; k < g->f; k++) g->inv_len[k] = exp(-g->log_len[k]);
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j <= i; j++)
            g->r[j * g->n + i] = dist(g, &g->z[i * g->f], &g->z[j * g->f]);
    for (double jitter = 0; jitter < 1 && info != 0; jitter = jitter ? jitter * 10 : 1e-8) {
        for (size_t i = 0; i < g->n; i++)
            for (size_t j = 0; j <= i; j++) {
                double k = amp * matern(g->r[j * g->n + i]);
                g->chol[j * g->n + i] = g->chol[i * g->n + j] = k;
            }
        for (size_t i = 0; i < g->n; i++) g->chol[i * g->n + i] += noise + jitter;
        dpotrf_("L", &n, g->chol, &n, &info, 1);
        if (info == 0) return jitter;
    }
    return -1;
}

/* alpha = K^-1 y from the factor; returns the log marginal likelihood
 * without its constant term. */
static double solve_alpha(struct gp *g) {
    memcpy(g->alpha, g->y, g->n * sizeof *g->y);
    tri_solve(g, "N", g->alpha);
    double fit = dot(g->n, g->alpha, g->alpha);
    tri_solve(g, "T", g->alpha);
    double logdet = 0;
    for (size_t i = 0; i < g->n; i++) logdet += log(g->chol[i * g->n + i]);
    return -0.5 * fit - logdet;
}

/* Priors keep the fit sane on few points. Each length has a Gamma(3, 6)
 * prior (mode 1/3 of the cube, little mass past 1): with a flat prior,
 * ARD decides too early that a dimension does not matter, and the search
 * then never looks for a second basin along it. Written for
 * theta = log(length), so the Jacobian adds one to the shape. The
 * amplitude has a weak log-normal prior around the standardised
 * variance. */
static double log_prior(const struct gp *g, double *grad) {
    double lp = 0;
    for (size_t k = 0; k < g->f; k++) {
        double len = exp(g->log_len[k]);
        lp += 3 * g->log_len[k] - 6 * len;
        grad[k] += 3 - 6 * len;
    }
    double t = g->log_amp / 2.0;
    lp -= 0.5 * t * t;
    grad[g->f] -= t / 2.0;
    return lp;
}

/* Log posterior of the hyperparameters and its gradient (f lengths,
 * amplitude, noise). Uses W = alpha alpha^T - K^-1, since
 * dL/dtheta = tr(W dK/dtheta) / 2. Returns -INFINITY if K won't factor. */
static double objective(struct gp *g, double *grad, double *kinv) {
    size_t n = g->n;
    if (factor(g) < 0) return -INFINITY;
    double lml = solve_alpha(g);
    int ni = (int)n, info;
    memcpy(kinv, g->chol, n * n * sizeof *kinv);
    dpotri_("L", &ni, kinv, &ni, &info, 1);
    if (info != 0) return -INFINITY;
    memset(grad, 0, (g->f + 2) * sizeof *grad);
    double amp = exp(g->log_amp), noise = exp(g->log_noise);
    for (size_t i = 0; i < n; i++) {
        double w_ii = g->alpha[i] * g->alpha[i] - kinv[i * n + i];
        grad[g->f + 1] += 0.5 * noise * w_ii;
        grad[g->f] += 0.5 * amp * w_ii;
        for (size_t j = 0; j < i; j++) {
            const double *a = &g->z[i * g->f], *b = &g->z[j * g->f];
            double r = g->r[j * n + i];
            double w = g->alpha[i] * g->alpha[j] - kinv[j * n + i]; // (i, j), lower
            double e5 = exp(-SQRT5 * r);
            grad[g->f] += w * amp * (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * e5; // both halves
            double c = w * amp * 5.0 / 3.0 * (1 + SQRT5 * r) * e5;
            for (size_t k = 0; k < g->f; k++) {
                double t = (a[k] - b[k]) * g->inv_len[k];
                grad[k] += c * t * t;
            }
        }
    }
    return lml + log_prior(g, grad);
}

static void clamp_hypers(struct gp *g) {
    /* Past twice the cube's width a length no longer changes the fit. */
    for (size_t k = 0; k < g->f; k++)
        g->log_len[k] = fmin(fmax(g->log_len[k], log(1e-2)), log(2.0));
    g->log_amp = fmin(fmax(g->log_amp, log(1e-2)), log(1e2));
    g->log_noise = fmin(fmax(g->log_noise, log(MIN_NOISE)), log(1.0));
}

/* Gradient ascent with an adaptive step: grow after a gain, halve and
 * step back after a loss. Plain, but each step costs one Cholesky, and
 * at these sizes a quasi-Newton method would save only a few steps.
 * TODO: the GP refits from scratch on every proposal (FIT_ITERS
 * factorisations of an n x n matrix), so a proposal costs about 15 ms at
 * 200 finished trials and grows with n^3; past about 1,000 trials it
 * takes seconds. Warm-starting from the previous fit (a cache keyed by
 * study) and a subset of data for the fit would bound it. */
static void fit(struct gp *g) {
    size_t np = g->f + 2, n = g->n;
    double *grad = xcalloc(np, sizeof *grad), *old = xcalloc(np, sizeof *old);
    double *kinv = xcalloc(n * n, sizeof *kinv);
    double step = 0.1;
    double cur = objective(g, grad, kinv);
    for (int it = 0; it < FIT_ITERS && isfinite(cur); it++) {
        double norm = sqrt(dot(np, grad, grad)) + 1e-12;
        memcpy(old, g->log_len, g->f * sizeof *old);
        old[g->f] = g->log_amp;
        old[g->f + 1] = g->log_noise;
        for (size_t k = 0; k < g->f; k++) g->log_len[k] += step * grad[k] / norm;
        g->log_amp += step * grad[g->f] / norm;
        g->log_noise += step * grad[g->f + 1] / norm;
        clamp_hypers(g);
        double *trial_grad = xcalloc(np, sizeof *trial_grad);
        double next = objective(g, trial_grad, kinv);
        if (next > cur) {
            cur = next;
            memcpy(grad, trial_grad, np * sizeof *grad);
            step *= 1.3;
        } else {
            memcpy(g->log_len, old, g->f * sizeof *old);
            g->log_amp = old[g->f];
            g->log_noise = old[g->f + 1];
            step *= 0.5;
        }
        free(trial_grad);
    }
    factor(g);
    solve_alpha(g);
    free(grad);
    free(old);
    free(kinv);
}

/* Posterior mean and standard deviation at features z; work holds n. */
static void predict(const struct gp *g, const double *z, double *work, double *mean, double *sd) {
    double amp = exp(g->log_amp);
    for (size_t i = 0; i < g->n; i++) work[i] = amp * matern(dist(g, z, &g->z[i * g->f]));
    *mean = dot(g->n, work, g->alpha);
    tri_solve(g, "N", work);
    double var = amp - dot(g->n, work, work);
    *sd = sqrt(fmax(var, 1e-12));
}

/* Posterior mean and sd at the c feature rows of zs, at once: the
 * triangular solve runs as one matrix operation, which is what makes
 * screening thousands of candidates affordable. */
static void predict_batch(const struct gp *g, const double *zs, size_t c, double *mean,
                          double *sd) {
    double amp = exp(g->log_amp);
    double *ks = xcalloc(g->n * c + 1, sizeof *ks); // (n, c), column-major
    for (size_t q = 0; q < c; q++) {
        double *col = &ks[q * g->n];
        for (size_t i = 0; i < g->n; i++)
            col[i] = amp * matern(dist(g, &zs[q * g->f], &g->z[i * g->f]));
        mean[q] = dot(g->n, col, g->alpha);
    }
    int n = (int)g->n, nc = (int)c;
    const double one = 1.0;
    dtrsm_("L", "L", "N", "N", &n, &nc, &one, g->chol, &n, ks, &n, 1, 1, 1, 1);
    for (size_t q = 0; q < c; q++) {
        double v = dot(g->n, &ks[q * g->n], &ks[q * g->n]);
        sd[q] = sqrt(fmax(amp - v, 1e-12));
    }
    free(ks);
}

/* ---- building the model from the history -------------------------------- */

static double norm_cdf(double t) {
    return 0.5 * erfc(-t / M_SQRT2);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Right-skewness of v[n] (third standardised moment). */
static double skewness(const double *v, size_t n) {
    double m = 0, m2 = 0, m3 = 0;
    for (size_t i = 0; i < n; i++) m += v[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        double t = v[i] - m;
        m2 += t * t / (double)n, m3 += t * t * t / (double)n;
    }
    return m2 > 0 ? m3 / pow(m2, 1.5) : 0;
}

/* Replace v[n] by log(v - min + delta) when mode is "log", or "auto" and
 * the losses are strongly right-skewed (Rosenbrock's corners are 10^5
 * times its valley): standardised, such losses squash every good point to
 * one value and the GP cannot rank them. With delta the gap from the
 * minimum to the median, losses below the median stay nearly linear and
 * only the tail is compressed; a smaller delta would stretch the best
 * point into an outlier of its own and starve EI elsewhere. */
static void warp(double *v, size_t n, const char *mode) {
    if (n < 3 || strcmp(mode, "none") == 0) return;
    if (strcmp(mode, "auto") == 0 && skewness(v, n) < 1) return;
    double *sorted = xcalloc(n, sizeof *sorted);
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    double lo = sorted[0], median = sorted[n / 2];
    double delta = fmax(median - lo, 1e-12 * fmax(1, fabs(lo)));
    for (size_t i = 0; i < n; i++) v[i] = log(v[i] - lo + delta);
    free(sorted);
}

/* Fill g from h: finished trials with their standardised losses,
 * finished ones with a NaN loss at the worst, running ones at the mean
 * (the liar). Returns the number of finished trials with a finite loss. */
static size_t gp_load(struct gp *g, const struct space *s, const struct hist *h,
                      const char *warp_mode) {
    double *w = xcalloc(h->n + 1, sizeof *w);
    size_t n_done = 0;
    for (size_t i = 0; i < h->n; i++)
        if (hist_is_done(h, i)) w[n_done++] = h->loss[i * h->m];
    warp(w, n_done, warp_mode);
    double sum = 0, sum2 = 0, worst = -INFINITY;
    for (size_t i = 0; i < n_done; i++) {
        sum += w[i], sum2 += w[i] * w[i];
        worst = fmax(worst, w[i]);
    }
    if (n_done == 0) {
        free(w);
        return 0;
    }
    double mean = sum / (double)n_done;
    double sd = sqrt(fmax(sum2 / (double)n_done - mean * mean, 0));
    if (!(sd > 1e-12 * fmax(1, fabs(mean)))) sd = 1;
    g->f = n_features(s);
    g->z = xcalloc((h->n + 1) * g->f, sizeof *g->z);
    g->y = xcalloc(h->n + 1, sizeof *g->y);
    g->n = 0;
    for (size_t i = 0, k = 0; i < h->n; i++) {
        double v;
        if (hist_is_done(h, i))
            v = w[k++];
        else if (h->state[i] == SEARCH_COMPLETE)
            v = worst; // NaN loss
        else if (h->state[i] == SEARCH_RUNNING)
            v = mean; // the liar
        else
            continue;
        featurize(s, &h->x[i * h->d], &g->z[g->n * g->f]);
        g->y[g->n++] = (v - mean) / sd;
    }
    free(w);
    g->log_len = xcalloc(g->f + 1, sizeof *g->log_len);
    g->inv_len = xcalloc(g->f + 1, sizeof *g->inv_len);
    g->r = xcalloc(g->n * g->n + 1, sizeof *g->r);
    for (size_t k = 0; k < g->f; k++) g->log_len[k] = log(0.5);
    g->log_amp = 0;
    g->log_noise = log(1e-3);
    g->chol = xcalloc(g->n * g->n, sizeof *g->chol);
    g->alpha = xcalloc(g->n, sizeof *g->alpha);
    return n_done;
}

static void gp_cleanup(struct gp *g) {
    free(g->z);
    free(g->y);
    free(g->log_len);
    free(g->inv_len);
    free(g->r);
    free(g->chol);
    free(g->alpha);
}

/* ---- acquisition ------------------------------------------------------------ */

struct acq {
    const struct gp *g;
    const struct space *s;
    int kind;    // 0 ei, 1 ucb, 2 pi
    double beta; // ucb width
    double best; // lowest posterior mean at a tried point
    double xi;   // EI/PI margin: improvement counts only beyond best - xi
    double *z, *work;
};

/* Acquisition value at posterior mean mu and sd; larger is better.
 * TODO: with EI the search can settle in a good local basin and stay
 * there: on Hartmann-6 about a third of the seeds end at the -3.20 local
 * minimum after 200 trials, and on Ackley it stalls on a ripple near the
 * centre. Larger xi, UCB, a longer start-up and stall detection were
 * tried and did not help reliably; a trust-region scheme with restarts
 * (as in TuRBO) is the likely fix. */
static double acq_of(const struct acq *a, double mu, double sd) {
    if (a->kind == 1) return -(mu - a->beta * sd);
    double t = (a->best - a->xi - mu) / sd;
    if (a->kind == 2) return norm_cdf(t);
    double pdf = exp(-0.5 * t * t) / sqrt(2 * M_PI);
    return sd * (t * norm_cdf(t) + pdf);
}

static double acq_value(struct acq *a, const double *x) {
    double mu, sd;
    featurize(a->s, x, a->z);
    predict(a->g, a->z, a->work, &mu, &sd);
    return acq_of(a, mu, sd);
}

/* Move x a random step of unit scale `scale`: each numeric param with
 * probability 1/2 (at least one), categoricals rarely, then repair the
 * conditions (newly active params get a random value). */
static void perturb(const struct space *s, struct rng *r, double scale, double *x) {
    size_t d = s->n_params, forced = rng_below(r, d);
    for (size_t j = 0; j < d; j++) {
        const struct space_param *p = &s->params[j];
        int is_on = j == forced || rng_uniform(r) < 0.5;
        if (!is_on || isnan(x[j])) continue;
        if (p->kind == SPACE_CAT) {
            if (rng_uniform(r) < 0.3) x[j] = (double)rng_below(r, p->n_choices);
            continue;
        }
        double u = space_to_unit(p, x[j]) + scale * rng_normal(r);
        x[j] = space_from_unit(p, u < 0 ? -u : u > 1 ? 2 - u : u);
    }
    for (size_t j = 0; j < d; j++) {
        if (!space_is_active(s, j, x))
            x[j] = NAN;
        else if (isnan(x[j]))
            x[j] = space_from_unit(&s->params[j], rng_uniform(r));
    }
}

/* Random walk from x with a shrinking step; keeps the best point. */
static double refine(struct acq *a, struct rng *r, double *x, double val) {
    size_t d = a->s->n_params;
    double *y = xcalloc(d + 1, sizeof *y);
    double scale = 0.1;
    for (int it = 0; it < REFINE_STEPS; it++) {
        memcpy(y, x, d * sizeof *y);
        perturb(a->s, r, scale, y);
        double v = acq_value(a, y);
        if (v > val) {
            val = v;
            memcpy(x, y, d * sizeof *x);
        } else {
            scale = fmax(scale * 0.8, 1e-4);
        }
    }
    free(y);
    return val;
}

/* Rows of the (at most) k finished trials with the lowest losses. */
static size_t lowest_rows(const struct hist *h, size_t *rows, size_t k) {
    size_t n = 0;
    while (n < k) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < h->n; i++) {
            int is_taken = 0;
            for (size_t b = 0; b < n; b++) is_taken |= rows[b] == i;
            if (is_taken || !hist_is_done(h, i)) continue;
            if (pick == SIZE_MAX || h->loss[i * h->m] < h->loss[pick * h->m]) pick = i;
        }
        if (pick == SIZE_MAX) break;
        rows[n++] = pick;
    }
    return n;
}

/* Candidates: random points, plus small moves around the best observed
 * points; the top N_REFINE are then refined. Writes the winner to out. */
static void maximize_acq(struct acq *a, const struct hist *h, struct rng *r, int n_cand,
                         double *out) {
    size_t d = a->s->n_params;
    double *cand = xcalloc((size_t)(n_cand + N_REFINE) * (d + 1), sizeof *cand);
    double *val = xcalloc((size_t)(n_cand + N_REFINE), sizeof *val);
    size_t best_rows[N_REFINE];
    size_t n_best = lowest_rows(h, best_rows, N_REFINE);
    double *zs = xcalloc((size_t)n_cand * a->g->f + 1, sizeof *zs);
    for (int c = 0; c < n_cand; c++) {
        double *x = &cand[(size_t)c * (d + 1)];
        if (c % 4 == 3 && n_best > 0) { // a quarter exploit the best points
            memcpy(x, &h->x[best_rows[(size_t)c / 4 % n_best] * h->d], d * sizeof *x);
            perturb(a->s, r, 0.05, x);
        } else {
            random_fill(a->s, r, x);
        }
        featurize(a->s, x, &zs[(size_t)c * a->g->f]);
    }
    double *mu = xcalloc((size_t)n_cand, sizeof *mu), *sd = xcalloc((size_t)n_cand, sizeof *sd);
    predict_batch(a->g, zs, (size_t)n_cand, mu, sd);
    for (int c = 0; c < n_cand; c++) val[c] = acq_of(a, mu[c], sd[c]);
    free(zs);
    free(mu);
    free(sd);
    /* Refine the N_REFINE best candidates (selection by repeated max). */
    double best_val = -INFINITY;
    for (int k = 0; k < N_REFINE && k < n_cand; k++) {
        int top = 0;
        for (int c = 1; c < n_cand; c++)
            if (val[c] > val[top]) top = c;
        double *x = &cand[(size_t)top * (d + 1)];
        double v = refine(a, r, x, val[top]);
        val[top] = -INFINITY;
        if (v > best_val) {
            best_val = v;
            memcpy(out, x, d * sizeof *out);
        }
    }
    free(cand);
    free(val);
}

int gp_suggest(const struct search_ctx *ctx, struct rng *r, const struct hist *h, double *x) {
    const struct space *s = ctx->space;
    struct gp g = {0};
    size_t n_done = gp_load(&g, s, h, opts_str(ctx->options, "output_warp", "auto"));
    size_t n_startup = (size_t)opts_num(ctx->options, "n_startup_trials", 10);
    if (n_done < n_startup || n_done < 2) {
        random_halton_fill(s, ctx->seed, (uint64_t)ctx->number + 1, x);
    } else {
        fit(&g);
        const char *kind = opts_str(ctx->options, "acquisition", "ei");
        struct acq a = {
            .g = &g,
            .s = s,
            .kind = kind[0] == 'e'   ? 0
                    : kind[0] == 'u' ? 1
                                     : 2,
            .beta = opts_num(ctx->options, "beta", 2.0),
            .best = INFINITY,
            .xi = opts_num(ctx->options, "xi", 0.0),
            .z = xcalloc(g.f + 1, sizeof(double)),
            .work = xcalloc(g.n + 1, sizeof(double)),
        };
        /* The incumbent is the lowest posterior mean at a tried point,
         * y - noise * alpha, not the lowest raw value: under noise the
         * raw minimum is a lucky draw that EI could never beat. */
        double noise = exp(g.log_noise);
        for (size_t i = 0; i < g.n; i++) a.best = fmin(a.best, g.y[i] - noise * g.alpha[i]);
        maximize_acq(&a, h, r, (int)opts_num(ctx->options, "n_candidates", 500), x);
        free(a.z);
        free(a.work);
    }
    if (g.f) gp_cleanup(&g);
    return 0;
}
