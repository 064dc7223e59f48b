/* nn_mem: allocation for the trainer. Out of memory is not recoverable
 * here, so these log one line and abort; callers never check for NULL.
 * Entry points: nn_xmalloc, nn_xcalloc, nn_mul_ok.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_MEM_H
#define HPOD_NN_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* malloc(n * size), aborting on overflow or exhaustion. Returns new memory
 * that the caller frees with free(). */
void *nn_xmalloc(size_t n, size_t size);

/* As nn_xmalloc but zero-filled. */
void *nn_xcalloc(size_t n, size_t size);

/* Store a * b in *out and return true, or return false on overflow. */
bool nn_mul_ok(size_t a, size_t b, size_t *out);

#endif
