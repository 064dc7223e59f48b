/* nn_ckpt: the checkpoint file format, version 1:
 *   magic "HPODCKP1" | raw length u64 | packed length u64 | crc32 u32 |
 *   zlib stream of the concatenated parts
 * integers little-endian (the only byte order we run on). Not portable
 * across models: the loader only checks that the sizes agree.
 * Entry points: nn_ckpt_save, nn_ckpt_load, nn_ckpt_crc.
 * SPDX-License-Identifier: MIT */
#include "nn_ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "nn_mem.h"

#define MAGIC "HPODCKP1"
#define HEADER_BYTES (8 + 8 + 8 + 4)

uint32_t nn_ckpt_crc(const void *data, size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    const Bytef *p = data;
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

static size_t total_bytes(const struct nn_ckpt_part *parts, size_t n) {
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += parts[i].n_bytes;
    return sum;
}

static int write_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Build header + compressed body in one new buffer; *n_out its size. */
static uint8_t *pack(const struct nn_ckpt_part *parts, size_t n, size_t *n_out) {
    size_t raw_n = total_bytes(parts, n);
    uint8_t *raw = nn_xmalloc(raw_n, 1);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(raw + off, parts[i].data, parts[i].n_bytes);
        off += parts[i].n_bytes;
    }
    uLongf packed_n = compressBound(raw_n);
    uint8_t *out = nn_xmalloc(HEADER_BYTES + packed_n, 1);
    /* Level 1: weights are noise-like floats that compress little, and
     * a higher level costs seconds per checkpoint for a few percent. */
    int zrc = compress2(out + HEADER_BYTES, &packed_n, raw, raw_n, 1);
    if (zrc != Z_OK) abort(); // only Z_MEM_ERROR is possible here
    uint64_t raw64 = raw_n, packed64 = packed_n;
    uint32_t crc = nn_ckpt_crc(raw, raw_n);
    memcpy(out, MAGIC, 8);
    memcpy(out + 8, &raw64, 8);
    memcpy(out + 16, &packed64, 8);
    memcpy(out + 24, &crc, 4);
    free(raw);
    *n_out = HEADER_BYTES + packed_n;
    return out;
}

int nn_ckpt_save(const char *path, const struct nn_ckpt_part *parts, size_t n, struct nn_err *e) {
    size_t file_n;
    uint8_t *file = pack(parts, n, &file_n);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(file);
        return nn_err_set(e, NN_ERR_IO, "cannot create checkpoint %s: %s", tmp, strerror(errno));
    }
    /* fsync before rename: otherwise a crash can leave the new name
     * pointing at an empty file. */
    int rc = write_all(fd, file, file_n) == 0 && fsync(fd) == 0 ? 0 : -1;
    int saved_errno = errno;
    rc |= close(fd);
    free(file);
    if (rc == 0 && rename(tmp, path) == 0) return 0;
    unlink(tmp);
    return nn_err_set(e, NN_ERR_IO, "cannot write checkpoint %s: %s", path,
                      strerror(saved_errno ? saved_errno : errno));
}

static uint8_t *read_file(const char *path, size_t *n_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = nn_xmalloc(cap, 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n < cap) continue;
        uint8_t *grown = nn_xmalloc(cap, 2);
        memcpy(grown, buf, n);
        free(buf);
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    *n_out = n;
    return buf;
}

/* Check the header and inflate the body into parts; fills e on failure. */
static int unpack(const uint8_t *file, size_t file_n, const char *path,
                  const struct nn_ckpt_part *parts, size_t n, struct nn_err *e) {
    uint64_t raw_n, packed_n;
    uint32_t crc;
    if (file_n < HEADER_BYTES || memcmp(file, MAGIC, 8) != 0) {
        return nn_err_set(e, NN_ERR_CKPT, "checkpoint %s: not a checkpoint", path);
    }
    memcpy(&raw_n, file + 8, 8);
    memcpy(&packed_n, file + 16, 8);
    memcpy(&crc, file + 24, 4);
    if (packed_n != file_n - HEADER_BYTES) {
        return nn_err_set(e, NN_ERR_CKPT,
                          "checkpoint %s is corrupt "
                          "(length mismatch)",
                          path);
    }
    if (raw_n != total_bytes(parts, n)) {
        return nn_err_set(e, NN_ERR_CKPT,
                          "checkpoint %s was saved by a "
                          "different model or version",
                          path);
    }
    uint8_t *raw = nn_xmalloc(raw_n, 1);
    uLongf got = raw_n;
    int zrc = uncompress(raw, &got, file + HEADER_BYTES, packed_n);
    if (zrc != Z_OK || got != raw_n || nn_ckpt_crc(raw, raw_n) != crc) {
        free(raw);
        return nn_err_set(e, NN_ERR_CKPT,
                          "checkpoint %s is corrupt "
                          "(checksum mismatch)",
                          path);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(parts[i].data, raw + off, parts[i].n_bytes);
        off += parts[i].n_bytes;
    }
    free(raw);
    return 0;
}

int nn_ckpt_load(const char *path, const struct nn_ckpt_part *parts, size_t n, struct nn_err *e) {
    size_t file_n;
    uint8_t *file = read_file(path, &file_n);
    if (!file) {
        return nn_err_set(e, NN_ERR_CKPT, "cannot open checkpoint %s: %s", path, strerror(errno));
    }
    int rc = unpack(file, file_n, path, parts, n, e);
    free(file);
    return rc;
}
