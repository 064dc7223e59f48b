/* log: logfmt writer. Each line goes out in one write(2), so lines from
 * worker threads never interleave. No rotation, no files: stderr only.
 * SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
/* Longest line written; longer ones are cut, keeping the newline. */
#define LOG_LINE_MAX 1200
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(void) {
    const char *s = getenv("HPOD_LOG_LEVEL");
    if (!s) return;
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(s, level_names[i]) == 0) min_level = (enum log_level)i;
    }
}

void log_set_level(enum log_level level) {
    min_level = level;
}

char *log_quotable(char *s) {
    for (char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
        if (*p == '"') *p = '\'';
    }
    return s;
}

void log_write(enum log_level level, const char *comp, const char *event, const char *fmt, ...) {
    if (level < min_level) return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

    char rest[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);

    char line[LOG_LINE_MAX];
    int n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s comp=%s event=%s%s%s\n", ts,
                     now.tv_nsec / 1000000, level_names[level], comp, event, rest[0] ? " " : "",
                     rest);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* One write per line, which the kernel keeps whole: no lock, so
     * request threads do not queue behind each other's log lines. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
