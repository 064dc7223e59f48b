/* nn_log: logfmt lines on stderr for the trainer (comp=train). stdout is
 * reserved for the JSON-lines protocol, so nothing here writes to it.
 * Entry points: nn_log_info, nn_log_warn, nn_log_error.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_LOG_H
#define HPOD_NN_LOG_H

/* Write "ts=... level=LEVEL comp=train event=EVENT " then the formatted
 * key=value pairs and a newline, as one write so lines never interleave. */
void nn_log_write(const char *level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define nn_log_info(ev, ...) nn_log_write("info", ev, __VA_ARGS__)
#define nn_log_warn(ev, ...) nn_log_write("warn", ev, __VA_ARGS__)
#define nn_log_error(ev, ...) nn_log_write("error", ev, __VA_ARGS__)

#endif
