/* nn_conv: convolution as im2col + sgemm. The batch is cut into chunks of
 * images small enough that a chunk's column matrix stays in the L2 cache
 * while sgemm packs it; the chunks are shared out over the nn_par threads,
 * each with its own column buffer and a single-threaded sgemm. With the
 * (C, B, H, W) layout a chunk's output is a column block of y, written by
 * sgemm through its leading dimension, so nothing is transposed. Backward
 * rebuilds the columns instead of keeping them, trading a cheap pass for
 * memory; dw and db are summed in N_SLOTS fixed partial sums, so results
 * do not depend on the thread count. (Computing dx as the forward pass of
 * the transposed convolution, one deep sgemm and no col2im, measured 15%
 * slower than sgemm + col2im here: its columns are twice as large.)
 * Entry points are in nn_conv.h.
 * SPDX-License-Identifier: MIT */
#include "nn_conv.h"

#include <cblas.h>
#include <string.h>

#include "nn_par.h"

/* TODO: the column matrix is built three times per step per layer (im2col
 * in forward and backward, dcol for col2im) and sgemm then packs each copy
 * again; on the default CNN these copies take about 15% of an epoch and
 * sgemm reaches 80-100 GFLOP/s against 115-125 for the dense layers. An
 * implicit-GEMM kernel that packs patches straight from x would remove
 * both copies. */

/* Column-matrix size per chunk, in floats: 256 Ki floats = 1 MB, half the
 * 2 MB L2 of the Xeon this was tuned on, leaving room for the weights and
 * sgemm's packed panels. On the default CNN it is 1 image for the second
 * conv and 13 for the first. (The former 16 MB chunks spilled to memory
 * and made sgemm's packing and col2im memory-bound.) */
#define CHUNK_FLOATS (1u << 18)

size_t nn_conv_out_size(const struct nn_conv *l, size_t h) {
    return h + 2 * l->pad - l->k + 1;
}

/* Column floats per image: (c_in*k*k, oh*ow). */
static size_t col_floats_per_image(const struct nn_conv *l) {
    return l->c_in * l->k * l->k * nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
}

static size_t chunk_images(const struct nn_conv *l) {
    size_t n = CHUNK_FLOATS / col_floats_per_image(l);
    return n ? n : 1;
}

/* Backward sums dw and db in this many partial sums, each over a fixed
 * run of chunks taken in order, and adds them in slot order: the same
 * arithmetic on any number of threads, with enough slots to keep two
 * threads busy when one of them is slowed. */
#define N_SLOTS 8

static size_t col_floats(const struct nn_conv *l) {
    return chunk_images(l) * col_floats_per_image(l);
}

/* One slot's partial sums: dw: (c_out, c_in*k*k), then db: (c_out), the
 * same order as in l's storage. */
static size_t slot_floats(const struct nn_conv *l) {
    return l->c_out * l->c_in * l->k * l->k + l->c_out;
}

/* The workspace: one col per thread, then N_SLOTS partial sums. */
size_t nn_conv_workspace_floats(const struct nn_conv *l) {
    return nn_par_threads() * col_floats(l) + N_SLOTS * slot_floats(l);
}

/* Output columns [*lo, *hi) whose input column ox + kj - pad lies in
 * [0, w); the others read padding. */
static void valid_cols(const struct nn_conv *l, size_t kj, size_t *lo, size_t *hi) {
    size_t ow = nn_conv_out_size(l, l->w);
    long a = (long)l->pad - (long)kj;
    long b = (long)l->w + (long)l->pad - (long)kj;
    *lo = a > 0 ? (size_t)a : 0;
    *hi = b < (long)ow ? (size_t)(b > 0 ? b : 0) : ow;
    if (*lo > *hi) *lo = *hi;
}

/* Rows [*lo, *hi) of a plane of output whose input row oy + ki - pad
 * lies in [0, h); valid_cols for columns. */
static void valid_rows(const struct nn_conv *l, size_t ki, size_t *lo, size_t *hi) {
    size_t oh = nn_conv_out_size(l, l->h);
    long a = (long)l->pad - (long)ki;
    long b = (long)l->h + (long)l->pad - (long)ki;
    *lo = a > 0 ? (size_t)a : 0;
    *hi = b < (long)oh ? (size_t)(b > 0 ? b : 0) : oh;
    if (*lo > *hi) *lo = *hi;
}

/* Where one kernel offset (ki, kj) reads real pixels: output rows
 * [y0, y1) and columns [lo, hi) of a plane (valid_rows, valid_cols). The
 * same for every image, so im2col works it out once per col row. */
struct window {
    size_t ki, kj, y0, y1, lo, hi;
};

static void zero_column(float *p, size_t ow, size_t i, const struct window *v) {
    for (size_t oy = v->y0; oy < v->y1; oy++) p[oy * ow + i] = 0.0f;
}

/* Zero columns [0, lo) and [hi, ow) of rows [y0, y1) of plane p, column
 * by column: at most pad short columns, so the loops stay few and long. */
static void zero_edges(float *p, size_t ow, const struct window *v) {
    for (size_t i = 0; i < v->lo; i++) zero_column(p, ow, i, v);
    for (size_t i = v->hi; i < ow; i++) zero_column(p, ow, i, v);
}

/* One image's share of a col row: dst: (oh, ow) from img: (h, w) at the
 * kernel offset of v. With "same" padding (w == ow) the valid part is one
 * shifted copy of the image: it runs across row ends, and the columns it
 * wrongly fills from the neighbouring row are zeroed after. */
static void im2col_plane(const struct nn_conv *l, const float *img, const struct window *v,
                         float *dst) {
    size_t w = l->w, ow = nn_conv_out_size(l, w);
    size_t oh = nn_conv_out_size(l, l->h);
    if (v->y0 == v->y1 || v->lo == v->hi) {
        memset(dst, 0, oh * ow * sizeof *dst);
        return;
    }
    if (v->y0) memset(dst, 0, v->y0 * ow * sizeof *dst);
    if (v->y1 < oh) {
        memset(dst + v->y1 * ow, 0, (oh - v->y1) * ow * sizeof *dst);
    }
    /* The input pixel under output (y0, lo). */
    const float *src = img + (v->y0 + v->ki - l->pad) * w + v->lo + v->kj - l->pad;
    if (w == ow) {
        size_t first = v->y0 * ow + v->lo, last = (v->y1 - 1) * ow + v->hi;
        memcpy(dst + first, src, (last - first) * sizeof *dst);
    } else {
        for (size_t oy = v->y0; oy < v->y1; oy++, src += w) {
            memcpy(dst + oy * ow + v->lo, src, (v->hi - v->lo) * sizeof *dst);
        }
    }
    zero_edges(dst, ow, v);
}

/* Copy the patches of images [b0, b0+nb) of x: (c_in, batch, h, w) into
 * col: (c_in*k*k, nb*oh*ow), zero where the kernel hangs over an edge. */
static void im2col(const struct nn_conv *l, const float *x, size_t batch, size_t b0, size_t nb,
                   float *col) {
    size_t k = l->k, hw = l->h * l->w;
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    for (size_t r = 0; r < l->c_in * k * k; r++) {
        size_t c = r / (k * k);
        struct window v = {.ki = r / k % k, .kj = r % k};
        valid_rows(l, v.ki, &v.y0, &v.y1);
        valid_cols(l, v.kj, &v.lo, &v.hi);
        for (size_t b = 0; b < nb; b++) {
            im2col_plane(l, x + (c * batch + b0 + b) * hw, &v, col + (r * nb + b) * ohw);
        }
    }
}

/* The adjoint of im2col_plane: add src: (oh, ow) onto img: (h, w). It
 * zeroes src's padding entries first so that, with "same" padding, the
 * valid part is again one shifted run whose wrapped entries add zero. */
static void col2im_plane(const struct nn_conv *l, float *src, const struct window *v, float *img) {
    size_t w = l->w, ow = nn_conv_out_size(l, w);
    if (v->y0 == v->y1 || v->lo == v->hi) return;
    /* The input pixel under output (y0, lo). */
    float *dst = img + (v->y0 + v->ki - l->pad) * w + v->lo + v->kj - l->pad;
    if (w == ow) {
        zero_edges(src, ow, v);
        size_t first = v->y0 * ow + v->lo, last = (v->y1 - 1) * ow + v->hi;
        float *restrict d = dst;
        const float *restrict s = src + first;
        for (size_t i = 0; i < last - first; i++) d[i] += s[i];
        return;
    }
    for (size_t oy = v->y0; oy < v->y1; oy++, dst += w) {
        const float *s = src + oy * ow + v->lo;
        for (size_t i = 0; i < v->hi - v->lo; i++) dst[i] += s[i];
    }
}

/* The adjoint of im2col: add col's entries (which it clobbers) onto
 * images [b0, b0+nb) of dx, which it zeroes first. */
static void col2im(const struct nn_conv *l, float *col, size_t batch, size_t b0, size_t nb,
                   float *dx) {
    size_t k = l->k, hw = l->h * l->w;
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    for (size_t c = 0; c < l->c_in; c++) {
        memset(dx + (c * batch + b0) * hw, 0, nb * hw * sizeof *dx);
    }
    for (size_t r = 0; r < l->c_in * k * k; r++) {
        size_t c = r / (k * k);
        struct window v = {.ki = r / k % k, .kj = r % k};
        valid_rows(l, v.ki, &v.y0, &v.y1);
        valid_cols(l, v.kj, &v.lo, &v.hi);
        for (size_t b = 0; b < nb; b++) {
            col2im_plane(l, col + (r * nb + b) * ohw, &v, dx + (c * batch + b0 + b) * hw);
        }
    }
}

/* What a chunk task needs; y is the output (forward) or dx (backward). */
struct conv_job {
    const struct nn_conv *l;
    const float *x, *dy;
    float *out;
    size_t batch;
};

/* Thread t's column buffer and slot s's partial sums in the workspace. */
static float *thread_col(const struct nn_conv *l, size_t t) {
    return l->ws + t * col_floats(l);
}

static float *slot_sums(const struct nn_conv *l, size_t s) {
    return l->ws + nn_par_threads() * col_floats(l) + s * slot_floats(l);
}

static void chunk_bounds(const struct conv_job *j, size_t task, size_t *b0, size_t *nb) {
    size_t step = chunk_images(j->l);
    *b0 = task * step;
    *nb = j->batch - *b0 < step ? j->batch - *b0 : step;
}

/* y[:, chunk]: (c_out, nb*ohw) = b + w: (c_out, ckk) * col: (ckk, nb*ohw) */
static void forward_chunk(void *ctx, size_t task, size_t thread) {
    const struct conv_job *j = ctx;
    const struct nn_conv *l = j->l;
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    size_t n = j->batch * ohw, ckk = l->c_in * l->k * l->k, b0, nb;
    chunk_bounds(j, task, &b0, &nb);
    size_t m = nb * ohw;
    float *col = thread_col(l, thread), *y = j->out + b0 * ohw;
    for (size_t c = 0; c < l->c_out; c++) {
        for (size_t i = 0; i < m; i++) y[c * n + i] = l->b[c];
    }
    im2col(l, j->x, j->batch, b0, nb, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)l->c_out, (int)m, (int)ckk, 1.0f,
                l->weight, (int)ckk, col, (int)m, 1.0f, y, (int)n);
}

void nn_conv_forward(const struct nn_conv *l, const float *x, float *y, size_t batch) {
    struct conv_job j = {l, x, NULL, y, batch};
    size_t step = chunk_images(l);
    nn_par_run(forward_chunk, &j, (batch + step - 1) / step);
}

/* Sum of x[0..n) in 16 interleaved partial sums, so the loop vectorises
 * and is not bound by the latency of one chain of additions. */
static float sum16(const float *x, size_t n) {
    float lane[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t j = 0; j < 16; j++) lane[j] += x[i + j];
    }
    for (; i < n; i++) lane[i % 16] += x[i];
    float s = 0.0f;
    for (size_t j = 0; j < 16; j++) s += lane[j];
    return s;
}

/* Add chunk `chunk`'s share of dw and db to the partial sums at dw (db
 * follows it), then (when dx is wanted) write the chunk's images of dx. */
static void backward_chunk(const struct conv_job *j, size_t chunk, float *col, float *dw) {
    const struct nn_conv *l = j->l;
    size_t ohw = nn_conv_out_size(l, l->h) * nn_conv_out_size(l, l->w);
    size_t n = j->batch * ohw, ckk = l->c_in * l->k * l->k, b0, nb;
    chunk_bounds(j, chunk, &b0, &nb);
    size_t m = nb * ohw;
    float *db = dw + l->c_out * ckk;
    const float *dy = j->dy + b0 * ohw; // dy[:, chunk]: (c_out, m), ld n

    for (size_t c = 0; c < l->c_out; c++) db[c] += sum16(dy + c * n, m);
    im2col(l, j->x, j->batch, b0, nb, col);
    /* dw: (c_out, ckk) += dy[:, chunk] * col^T: (m, ckk) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)l->c_out, (int)ckk, (int)m, 1.0f, dy,
                (int)n, col, (int)m, 1.0f, dw, (int)ckk);
    if (!j->out) return;
    /* The columns are spent, so col now takes
     * dcol: (ckk, m) = w^T: (ckk, c_out) * dy[:, chunk]. */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ckk, (int)m, (int)l->c_out, 1.0f,
                l->weight, (int)ckk, dy, (int)n, 0.0f, col, (int)m);
    col2im(l, col, j->batch, b0, nb, j->out);
}

static size_t n_chunks(const struct nn_conv *l, size_t batch) {
    return (batch + chunk_images(l) - 1) / chunk_images(l);
}

/* Slot task: its run of chunks, in order, into its own partial sums. */
static void backward_slot(void *ctx, size_t slot, size_t thread) {
    const struct conv_job *j = ctx;
    size_t lo, hi;
    nn_par_range(n_chunks(j->l, j->batch), slot, N_SLOTS, 1, &lo, &hi);
    float *sums = slot_sums(j->l, slot);
    memset(sums, 0, slot_floats(j->l) * sizeof *sums);
    for (size_t c = lo; c < hi; c++) {
        backward_chunk(j, c, thread_col(j->l, thread), sums);
    }
}

void nn_conv_backward(const struct nn_conv *l, const float *x, const float *dy, float *dx,
                      size_t batch) {
    struct conv_job j = {l, x, dy, dx, batch};
    nn_par_run(backward_slot, &j, N_SLOTS);

    /* dw and db are adjacent in each slot, as in l's storage. */
    size_t n_w = l->c_out * l->c_in * l->k * l->k;
    memcpy(l->dw, slot_sums(l, 0), n_w * sizeof *l->dw);
    memcpy(l->db, slot_sums(l, 0) + n_w, l->c_out * sizeof *l->db);
    for (size_t s = 1; s < N_SLOTS; s++) {
        const float *part = slot_sums(l, s);
        for (size_t i = 0; i < n_w; i++) l->dw[i] += part[i];
        for (size_t i = 0; i < l->c_out; i++) l->db[i] += part[n_w + i];
    }
}
