/* nn_dense: fully connected forward and backward as three sgemm calls,
 * each cut into one slice per nn_par thread: forward and dw by output
 * unit, dx by input feature, so slices never write the same memory and a
 * thread's arithmetic does not depend on the others. The bias is written
 * first and sgemm adds onto it (beta = 1), which saves a pass over the
 * output. Entry points: nn_dense_forward, nn_dense_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_dense.h"

#include <cblas.h>
#include <string.h>

#include "nn_par.h"

/* Slice boundaries are multiples of 16 floats, one AVX-512 vector. */
#define SLICE_ALIGN 16

struct dense_job {
    const struct nn_dense *l;
    const float *x, *dy;
    float *out; /* y (forward) or dx (backward, may be NULL) */
    size_t batch;
};

/* y[:, j0:j1] = b[j0:j1] + x: (batch, n_in) * w[j0:j1, :]^T */
static void forward_slice(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct dense_job *j = ctx;
    const struct nn_dense *l = j->l;
    size_t n_in = l->n_in, n_out = l->n_out, j0, j1;
    nn_par_range(n_out, task, nn_par_threads(), SLICE_ALIGN, &j0, &j1);
    if (j0 == j1) return;
    for (size_t i = 0; i < j->batch; i++) {
        memcpy(j->out + i * n_out + j0, l->b + j0, (j1 - j0) * sizeof *l->b);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->batch, (int)(j1 - j0), (int)n_in,
                1.0f, j->x, (int)n_in, l->w + j0 * n_in, (int)n_in, 1.0f, j->out + j0, (int)n_out);
}

void nn_dense_forward(const struct nn_dense *l, const float *x, float *y, size_t batch) {
    struct dense_job j = {l, x, NULL, y, batch};
    nn_par_run(forward_slice, &j, nn_par_threads());
}

/* dw and db for output units [r0, r1). */
static void weight_grad_slice(const struct dense_job *j, size_t r0, size_t r1) {
    const struct nn_dense *l = j->l;
    size_t n_in = l->n_in, n_out = l->n_out;
    /* dw[r0:r1, :] = dy[:, r0:r1]^T: (r1-r0, batch) * x: (batch, n_in) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(r1 - r0), (int)n_in, (int)j->batch,
                1.0f, j->dy + r0, (int)n_out, j->x, (int)n_in, 0.0f, l->dw + r0 * n_in, (int)n_in);
    memset(l->db + r0, 0, (r1 - r0) * sizeof *l->db);
    for (size_t i = 0; i < j->batch; i++) {
        const float *row = j->dy + i * n_out;
        for (size_t r = r0; r < r1; r++) l->db[r] += row[r];
    }
}

static void backward_slice(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct dense_job *j = ctx;
    const struct nn_dense *l = j->l;
    size_t n_in = l->n_in, n_out = l->n_out, n_parts = nn_par_threads();
    size_t lo, hi;
    nn_par_range(n_out, task, n_parts, SLICE_ALIGN, &lo, &hi);
    if (lo < hi) weight_grad_slice(j, lo, hi);

    nn_par_range(n_in, task, n_parts, SLICE_ALIGN, &lo, &hi);
    if (!j->out || lo == hi) return;
    /* dx[:, lo:hi] = dy: (batch, n_out) * w[:, lo:hi]: (n_out, hi-lo) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)j->batch, (int)(hi - lo),
                (int)n_out, 1.0f, j->dy, (int)n_out, l->w + lo, (int)n_in, 0.0f, j->out + lo,
                (int)n_in);
}

void nn_dense_backward(const struct nn_dense *l, const float *x, const float *dy, float *dx,
                       size_t batch) {
    struct dense_job j = {l, x, dy, dx, batch};
    nn_par_run(backward_slice, &j, nn_par_threads());
}
