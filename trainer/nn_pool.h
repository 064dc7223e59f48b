/* nn_pool: 2x2 max-pooling with stride 2 over planes of (h, w); any
 * layout whose planes are contiguous works, (C, B, H, W) included. An odd
 * last row or column is dropped. Entry points: nn_pool_forward,
 * nn_pool_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_POOL_H
#define HPOD_NN_POOL_H

#include <stddef.h>
#include <stdint.h>

/* y: (n_planes, h/2, w/2) = max over each 2x2 window of x: (n_planes, h,
 * w); arg: (n_planes, h/2, w/2) records which of the 4 (0..3) won. */
void nn_pool_forward(const float *x, float *y, uint8_t *arg, size_t n_planes, size_t h, size_t w);

/* dx: (n_planes, h, w) gets dy at each winner and 0 elsewhere. */
void nn_pool_backward(const float *dy, const uint8_t *arg, float *dx, size_t n_planes, size_t h,
                      size_t w);

#endif
