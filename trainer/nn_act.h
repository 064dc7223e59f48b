/* nn_act: element-wise activations ReLU, tanh and GELU (the exact, erf
 * form), forward and backward, on flat arrays of any layout.
 * Entry points: nn_act_parse, nn_act_name, nn_act_forward, nn_act_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_ACT_H
#define HPOD_NN_ACT_H

#include <stddef.h>

enum nn_act { NN_ACT_RELU, NN_ACT_TANH, NN_ACT_GELU };

/* Map "relu", "tanh" or "gelu" to *out; -1 for any other name. */
int nn_act_parse(const char *name, enum nn_act *out);

/* The flag spelling of a (static storage). */
const char *nn_act_name(enum nn_act a);

/* y[i] = f(x[i]) for i < n. x and y may be the same array. */
void nn_act_forward(enum nn_act a, const float *x, float *y, size_t n);

/* dx[i] = f'(x[i]) * dy[i]; y must hold the forward output (tanh uses it). */
void nn_act_backward(enum nn_act a, const float *x, const float *y, const float *dy, float *dx,
                     size_t n);

#endif
