/* nn_augment: maps each output pixel back through the inverse of a random
 * flip + rotation + shift and samples the source bilinearly. Scaling and
 * elastic distortions are deliberately absent. Entry point:
 * nn_augment_image.
 * SPDX-License-Identifier: MIT */
#include "nn_augment.h"

#include <math.h>

bool nn_augment_is_on(const struct nn_aug *cfg) {
    return cfg && (cfg->shift_px > 0 || cfg->rotate_deg > 0 || cfg->is_flip);
}

static float pixel_at(const uint8_t *src, size_t h, size_t w, int y, int x) {
    if (y < 0 || x < 0 || y >= (int)h || x >= (int)w) return 0.0f;
    return src[(size_t)y * w + (size_t)x];
}

static float sample_bilinear(const uint8_t *src, size_t h, size_t w, float fy, float fx) {
    int y0 = (int)floorf(fy), x0 = (int)floorf(fx);
    float ay = fy - (float)y0, ax = fx - (float)x0;
    float top = (1 - ax) * pixel_at(src, h, w, y0, x0) + ax * pixel_at(src, h, w, y0, x0 + 1);
    float bot =
        (1 - ax) * pixel_at(src, h, w, y0 + 1, x0) + ax * pixel_at(src, h, w, y0 + 1, x0 + 1);
    return (1 - ay) * top + ay * bot;
}

void nn_augment_image(const uint8_t *src, float *dst, size_t h, size_t w, const struct nn_aug *cfg,
                      struct nn_rng *rng) {
    /* Draw in a fixed order whatever is switched on, so runs with the
     * same flags and seed see the same images. */
    int sy = 0, sx = 0;
    if (cfg->shift_px > 0) {
        size_t span = (size_t)(2 * cfg->shift_px + 1);
        sy = (int)nn_rng_below(rng, span) - cfg->shift_px;
        sx = (int)nn_rng_below(rng, span) - cfg->shift_px;
    }
    float angle = 0.0f;
    if (cfg->rotate_deg > 0) {
        angle = (2 * nn_rng_uniform(rng) - 1) * cfg->rotate_deg;
        angle *= (float)M_PI / 180.0f;
    }
    bool is_flipped = cfg->is_flip && (nn_rng_next(rng) >> 63);

    float cy = ((float)h - 1) / 2, cx = ((float)w - 1) / 2;
    float c = cosf(angle), s = sinf(angle);
    const float scale = 1.0f / 255.0f;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            /* Undo the shift, then the rotation about the centre, then
             * the flip: the inverse of the forward order. */
            float oy = (float)y - (float)sy - cy;
            float ox = (float)x - (float)sx - cx;
            float ry = c * oy + s * ox + cy;
            float rx = -s * oy + c * ox + cx;
            if (is_flipped) rx = (float)w - 1 - rx;
            dst[y * w + x] = sample_bilinear(src, h, w, ry, rx) * scale;
        }
    }
}
