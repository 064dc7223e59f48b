/* nn_dense: the fully connected layer, y = x W^T + b, on OpenBLAS sgemm.
 * It holds no memory of its own: weights and gradients point into the
 * network's flat parameter arrays. Entry points: nn_dense_forward,
 * nn_dense_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_DENSE_H
#define HPOD_NN_DENSE_H

#include <stddef.h>

struct nn_dense {
    size_t n_in, n_out;
    float *w, *b;   /* w: (n_out, n_in)  b: (n_out), borrowed */
    float *dw, *db; /* same shapes, borrowed */
};

/* y: (batch, n_out) = x: (batch, n_in) W^T + b. */
void nn_dense_forward(const struct nn_dense *l, const float *x, float *y, size_t batch);

/* Given dy: (batch, n_out), overwrite dw and db with the gradients of this
 * batch and, when dx is not NULL, write dx: (batch, n_in). */
void nn_dense_backward(const struct nn_dense *l, const float *x, const float *dy, float *dx,
                       size_t batch);

#endif
