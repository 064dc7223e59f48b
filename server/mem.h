/* mem: allocation that never returns NULL. On exhaustion it logs one line
 * and aborts, so callers never check. Free with plain free().
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_MEM_H
#define HPOD_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Returns a new string formatted like printf; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
