/* nn_augment: seeded random shifts, small rotations and horizontal flips
 * of one grey image, applied while converting uint8 pixels to floats.
 * Each is switchable on its own. Entry point: nn_augment_image.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_AUGMENT_H
#define HPOD_NN_AUGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_rng.h"

struct nn_aug {
    int shift_px;     /* max shift each way in pixels, 0 = off */
    float rotate_deg; /* max rotation each way in degrees, 0 = off */
    bool is_flip;     /* flip left-right with probability 1/2 */
};

/* True when cfg asks for any augmentation at all. */
bool nn_augment_is_on(const struct nn_aug *cfg);

/* Write src: (h, w) uint8 to dst: (h, w) floats in [0, 1], moved by one
 * random draw of cfg. Pixels that come from outside the image are 0. */
void nn_augment_image(const uint8_t *src, float *dst, size_t h, size_t w, const struct nn_aug *cfg,
                      struct nn_rng *rng);

#endif
