/* nn_dense: fully connected forward and backward as three sgemm calls.
 * The bias is written first and sgemm adds onto it (beta = 1), which saves
 * a pass over the output. Entry points: nn_dense_forward,
 * nn_dense_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_dense.h"

#include <cblas.h>
#include <string.h>

void nn_dense_forward(const struct nn_dense *l, const float *x, float *y,
                      size_t batch) {
    size_t n_in = l->n_in, n_out = l->n_out;
    for (size_t i = 0; i < batch; i++) {
        memcpy(y + i * n_out, l->b, n_out * sizeof *y);
    }
    /* y: (batch, n_out) += x: (batch, n_in) * w^T: (n_in, n_out) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch,
                (int)n_out, (int)n_in, 1.0f, x, (int)n_in, l->w, (int)n_in,
                1.0f, y, (int)n_out);
}

void nn_dense_backward(const struct nn_dense *l, const float *x,
                       const float *dy, float *dx, size_t batch) {
    size_t n_in = l->n_in, n_out = l->n_out;

    /* dw: (n_out, n_in) = dy^T: (n_out, batch) * x: (batch, n_in) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out,
                (int)n_in, (int)batch, 1.0f, dy, (int)n_out, x, (int)n_in,
                0.0f, l->dw, (int)n_in);

    memset(l->db, 0, n_out * sizeof *l->db);
    for (size_t i = 0; i < batch; i++) {
        const float *row = dy + i * n_out;
        for (size_t j = 0; j < n_out; j++) l->db[j] += row[j];
    }

    if (!dx) return;
    /* dx: (batch, n_in) = dy: (batch, n_out) * w: (n_out, n_in) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch,
                (int)n_in, (int)n_out, 1.0f, dy, (int)n_out, l->w,
                (int)n_in, 0.0f, dx, (int)n_in);
}
