/* nn_data: MNIST-format data sets (gzip idx files) held as uint8 pixels,
 * a seeded train/validation split, a synthetic generator for tests, and
 * conversion of one mini-batch to floats. Augmentation is nn_augment's.
 * Entry points: nn_data_load, nn_data_synthetic, nn_data_split,
 * nn_data_batch, nn_data_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_DATA_H
#define HPOD_NN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "nn_augment.h"
#include "nn_err.h"
#include "nn_rng.h"

struct nn_dataset {
    size_t n;        /* number of images */
    size_t h, w;     /* image size, 28 x 28 for MNIST */
    uint8_t *pixels; /* (n, h, w), owned */
    uint8_t *labels; /* (n), each < 10, owned */
};

/* Read DIR/PREFIX-images-idx3-ubyte.gz and DIR/PREFIX-labels-idx1-ubyte.gz
 * (prefix "train" or "t10k") into ds (caller storage; release with
 * nn_data_cleanup). limit > 0 keeps only the first limit images.
 * Errors: NN_ERR_INPUT for a missing, truncated or malformed file. */
int nn_data_load(struct nn_dataset *ds, const char *dir, const char *prefix, size_t limit,
                 struct nn_err *e);

/* Fill ds with n generated 28x28 images of 10 classes that a small model
 * learns within an epoch; the same seed gives the same images. */
void nn_data_synthetic(struct nn_dataset *ds, size_t n, uint64_t seed);

/* Release what nn_data_load or nn_data_synthetic allocated. */
void nn_data_cleanup(struct nn_dataset *ds);

/* A set of image indices into a data set. */
struct nn_split {
    uint32_t *train; /* (n_train), owned */
    uint32_t *val;   /* (n_val), owned */
    size_t n_train, n_val;
};

/* Cut round(n * val_fraction) images at random (stream fixed by seed) for
 * validation; the rest train. Release with nn_data_split_cleanup. */
void nn_data_split(struct nn_split *s, size_t n, double val_fraction, uint64_t seed);

void nn_data_split_cleanup(struct nn_split *s);

/* Convert images idx[0..n) to x: (n, h*w) floats in [0, 1] and their labels
 * to y: (n). aug may be NULL (no augmentation); rng is used only by it. */
void nn_data_batch(const struct nn_dataset *ds, const uint32_t *idx, size_t n, float *x, uint8_t *y,
                   const struct nn_aug *aug, struct nn_rng *rng);

#endif
