/* nn_rng: xoshiro256** seeded through splitmix64, plus the few
 * distributions the trainer draws from. Deterministic for a given seed on
 * every platform. Entry points are listed in nn_rng.h.
 * SPDX-License-Identifier: MIT */
#include "nn_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void nn_rng_seed(struct nn_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t nn_rng_next(struct nn_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

float nn_rng_uniform(struct nn_rng *r) {
    /* The top 24 bits fill a float mantissa exactly, so 1.0 is never hit. */
    return (float)(nn_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

float nn_rng_normal(struct nn_rng *r) {
    /* 1 - u keeps the logarithm's argument in (0, 1]. */
    double u1 = 1.0 - (double)(nn_rng_next(r) >> 11) * 0x1.0p-53;
    double u2 = (double)(nn_rng_next(r) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

size_t nn_rng_below(struct nn_rng *r, size_t n) {
    /* Modulo bias is below 2^-40 for the sizes used here (< 2^24). */
    return (size_t)(nn_rng_next(r) % n);
}

void nn_rng_shuffle(struct nn_rng *r, uint32_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = nn_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
