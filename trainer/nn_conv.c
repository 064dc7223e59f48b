/* nn_conv: convolution as im2col + sgemm. The batch is cut into chunks
 * so the column matrix stays bounded (16 MB); with the (C, B, H, W)
 * layout a chunk's output is a column block of y, written by sgemm through
 * its leading dimension, so no transpose is needed. Backward rebuilds the
 * columns instead of keeping them, trading a cheap pass for memory.
 * Entry points are in nn_conv.h.
 * SPDX-License-Identifier: MIT */
#include "nn_conv.h"

#include <cblas.h>
#include <string.h>

/* TODO: only sgemm runs on several threads; im2col, col2im and the
 * element-wise layers run on one, so the default CNN gains little from
 * --threads 2 and is about twice PyTorch's epoch time there. Splitting
 * each chunk loop across threads (single-threaded sgemm per thread, dw
 * summed after) is the intended fix. */

/* Column-matrix size per chunk, in floats: 4 Mi floats = 16 MB. Measured
 * on the default CNN (2 vCPU Zen 4): 4 MB chunks were 20% slower with two
 * threads (too little work per sgemm to split), 64 MB ones 15% slower. */
#define CHUNK_FLOATS (1u << 22)

size_t nn_conv_out_size(const struct nn_conv *l, size_t h) {
    return h + 2 * l->pad - l->k + 1;
}

static size_t chunk_images(const struct nn_conv *l) {
    size_t per_image = l->c_in * l->k * l->k * nn_conv_out_size(l, l->h) *
                       nn_conv_out_size(l, l->w);
    size_t n = CHUNK_FLOATS / per_image;
    return n ? n : 1;
}

size_t nn_conv_workspace_floats(const struct nn_conv *l) {
    return chunk_images(l) * l->c_in * l->k * l->k *
           nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
}

/* Copy the patches of images [b0, b0+nb) of x: (c_in, batch, h, w) into
 * col: (c_in*k*k, nb*oh*ow), zero where the kernel hangs over an edge. */
static void im2col(const struct nn_conv *l, const float *x, size_t batch,
                   size_t b0, size_t nb, float *col) {
    size_t h = l->h, w = l->w, k = l->k;
    size_t oh = nn_conv_out_size(l, h), ow = nn_conv_out_size(l, w);
    size_t n_cols = nb * oh * ow;
    for (size_t c = 0; c < l->c_in; c++) {
        for (size_t ki = 0; ki < k; ki++) {
            for (size_t kj = 0; kj < k; kj++) {
                float *row = col + ((c * k + ki) * k + kj) * n_cols;
                /* Valid output columns for this kernel column: the input
                 * x index ox + kj - pad must fall in [0, w). */
                long lo = (long)l->pad - (long)kj;
                size_t x_lo = lo > 0 ? (size_t)lo : 0;
                long hi = (long)w + (long)l->pad - (long)kj;
                size_t x_hi = hi < (long)ow ? (size_t)(hi > 0 ? hi : 0) : ow;
                for (size_t b = 0; b < nb; b++) {
                    const float *img = x + (c * batch + b0 + b) * h * w;
                    for (size_t oy = 0; oy < oh; oy++) {
                        float *dst = row + (b * oh + oy) * ow;
                        long iy = (long)oy + (long)ki - (long)l->pad;
                        if (iy < 0 || iy >= (long)h || x_lo >= x_hi) {
                            memset(dst, 0, ow * sizeof *dst);
                            continue;
                        }
                        const float *src = img + (size_t)iy * w + x_lo + kj -
                                           l->pad;
                        memset(dst, 0, x_lo * sizeof *dst);
                        memcpy(dst + x_lo, src, (x_hi - x_lo) * sizeof *dst);
                        memset(dst + x_hi, 0, (ow - x_hi) * sizeof *dst);
                    }
                }
            }
        }
    }
}

/* The adjoint of im2col: add col's entries back onto dx, images
 * [b0, b0+nb). dx must be zeroed by the caller beforehand. */
static void col2im(const struct nn_conv *l, const float *col, size_t batch,
                   size_t b0, size_t nb, float *dx) {
    size_t h = l->h, w = l->w, k = l->k;
    size_t oh = nn_conv_out_size(l, h), ow = nn_conv_out_size(l, w);
    size_t n_cols = nb * oh * ow;
    for (size_t c = 0; c < l->c_in; c++) {
        for (size_t ki = 0; ki < k; ki++) {
            for (size_t kj = 0; kj < k; kj++) {
                const float *row = col + ((c * k + ki) * k + kj) * n_cols;
                long lo = (long)l->pad - (long)kj;
                size_t x_lo = lo > 0 ? (size_t)lo : 0;
                long hi = (long)w + (long)l->pad - (long)kj;
                size_t x_hi = hi < (long)ow ? (size_t)(hi > 0 ? hi : 0) : ow;
                for (size_t b = 0; b < nb; b++) {
                    float *img = dx + (c * batch + b0 + b) * h * w;
                    for (size_t oy = 0; oy < oh; oy++) {
                        long iy = (long)oy + (long)ki - (long)l->pad;
                        if (iy < 0 || iy >= (long)h) continue;
                        const float *src = row + (b * oh + oy) * ow + x_lo;
                        float *dst = img + (size_t)iy * w + x_lo + kj - l->pad;
                        for (size_t i = 0; i < x_hi - x_lo; i++) {
                            dst[i] += src[i];
                        }
                    }
                }
            }
        }
    }
}

void nn_conv_forward(const struct nn_conv *l, const float *x, float *y,
                     size_t batch) {
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    size_t n = batch * ohw; // columns of y: (c_out, n)
    size_t ckk = l->c_in * l->k * l->k;
    for (size_t c = 0; c < l->c_out; c++) {
        float *row = y + c * n;
        for (size_t j = 0; j < n; j++) row[j] = l->b[c];
    }
    size_t step = chunk_images(l);
    for (size_t b0 = 0; b0 < batch; b0 += step) {
        size_t nb = batch - b0 < step ? batch - b0 : step;
        im2col(l, x, batch, b0, nb, l->ws);
        /* y[:, chunk]: (c_out, nb*ohw) += w: (c_out, ckk) * col */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)l->c_out,
                    (int)(nb * ohw), (int)ckk, 1.0f, l->weight, (int)ckk, l->ws,
                    (int)(nb * ohw), 1.0f, y + b0 * ohw, (int)n);
    }
}

void nn_conv_backward(const struct nn_conv *l, const float *x,
                      const float *dy, float *dx, size_t batch) {
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    size_t n = batch * ohw;
    size_t ckk = l->c_in * l->k * l->k;

    for (size_t c = 0; c < l->c_out; c++) {
        const float *row = dy + c * n;
        float s = 0.0f;
        for (size_t j = 0; j < n; j++) s += row[j];
        l->db[c] = s;
    }
    if (dx) memset(dx, 0, l->c_in * batch * l->h * l->w * sizeof *dx);

    size_t step = chunk_images(l);
    for (size_t b0 = 0; b0 < batch; b0 += step) {
        size_t nb = batch - b0 < step ? batch - b0 : step;
        int m = (int)(nb * ohw);
        im2col(l, x, batch, b0, nb, l->ws);
        /* dw: (c_out, ckk) += dy[:, chunk]: (c_out, m) * col^T: (m, ckk) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)l->c_out,
                    (int)ckk, m, 1.0f, dy + b0 * ohw, (int)n, l->ws, m,
                    b0 == 0 ? 0.0f : 1.0f, l->dw, (int)ckk);
        if (!dx) continue;
        /* The columns are spent, so the workspace now takes
         * dcol: (ckk, m) = w^T: (ckk, c_out) * dy[:, chunk]. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ckk, m,
                    (int)l->c_out, 1.0f, l->weight, (int)ckk, dy + b0 * ohw,
                    (int)n, 0.0f, l->ws, m);
        col2im(l, l->ws, batch, b0, nb, dx);
    }
}
