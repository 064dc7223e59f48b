/* nn_pool: max-pooling that remembers the winning position of each window
 * in one byte, so backward needs neither x nor y. Ties go to the first
 * position in row-major order. Both passes split the planes over the
 * nn_par threads.
 * Entry points: nn_pool_forward, nn_pool_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_pool.h"

#include <string.h>

#include "nn_par.h"

struct pool_job {
    const float *x; // forward: x, backward: dy
    float *y;       // forward: y, backward: dx
    const uint8_t *arg_in;
    uint8_t *arg_out;
    size_t n_planes, h, w;
};

/* One output row from input rows r0 and r1 (ow windows). A later
 * position wins only when strictly larger, which keeps ties at the first.
 * Written as selects so it compiles to branch-free scalar code: 1.5x
 * faster than a branchy loop on conv outputs. GCC's vectorised form of it
 * (strided loads, byte stores) was slower again, hence the attribute. */
__attribute__((optimize("no-tree-vectorize"))) static void
pool_row(const float *r0, const float *r1, float *out, uint8_t *a, size_t ow) {
    for (size_t j = 0; j < ow; j++) {
        float best = r0[2 * j], v = r0[2 * j + 1];
        unsigned q = 0;
        q = v > best ? 1u : q;
        best = v > best ? v : best;
        v = r1[2 * j];
        q = v > best ? 2u : q;
        best = v > best ? v : best;
        v = r1[2 * j + 1];
        q = v > best ? 3u : q;
        best = v > best ? v : best;
        out[j] = best;
        a[j] = (uint8_t)q;
    }
}

static void forward_part(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct pool_job *j = ctx;
    size_t h = j->h, w = j->w, oh = h / 2, ow = w / 2, p0, p1;
    nn_par_range(j->n_planes, task, nn_par_threads(), 1, &p0, &p1);
    for (size_t p = p0; p < p1; p++) {
        const float *in = j->x + p * h * w;
        for (size_t i = 0; i < oh; i++) {
            const float *r0 = in + 2 * i * w;
            pool_row(r0, r0 + w, j->y + (p * oh + i) * ow, j->arg_out + (p * oh + i) * ow, ow);
        }
    }
}

void nn_pool_forward(const float *x, float *y, uint8_t *arg, size_t n_planes, size_t h, size_t w) {
    struct pool_job j = {x, y, NULL, arg, n_planes, h, w};
    nn_par_run(forward_part, &j, nn_par_threads());
}

/* Zero the planes, then put each gradient at its window's winner. (A
 * branch-free pass writing all four positions measured 4x slower than
 * memset plus this scatter.) */
static void backward_part(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct pool_job *j = ctx;
    size_t h = j->h, w = j->w, oh = h / 2, ow = w / 2, p0, p1;
    nn_par_range(j->n_planes, task, nn_par_threads(), 1, &p0, &p1);
    memset(j->y + p0 * h * w, 0, (p1 - p0) * h * w * sizeof *j->y);
    for (size_t p = p0; p < p1; p++) {
        float *in = j->y + p * h * w;
        for (size_t i = 0; i < oh; i++) {
            const float *g = j->x + (p * oh + i) * ow;
            const uint8_t *a = j->arg_in + (p * oh + i) * ow;
            for (size_t k = 0; k < ow; k++) {
                size_t r = 2 * i + (a[k] >> 1), c = 2 * k + (a[k] & 1);
                in[r * w + c] = g[k];
            }
        }
    }
}

void nn_pool_backward(const float *dy, const uint8_t *arg, float *dx, size_t n_planes, size_t h,
                      size_t w) {
    struct pool_job j = {dy, dx, arg, NULL, n_planes, h, w};
    nn_par_run(backward_part, &j, nn_par_threads());
}
