/* err: filling and clearing struct err. The JSON reply built from it lives
 * in http.c (reply_error); this file knows nothing of HTTP transport.
 * SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int err_set(struct err *e, int http, const char *code, const char *field, const char *fmt, ...) {
    if (!e) return -1;
    e->http = http;
    e->code = code;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    /* Both may quote URL text, or be cut inside a character: they go out
     * in JSON, which must be valid UTF-8. */
    utf8_repair(e->field);
    utf8_repair(e->msg);
    return -1;
}

void err_clear(struct err *e) {
    if (!e) return;
    e->http = 0;
    e->code = NULL;
    e->field[0] = '\0';
    e->msg[0] = '\0';
}
