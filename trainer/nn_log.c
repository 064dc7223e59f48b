/* nn_log: formats one logfmt line and writes it to stderr in one call.
 * No levels are filtered here; the trainer logs little (start, epochs,
 * end, errors). Entry point: nn_log_write.
 * SPDX-License-Identifier: MIT */
#include "nn_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void nn_log_write(const char *level, const char *event, const char *fmt, ...) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);

    char line[1024];
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s "
                     "comp=train event=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)(tv.tv_usec / 1000), level, event);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* One write() so that concurrent trainers sharing stderr keep lines
     * whole; a short write to a log is not worth retrying. */
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}
