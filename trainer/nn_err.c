/* nn_err: filling the trainer's error type. Formatting only; deciding exit
 * statuses belongs to cli.c. Entry points: nn_err_set, nn_err_clear.
 * SPDX-License-Identifier: MIT */
#include "nn_err.h"

#include <stdarg.h>
#include <stdio.h>

int nn_err_set(struct nn_err *e, const char *code, const char *fmt, ...) {
    if (!e) return -1;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void nn_err_clear(struct nn_err *e) {
    if (!e) return;
    e->code = NULL;
    e->msg[0] = '\0';
}
