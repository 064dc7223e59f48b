/* nn_conv: 2-D convolution, stride 1, square kernel, zero padding, on
 * tensors laid out (channels, batch, height, width) so that one sgemm per
 * chunk of images writes its output in place; chunks run on the nn_par
 * threads. Entry points: nn_conv_out_size, nn_conv_workspace_floats,
 * nn_conv_forward, nn_conv_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_CONV_H
#define HPOD_NN_CONV_H

#include <stddef.h>

struct nn_conv {
    size_t c_in, c_out, k, pad; /* kernel k x k, stride 1 */
    size_t h, w;                /* input height and width */
    float *weight, *b;          /* weight: (c_out, c_in*k*k)  b: (c_out) */
    float *dw, *db;             /* same shapes; all four borrowed */
    float *ws;                  /* workspace, nn_conv_workspace_floats,
                                   borrowed */
};

/* Output height (and width, with w) for input h: h + 2*pad - k + 1. */
size_t nn_conv_out_size(const struct nn_conv *l, size_t h);

/* Floats the workspace ws must hold: independent of the batch size but
 * proportional to nn_par_threads(), so size it after nn_par_start. */
size_t nn_conv_workspace_floats(const struct nn_conv *l);

/* y: (c_out, batch, oh, ow) = conv(x: (c_in, batch, h, w)) + b. */
void nn_conv_forward(const struct nn_conv *l, const float *x, float *y, size_t batch);

/* Overwrite dw and db from dy: (c_out, batch, oh, ow); when dx is not
 * NULL also write dx: (c_in, batch, h, w). */
void nn_conv_backward(const struct nn_conv *l, const float *x, const float *dy, float *dx,
                      size_t batch);

#endif
