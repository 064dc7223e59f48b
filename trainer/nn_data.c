/* nn_data: reads gzip idx files with zlib, checking magic, sizes and
 * length, and keeps pixels as uint8 (a quarter of the float size); floats
 * exist only for the current mini-batch. Also the seeded split and a
 * synthetic data set for tests. Entry points are listed in nn_data.h.
 * SPDX-License-Identifier: MIT */
#include "nn_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nn_mem.h"

#define IDX_MAGIC_U8_3D 0x00000803u // unsigned bytes, 3 dimensions
#define IDX_MAGIC_U8_1D 0x00000801u
#define N_CLASSES 10
#define MAX_IMAGES 100000000u // far above any MNIST-format set

/* Read exactly n bytes or fail naming the file. */
static int gz_read_all(gzFile f, void *buf, size_t n, const char *path, struct nn_err *e) {
    uint8_t *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int got = gzread(f, p, chunk);
        if (got <= 0) {
            return nn_err_set(e, NN_ERR_INPUT, "data file %s is truncated or corrupt", path);
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int read_be32(gzFile f, uint32_t *out, const char *path, struct nn_err *e) {
    uint8_t b[4];
    if (gz_read_all(f, b, 4, path, e) < 0) return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* Open path, check its idx header (magic, then n_dims sizes) and return
 * the sizes in dims. */
static gzFile open_idx(const char *path, uint32_t magic, uint32_t *dims, int n_dims,
                       struct nn_err *e) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        nn_err_set(e, NN_ERR_INPUT, "cannot open data file %s", path);
        return NULL;
    }
    uint32_t m;
    if (read_be32(f, &m, path, e) < 0) goto fail;
    if (m != magic) {
        nn_err_set(e, NN_ERR_INPUT, "data file %s has a bad idx magic", path);
        goto fail;
    }
    for (int i = 0; i < n_dims; i++) {
        if (read_be32(f, &dims[i], path, e) < 0) goto fail;
        if (dims[i] == 0 || dims[i] > MAX_IMAGES) {
            nn_err_set(e, NN_ERR_INPUT, "data file %s has a bad size", path);
            goto fail;
        }
    }
    return f;
fail:
    gzclose(f);
    return NULL;
}

/* Read the body and make sure the stream ends where the header says:
 * a truncated file fails the read, a wrong length fails here. */
static int read_body(gzFile f, void *buf, size_t n, size_t n_total, const char *path,
                     struct nn_err *e) {
    if (gz_read_all(f, buf, n, path, e) < 0) return -1;
    if (n < n_total) return 0; // --limit-train: the rest is not read
    uint8_t extra;
    if (gzread(f, &extra, 1) != 0) {
        return nn_err_set(e, NN_ERR_INPUT, "data file %s is longer than its header says", path);
    }
    int zerr;
    gzerror(f, &zerr);
    if (zerr != Z_OK) {
        return nn_err_set(e, NN_ERR_INPUT, "data file %s is corrupt", path);
    }
    return 0;
}

static int load_images(struct nn_dataset *ds, const char *path, size_t limit, struct nn_err *e) {
    uint32_t dims[3];
    gzFile f = open_idx(path, IDX_MAGIC_U8_3D, dims, 3, e);
    if (!f) return -1;
    if (dims[1] > 1024 || dims[2] > 1024) {
        gzclose(f);
        return nn_err_set(e, NN_ERR_INPUT, "data file %s: images too large", path);
    }
    ds->n = limit > 0 && limit < dims[0] ? limit : dims[0];
    ds->h = dims[1];
    ds->w = dims[2];
    size_t n_bytes = ds->n * ds->h * ds->w; // bounded by the checks above
    ds->pixels = nn_xmalloc(n_bytes, 1);
    int rc = read_body(f, ds->pixels, n_bytes, (size_t)dims[0] * ds->h * ds->w, path, e);
    gzclose(f);
    return rc;
}

static int load_labels(struct nn_dataset *ds, const char *path, struct nn_err *e) {
    uint32_t n;
    gzFile f = open_idx(path, IDX_MAGIC_U8_1D, &n, 1, e);
    if (!f) return -1;
    if (n < ds->n) {
        gzclose(f);
        return nn_err_set(e, NN_ERR_INPUT, "data file %s has fewer labels than images", path);
    }
    ds->labels = nn_xmalloc(ds->n, 1);
    int rc = read_body(f, ds->labels, ds->n, n, path, e);
    gzclose(f);
    for (size_t i = 0; rc == 0 && i < ds->n; i++) {
        if (ds->labels[i] >= N_CLASSES) {
            rc = nn_err_set(e, NN_ERR_INPUT, "data file %s has label %u out of 0..9", path,
                            ds->labels[i]);
        }
    }
    return rc;
}

int nn_data_load(struct nn_dataset *ds, const char *dir, const char *prefix, size_t limit,
                 struct nn_err *e) {
    memset(ds, 0, sizeof *ds);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    if (load_images(ds, path, limit, e) < 0) goto fail;
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    if (load_labels(ds, path, e) < 0) goto fail;
    return 0;
fail:
    nn_data_cleanup(ds);
    return -1;
}

void nn_data_synthetic(struct nn_dataset *ds, size_t n, uint64_t seed) {
    const size_t h = 28, w = 28;
    ds->n = n;
    ds->h = h;
    ds->w = w;
    ds->pixels = nn_xmalloc(n * h, w);
    ds->labels = nn_xmalloc(n, 1);
    struct nn_rng r;
    nn_rng_seed(&r, seed, 99);
    /* Class k is a bright bar at row 2 + 2k and column 25 - 2k over
     * uniform noise: easy for a linear layer, harder with noise. */
    for (size_t i = 0; i < n; i++) {
        uint8_t k = (uint8_t)nn_rng_below(&r, N_CLASSES);
        uint8_t *img = ds->pixels + i * h * w;
        for (size_t p = 0; p < h * w; p++) {
            img[p] = (uint8_t)nn_rng_below(&r, 100);
        }
        for (size_t j = 0; j < w; j++) {
            img[(2 + 2 * (size_t)k) * w + j] = 255;
            img[j * w + 25 - 2 * (size_t)k] = 200;
        }
        ds->labels[i] = k;
    }
}

void nn_data_cleanup(struct nn_dataset *ds) {
    if (!ds) return;
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

void nn_data_split(struct nn_split *s, size_t n, double val_fraction, uint64_t seed) {
    uint32_t *all = nn_xmalloc(n, sizeof *all);
    for (size_t i = 0; i < n; i++) all[i] = (uint32_t)i;
    struct nn_rng r;
    nn_rng_seed(&r, seed, 1);
    nn_rng_shuffle(&r, all, n);

    s->n_val = (size_t)(val_fraction * (double)n + 0.5);
    if (s->n_val >= n) s->n_val = n - 1;
    s->n_train = n - s->n_val;
    s->val = nn_xmalloc(s->n_val, sizeof *s->val);
    s->train = nn_xmalloc(s->n_train, sizeof *s->train);
    memcpy(s->val, all, s->n_val * sizeof *all);
    memcpy(s->train, all + s->n_val, s->n_train * sizeof *all);
    free(all);
}

void nn_data_split_cleanup(struct nn_split *s) {
    if (!s) return;
    free(s->train);
    free(s->val);
    memset(s, 0, sizeof *s);
}

void nn_data_batch(const struct nn_dataset *ds, const uint32_t *idx, size_t n, float *x, uint8_t *y,
                   const struct nn_aug *aug, struct nn_rng *rng) {
    size_t hw = ds->h * ds->w;
    bool is_aug = nn_augment_is_on(aug);
    const float scale = 1.0f / 255.0f;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *src = ds->pixels + (size_t)idx[i] * hw;
        float *dst = x + i * hw;
        y[i] = ds->labels[idx[i]];
        if (is_aug) {
            nn_augment_image(src, dst, ds->h, ds->w, aug, rng);
            continue;
        }
        for (size_t p = 0; p < hw; p++) dst[p] = src[p] * scale;
    }
}
