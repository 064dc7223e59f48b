/* test_nn_layers: finite-difference checks of every layer's backward pass
 * (dense, conv2d, max-pool, batch norm, ReLU/tanh/GELU, dropout with a
 * fixed mask, softmax cross-entropy), plus conv on two threads against
 * one. Each check takes L = sum(y * r) for a fixed random r, compares
 * dL/dx (and dL/dw) from backward with central differences, and prints
 * the max relative difference against TOL.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_act.h"
#include "nn_bnorm.h"
#include "nn_conv.h"
#include "nn_dense.h"
#include "nn_dropout.h"
#include "nn_loss.h"
#include "nn_par.h"
#include "nn_pool.h"
#include "nn_rng.h"
#include "suite_run.h"

#define TOL 1e-3 // float32 central differences with H below pass at 1e-4
#define H 1e-2f

/* A layer under test: fwd(ctx, x, y) computes y from x and parameters. */
typedef void (*fwd_fn)(void *ctx, const float *x, float *y);

struct probe {
    fwd_fn fwd;
    void *ctx;
    float *x; /* (n_x) input */
    size_t n_x, n_y;
    const float *r; /* (n_y) weights of the scalar loss */
};

static float *rand_array(size_t n, unsigned seed, float scale) {
    struct nn_rng g;
    nn_rng_seed(&g, seed, 0);
    float *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = scale * nn_rng_normal(&g);
    return a;
}

static double loss_of(const struct probe *p) {
    float *y = malloc(p->n_y * sizeof *y);
    p->fwd(p->ctx, p->x, y);
    double s = 0;
    for (size_t i = 0; i < p->n_y; i++) s += (double)y[i] * p->r[i];
    free(y);
    return s;
}

/* Max over v[0..n) of |analytic - numeric|, relative to the largest
 * analytic value; v is perturbed in place (an input or a parameter). */
static double max_rel_diff(const struct probe *p, float *v, size_t n, const float *analytic) {
    double worst = 0, scale = 1e-3;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(analytic[i]));
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + H;
        double up = loss_of(p);
        v[i] = keep - H;
        double down = loss_of(p);
        v[i] = keep;
        double num = (up - down) / (2.0 * H);
        worst = fmax(worst, fabs(num - analytic[i]) / scale);
    }
    return worst;
}

static void expect_close(const char *what, double diff) {
    printf("%-28s max rel diff %.2e (tol %.0e)\n", what, diff, TOL);
    ck_assert_msg(diff < TOL, "%s: %g", what, diff);
}

/* ---- dense ---- */
static void dense_fwd(void *ctx, const float *x, float *y) {
    nn_dense_forward(ctx, x, y, 3);
}

START_TEST(test_dense_backward_matches_finite_differences) {
    size_t batch = 3, n_in = 5, n_out = 4;
    float *w = rand_array(n_out * n_in + n_out, 1, 0.5f);
    float *g = calloc(n_out * n_in + n_out, sizeof *g);
    struct nn_dense l = {n_in, n_out, w, w + n_out * n_in, g, g + n_out * n_in};
    float *x = rand_array(batch * n_in, 2, 1.0f);
    float *r = rand_array(batch * n_out, 3, 1.0f);
    float *dx = malloc(batch * n_in * sizeof *dx);
    nn_dense_backward(&l, x, r, dx, batch);
    struct probe p = {dense_fwd, &l, x, batch * n_in, batch * n_out, r};
    expect_close("dense dx", max_rel_diff(&p, x, batch * n_in, dx));
    expect_close("dense dw+db", max_rel_diff(&p, w, n_out * n_in + n_out, g));
    free(w), free(g), free(x), free(r), free(dx);
}
END_TEST

/* ---- conv ---- */
static void conv_fwd(void *ctx, const float *x, float *y) {
    nn_conv_forward(ctx, x, y, 2);
}

/* Gradient check of a 2-in, 3-out conv with kernel k and padding pad on
 * two 5x4 images. */
static void check_conv(size_t k, size_t pad) {
    struct nn_conv l = {.c_in = 2, .c_out = 3, .k = k, .pad = pad, .h = 5, .w = 4};
    size_t batch = 2, n_w = 3 * 2 * k * k + 3;
    size_t oh = nn_conv_out_size(&l, 5), ow = nn_conv_out_size(&l, 4);
    size_t n_x = 2 * batch * 5 * 4, n_y = 3 * batch * oh * ow;
    float *w = rand_array(n_w, 4, 0.3f);
    float *g = calloc(n_w, sizeof *g);
    l.weight = w, l.b = w + n_w - 3, l.dw = g, l.db = g + n_w - 3;
    l.ws = malloc(nn_conv_workspace_floats(&l) * sizeof(float));
    float *x = rand_array(n_x, 5, 1.0f), *r = rand_array(n_y, 6, 1.0f);
    float *dx = malloc(n_x * sizeof *dx);
    nn_conv_backward(&l, x, r, dx, batch);
    struct probe p = {conv_fwd, &l, x, n_x, n_y, r};
    expect_close("conv dx", max_rel_diff(&p, x, n_x, dx));
    expect_close("conv dw+db", max_rel_diff(&p, w, n_w, g));
    free(w), free(g), free(l.ws), free(x), free(r), free(dx);
}

START_TEST(test_conv_backward_matches_finite_differences) {
    check_conv(3, 1);
}
END_TEST

/* An even kernel makes the output one wider than the input, which takes
 * im2col's row-by-row path instead of its one-run copy. */
START_TEST(test_even_kernel_conv_backward_matches_finite_differences) {
    check_conv(2, 1);
}
END_TEST

/* Forward and backward of a conv big enough to need several chunks, on
 * 1 thread and again on 2: the partial sums are fixed per slot, not per
 * thread, so the results must be the same bits. */
static void conv_pass(size_t batch, const float *x, const float *dy, float *out) {
    struct nn_conv l = {.c_in = 32, .c_out = 8, .k = 5, .pad = 2, .h = 14, .w = 14};
    size_t n_w = 8 * 32 * 25 + 8, n_y = 8 * batch * 196;
    float *w = rand_array(n_w, 9, 0.05f);
    l.weight = w, l.b = w + n_w - 8;
    l.dw = out + n_y + 32 * batch * 196, l.db = l.dw + n_w - 8;
    l.ws = malloc(nn_conv_workspace_floats(&l) * sizeof(float));
    nn_conv_forward(&l, x, out, batch);
    nn_conv_backward(&l, x, dy, out + n_y, batch);
    free(w), free(l.ws);
}

START_TEST(test_conv_on_two_threads_matches_one_bit_for_bit) {
    size_t batch = 5, n_x = 32 * batch * 196;
    size_t n_out = 8 * batch * 196 + n_x + 8 * 32 * 25 + 8;
    float *x = rand_array(n_x, 10, 1.0f);
    float *dy = rand_array(8 * batch * 196, 11, 1.0f);
    float *one = malloc(n_out * sizeof *one);
    float *two = malloc(n_out * sizeof *two);
    conv_pass(batch, x, dy, one);
    nn_par_start(2);
    conv_pass(batch, x, dy, two);
    nn_par_stop();
    size_t n_diff = 0;
    for (size_t i = 0; i < n_out; i++) n_diff += one[i] != two[i];
    printf("%-28s %zu of %zu values differ\n", "conv 2 threads", n_diff, n_out);
    ck_assert_uint_eq(n_diff, 0);
    free(x), free(dy), free(one), free(two);
}
END_TEST

/* ---- max-pool ---- */
static uint8_t pool_arg[64];
static void pool_fwd(void *ctx, const float *x, float *y) {
    (void)ctx;
    nn_pool_forward(x, y, pool_arg, 2, 4, 6);
}

START_TEST(test_pool_backward_matches_finite_differences) {
    size_t n_x = 2 * 4 * 6, n_y = 2 * 2 * 3;
    float *x = rand_array(n_x, 7, 1.0f), *r = rand_array(n_y, 8, 1.0f);
    float *y = malloc(n_y * sizeof *y), *dx = malloc(n_x * sizeof *dx);
    nn_pool_forward(x, y, pool_arg, 2, 4, 6);
    nn_pool_backward(r, pool_arg, dx, 2, 4, 6);
    struct probe p = {pool_fwd, NULL, x, n_x, n_y, r};
    expect_close("maxpool dx", max_rel_diff(&p, x, n_x, dx));
    free(x), free(r), free(y), free(dx);
}
END_TEST

/* ---- batch norm, both layouts ---- */
static void bn_fwd(void *ctx, const float *x, float *y) {
    nn_bnorm_forward(ctx, x, y, 6, true);
}

static void check_bnorm(bool is_dense) {
    size_t c = 3, m = 6, n = c * m;
    float *p = rand_array(2 * c, 9, 0.5f), *g = calloc(2 * c, sizeof *g);
    for (size_t i = 0; i < c; i++) p[i] += 1.0f; // gamma near 1
    float buf[6] = {0, 0, 0, 1, 1, 1}, inv_std[3];
    float *xhat = malloc(n * sizeof *xhat);
    struct nn_bnorm l = {c, is_dense, 0.1f, 1e-5f, p, p + c, g, g + c, buf, buf + c, xhat, inv_std};
    float *x = rand_array(n, 10, 1.0f), *r = rand_array(n, 11, 1.0f);
    float *y = malloc(n * sizeof *y), *dx = malloc(n * sizeof *dx);
    nn_bnorm_forward(&l, x, y, m, true);
    nn_bnorm_backward(&l, r, dx, m);
    struct probe pr = {bn_fwd, &l, x, n, n, r};
    expect_close(is_dense ? "bnorm dense dx" : "bnorm spatial dx", max_rel_diff(&pr, x, n, dx));
    float *gc = malloc(2 * c * sizeof *gc);
    memcpy(gc, g, 2 * c * sizeof *gc);
    expect_close("bnorm dgamma+dbeta", max_rel_diff(&pr, p, 2 * c, gc));
    free(p), free(g), free(xhat), free(x), free(r), free(y), free(dx);
    free(gc);
}

START_TEST(test_bnorm_backward_matches_finite_differences) {
    check_bnorm(false);
    check_bnorm(true);
}
END_TEST

/* ---- activations ---- */
static void act_fwd(void *ctx, const float *x, float *y) {
    nn_act_forward(*(enum nn_act *)ctx, x, y, 20);
}

START_TEST(test_activations_backward_match_finite_differences) {
    enum nn_act acts[] = {NN_ACT_RELU, NN_ACT_TANH, NN_ACT_GELU};
    for (int a = 0; a < 3; a++) {
        float *x = rand_array(20, 12, 1.0f), *r = rand_array(20, 13, 1.0f);
        for (int i = 0; i < 20; i++) {
            if (fabsf(x[i]) < 2 * H) x[i] = 0.5f; // keep off ReLU's kink
        }
        float y[20], dx[20];
        nn_act_forward(acts[a], x, y, 20);
        nn_act_backward(acts[a], x, y, r, dx, 20);
        struct probe p = {act_fwd, &acts[a], x, 20, 20, r};
        char name[32];
        snprintf(name, sizeof name, "%s dx", nn_act_name(acts[a]));
        expect_close(name, max_rel_diff(&p, x, 20, dx));
        free(x), free(r);
    }
}
END_TEST

/* ---- dropout with a fixed mask, and in evaluation ---- */
static uint8_t drop_mask[16];
static void drop_fwd(void *ctx, const float *x, float *y) {
    (void)ctx;
    nn_dropout_forward(0.25f, x, y, drop_mask, 16, NULL);
}

START_TEST(test_dropout_fixed_mask_backward_matches_finite_differences) {
    for (int i = 0; i < 16; i++) drop_mask[i] = (uint8_t)(i % 3 != 0);
    float *x = rand_array(16, 14, 1.0f), *r = rand_array(16, 15, 1.0f);
    float dx[16];
    nn_dropout_backward(0.25f, r, drop_mask, dx, 16);
    struct probe p = {drop_fwd, NULL, x, 16, 16, r};
    expect_close("dropout dx", max_rel_diff(&p, x, 16, dx));
    free(x), free(r);
}
END_TEST

START_TEST(test_dropout_keeps_expected_fraction) {
    enum { N = 100000 };
    static float x[N], y[N];
    static uint8_t mask[N];
    for (int i = 0; i < N; i++) x[i] = 1.0f;
    struct nn_rng g;
    nn_rng_seed(&g, 5, 0);
    nn_dropout_forward(0.5f, x, y, mask, N, &g);
    double mean = 0;
    for (int i = 0; i < N; i++) mean += y[i];
    mean /= N;
    printf("dropout mean %.4f (want 1 +- 0.02)\n", mean);
    ck_assert(fabs(mean - 1.0) < 0.02);
}
END_TEST

/* ---- softmax cross-entropy ---- */
static const uint8_t ce_labels[3] = {1, 0, 3};
static void ce_fwd(void *ctx, const float *x, float *y) {
    (void)ctx;
    y[0] = (float)nn_loss_softmax_ce(x, ce_labels, 3, 4, NULL, NULL);
}

START_TEST(test_softmax_ce_gradient_matches_finite_differences) {
    float *z = rand_array(12, 16, 2.0f), dz[12], one = 1.0f;
    size_t ok;
    double loss = nn_loss_softmax_ce(z, ce_labels, 3, 4, dz, &ok);
    ck_assert(loss > 0);
    struct probe p = {ce_fwd, NULL, z, 12, 1, &one};
    expect_close("softmax-ce dlogits", max_rel_diff(&p, z, 12, dz));
    free(z);
}
END_TEST

START_TEST(test_softmax_ce_survives_huge_logits) {
    float z[4] = {1e30f, -1e30f, 0, 5};
    uint8_t y = 0;
    double loss = nn_loss_softmax_ce(z, &y, 1, 4, NULL, NULL);
    ck_assert(isfinite(loss) && loss < 1e-6);
}
END_TEST

int main(void) {
    Suite *s = suite_create("nn_layers");
    TCase *tc = tcase_create("gradients");
    tcase_add_test(tc, test_dense_backward_matches_finite_differences);
    tcase_add_test(tc, test_conv_backward_matches_finite_differences);
    tcase_add_test(tc, test_even_kernel_conv_backward_matches_finite_differences);
    tcase_add_test(tc, test_conv_on_two_threads_matches_one_bit_for_bit);
    tcase_add_test(tc, test_pool_backward_matches_finite_differences);
    tcase_add_test(tc, test_bnorm_backward_matches_finite_differences);
    tcase_add_test(tc, test_activations_backward_match_finite_differences);
    tcase_add_test(tc, test_dropout_fixed_mask_backward_matches_finite_differences);
    tcase_add_test(tc, test_dropout_keeps_expected_fraction);
    tcase_add_test(tc, test_softmax_ce_gradient_matches_finite_differences);
    tcase_add_test(tc, test_softmax_ce_survives_huge_logits);
    suite_add_tcase(s, tc);
    return suite_run(s);
}
