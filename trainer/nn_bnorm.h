/* nn_bnorm: batch normalisation per channel with learned scale and shift
 * and running statistics for evaluation. Works on (C, B, H, W) tensors
 * (channel-major) and on (B, C) dense outputs (channel-minor).
 * Entry points: nn_bnorm_forward, nn_bnorm_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_BNORM_H
#define HPOD_NN_BNORM_H

#include <stdbool.h>
#include <stddef.h>

struct nn_bnorm {
    size_t c;                             /* channels */
    bool is_dense;                        /* true: x is (m, c); false: x is (c, m) */
    float momentum, eps;                  /* running-stat update rate (0.1), epsilon */
    float *gamma, *beta, *dgamma, *dbeta; /* (c) each, borrowed params */
    float *run_mean, *run_var;            /* (c) each, borrowed buffers */
    float *xhat;                          /* (c * m) normalised input, borrowed scratch */
    float *inv_std;                       /* (c) 1/sqrt(var + eps) of the batch, scratch */
};

/* y = gamma * (x - mean) / sqrt(var + eps) + beta over m values per
 * channel. Training uses the batch's statistics and updates the running
 * ones (unbiased variance, as PyTorch); evaluation uses the running ones. */
void nn_bnorm_forward(const struct nn_bnorm *l, const float *x, float *y, size_t m, bool is_train);

/* Overwrite dgamma, dbeta and write dx from dy, after a training
 * forward pass of the same batch. */
void nn_bnorm_backward(const struct nn_bnorm *l, const float *dy, float *dx, size_t m);

#endif
