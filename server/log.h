/* log: structured logfmt lines on stderr, one per event:
 * `ts=... level=... comp=... event=... key=value ...`.
 * Use the level macros; never log tokens, passwords or whole bodies.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_LOG_H
#define HPOD_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped. Default LOG_INFO; HPOD_LOG_LEVEL=debug
 * in the environment lowers it (read by log_init). */
void log_init(void);
void log_set_level(enum log_level level);

/* Write one line. comp and event are fixed snake_case names; fmt formats
 * the rest of the line ("study=%lld trial=%d"), or is "" for nothing. */
void log_write(enum log_level level, const char *comp, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Make s fit inside a double-quoted logfmt value, in place: line breaks
 * and tabs become spaces, double quotes single ones. Returns s. */
char *log_quotable(char *s);

#define log_debug(comp, event, ...) log_write(LOG_DEBUG, comp, event, __VA_ARGS__)
#define log_info(comp, event, ...) log_write(LOG_INFO, comp, event, __VA_ARGS__)
#define log_warn(comp, event, ...) log_write(LOG_WARN, comp, event, __VA_ARGS__)
#define log_error(comp, event, ...) log_write(LOG_ERROR, comp, event, __VA_ARGS__)

#endif
