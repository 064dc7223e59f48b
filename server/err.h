/* err: the one error type of the server. A fallible function returns 0 or
 * -1 and fills a caller's struct err with an HTTP status, a stable code
 * (listed in api/openapi.yaml), the JSON field at fault and a message.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_ERR_H
#define HPOD_ERR_H

struct err {
    int http;         /* 400 404 409 413 415 422, or 500 503 */
    const char *code; /* stable id, static storage */
    char field[96];   /* JSON path at fault ("space.lr.low"), or "" */
    char msg[200];    /* names the field and the rule; no internals */
};

/* Fill e (which may be NULL) and return -1, so that a caller can write
 * `return err_set(e, 422, "bad_range", "space.lr.low", "...", ...);`.
 * field may be NULL or "". msg is a printf format. */
int err_set(struct err *e, int http, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Reset e to "no error". */
void err_clear(struct err *e);

#endif
