/* nn_dropout: inverted dropout. In training each value is zeroed with
 * probability p and the survivors scaled by 1/(1-p), so evaluation is the
 * identity and needs no call here. Entry points: nn_dropout_forward,
 * nn_dropout_backward.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_DROPOUT_H
#define HPOD_NN_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "nn_rng.h"

/* Draw mask: (n) of 0/1 from rng unless rng is NULL (then mask is used as
 * given, for tests), and write y = x * mask / (1 - p). p is in [0, 1). */
void nn_dropout_forward(float p, const float *x, float *y, uint8_t *mask, size_t n,
                        struct nn_rng *rng);

/* dx = dy * mask / (1 - p). */
void nn_dropout_backward(float p, const float *dy, const uint8_t *mask, float *dx, size_t n);

#endif
