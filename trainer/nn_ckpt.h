/* nn_ckpt: checkpoint files. A checkpoint is a list of byte ranges (the
 * caller decides what: weights, optimiser state, counters, RNG), saved
 * zlib-compressed with a CRC-32 of the raw bytes, through a temporary
 * file renamed into place so a reader never sees half a file.
 * Entry points: nn_ckpt_save, nn_ckpt_load, nn_ckpt_crc.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_CKPT_H
#define HPOD_NN_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "nn_err.h"

struct nn_ckpt_part {
    void *data; /* borrowed */
    size_t n_bytes;
};

/* Write parts[0..n) to path atomically (path.tmp, fsync, rename).
 * Errors: NN_ERR_IO when a write, fsync or rename fails. */
int nn_ckpt_save(const char *path, const struct nn_ckpt_part *parts, size_t n, struct nn_err *e);

/* Read path into parts[0..n), whose sizes must add up to what was saved.
 * Errors: NN_ERR_CKPT when the file is missing, corrupt (bad magic,
 * inflate error, checksum mismatch) or saved by a different model. */
int nn_ckpt_load(const char *path, const struct nn_ckpt_part *parts, size_t n, struct nn_err *e);

/* CRC-32 of n bytes (zlib's polynomial), e.g. to fingerprint weights. */
uint32_t nn_ckpt_crc(const void *data, size_t n);

#endif
