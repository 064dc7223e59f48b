/* nn_err: the one error type of the trainer library. A fallible nn_
 * function returns 0 or -1 and fills a caller's struct nn_err with a stable
 * code and a one-line message; only cli.c turns it into an exit status.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_ERR_H
#define HPOD_NN_ERR_H

/* Stable codes; cli.c maps each to an exit status. */
#define NN_ERR_INPUT "bad_input"     // bad flag, value or data file
#define NN_ERR_CKPT "bad_checkpoint" // unreadable or corrupt checkpoint
#define NN_ERR_IO "io_error"         // a write failed (disk full, ...)

struct nn_err {
    const char *code; /* one of NN_ERR_*, static storage, or NULL */
    char msg[200];    /* names the input at fault and the rule broken */
};

/* Fill e (which may be NULL) and return -1, so that callers can write
 * `return nn_err_set(e, NN_ERR_INPUT, "...", ...);`. fmt is printf's. */
int nn_err_set(struct nn_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset e to "no error". */
void nn_err_clear(struct nn_err *e);

#endif
