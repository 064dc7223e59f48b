/* log: logfmt writer. One fprintf per line under a lock so that lines from
 * worker threads never interleave. No rotation, no files: stderr only.
 * SPDX-License-Identifier: MIT */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
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

    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "ts=%s.%03ldZ level=%s comp=%s event=%s%s%s\n", ts, now.tv_nsec / 1000000,
            level_names[level], comp, event, rest[0] ? " " : "", rest);
    pthread_mutex_unlock(&log_lock);
}
