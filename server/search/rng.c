/* rng: xoshiro256** with splitmix64 seeding. Deterministic across
 * platforms, which the searchers' crash-safe replay relies on.
 * Entry points: rng_seed, rng_next, rng_uniform, rng_normal, rng_below.
 * SPDX-License-Identifier: MIT */
#include "search/rng.h"

#include <math.h>

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream) {
    /* Mix the stream through splitmix first so that nearby streams of one
     * seed do not start from nearby states. */
    uint64_t x = seed ^ 0x5851f42d4c957f2dULL;
    uint64_t st = stream;
    x ^= splitmix(&st);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r) {
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

double rng_uniform(struct rng *r) {
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double rng_normal(struct rng *r) {
    double u = 1.0 - rng_uniform(r); // in (0, 1], so log is finite
    double v = rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

size_t rng_below(struct rng *r, size_t n) {
    return (size_t)(rng_uniform(r) * (double)n) % n;
}
