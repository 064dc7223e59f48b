/* nn_dropout: draws the mask four values per random word, comparing 16-bit
 * slices to p, because one generator call per value would dominate the
 * cost of this layer. Entry points: nn_dropout_forward,
 * nn_dropout_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_dropout.h"

static void draw_mask(float p, uint8_t *mask, size_t n, struct nn_rng *rng) {
    /* Keep when a uniform 16-bit slice is >= p * 65536; the 2^-16
     * resolution of p is far finer than any useful dropout step. */
    uint32_t cut = (uint32_t)(p * 65536.0f);
    size_t i = 0;
    while (i < n) {
        uint64_t bits = nn_rng_next(rng);
        for (int k = 0; k < 4 && i < n; k++, i++) {
            mask[i] = (uint32_t)(bits & 0xffff) >= cut;
            bits >>= 16;
        }
    }
}

void nn_dropout_forward(float p, const float *x, float *y, uint8_t *mask, size_t n,
                        struct nn_rng *rng) {
    if (rng) draw_mask(p, mask, n, rng);
    float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) y[i] = mask[i] ? x[i] * scale : 0.0f;
}

void nn_dropout_backward(float p, const float *dy, const uint8_t *mask, float *dx, size_t n) {
    float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}
