/* rng: the small deterministic random generator all searchers use
 * (xoshiro256** seeded through splitmix64). It is not for secrets.
 * Entry points: rng_seed, rng_uniform, rng_normal, rng_below.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_RNG_H
#define HPOD_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Seed r from a study seed and a stream id (a trial number, a salt), so
 * that different streams of one seed are independent. */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);

uint64_t rng_next(struct rng *r);

/* Uniform in [0, 1), 53 random bits. */
double rng_uniform(struct rng *r);

/* Standard normal (Box-Muller, one value per call). */
double rng_normal(struct rng *r);

/* Uniform integer in [0, n); n must be > 0. */
size_t rng_below(struct rng *r, size_t n);

#endif
