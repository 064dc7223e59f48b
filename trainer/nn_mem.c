/* nn_mem: aborting allocators with overflow-checked sizes. Tensors are
 * allocated once per run, so there is no pooling here.
 * Entry points: nn_xmalloc, nn_xcalloc, nn_mul_ok.
 * SPDX-License-Identifier: MIT */
#include "nn_mem.h"

#include <stdlib.h>

#include "nn_log.h"

bool nn_mul_ok(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

static void die_oom(size_t n, size_t size) {
    nn_log_error("out_of_memory", "count=%zu size=%zu", n, size);
    abort();
}

void *nn_xmalloc(size_t n, size_t size) {
    size_t total;
    if (!nn_mul_ok(n, size, &total)) die_oom(n, size);
    void *p = malloc(total ? total : 1);
    if (!p) die_oom(n, size);
    return p;
}

void *nn_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die_oom(n, size);
    return p;
}
