/* nn_rng: the trainer's seeded random generator (xoshiro256**). Its whole
 * state is four words, so a checkpoint can save and restore it exactly.
 * Not for cryptography. Entry points: nn_rng_seed, nn_rng_next,
 * nn_rng_uniform, nn_rng_normal, nn_rng_below, nn_rng_shuffle.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_RNG_H
#define HPOD_NN_RNG_H

#include <stddef.h>
#include <stdint.h>

struct nn_rng {
    uint64_t s[4];
};

/* Derive a full state from one seed; streams with different stream ids
 * are independent (data split, init, shuffling, dropout ...). */
void nn_rng_seed(struct nn_rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t nn_rng_next(struct nn_rng *r);

/* Uniform float in [0, 1). */
float nn_rng_uniform(struct nn_rng *r);

/* Standard normal float (Box-Muller, one value per call). */
float nn_rng_normal(struct nn_rng *r);

/* Uniform integer in [0, n); n must be > 0. */
size_t nn_rng_below(struct nn_rng *r, size_t n);

/* Shuffle idx[0..n) in place (Fisher-Yates). */
void nn_rng_shuffle(struct nn_rng *r, uint32_t *idx, size_t n);

#endif
