/* nn_pool: max-pooling that remembers the winning position of each window
 * in one byte, so backward needs neither x nor y. Ties go to the first
 * position in row-major order. Entry points: nn_pool_forward,
 * nn_pool_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_pool.h"

#include <string.h>

void nn_pool_forward(const float *x, float *y, uint8_t *arg, size_t n_planes,
                     size_t h, size_t w) {
    size_t oh = h / 2, ow = w / 2;
    for (size_t p = 0; p < n_planes; p++) {
        const float *in = x + p * h * w;
        for (size_t i = 0; i < oh; i++) {
            const float *r0 = in + 2 * i * w, *r1 = r0 + w;
            float *out = y + (p * oh + i) * ow;
            uint8_t *a = arg + (p * oh + i) * ow;
            for (size_t j = 0; j < ow; j++) {
                float v[4] = {r0[2 * j], r0[2 * j + 1], r1[2 * j],
                              r1[2 * j + 1]};
                uint8_t best = 0;
                for (uint8_t q = 1; q < 4; q++) {
                    if (v[q] > v[best]) best = q;
                }
                out[j] = v[best];
                a[j] = best;
            }
        }
    }
}

void nn_pool_backward(const float *dy, const uint8_t *arg, float *dx,
                      size_t n_planes, size_t h, size_t w) {
    size_t oh = h / 2, ow = w / 2;
    memset(dx, 0, n_planes * h * w * sizeof *dx);
    for (size_t p = 0; p < n_planes; p++) {
        float *in = dx + p * h * w;
        for (size_t i = 0; i < oh; i++) {
            const float *g = dy + (p * oh + i) * ow;
            const uint8_t *a = arg + (p * oh + i) * ow;
            for (size_t j = 0; j < ow; j++) {
                size_t r = 2 * i + (a[j] >> 1), c = 2 * j + (a[j] & 1);
                in[r * w + c] = g[j];
            }
        }
    }
}
