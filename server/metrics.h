/* metrics: process counters for GET /metrics (Prometheus text format).
 * Counters are lock-free atomics; the trial counts per state come from
 * the database at scrape time. Entry points: metrics_add,
 * metrics_observe_ask, metrics_render.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_METRICS_H
#define HPOD_METRICS_H

#include <stddef.h>

enum metric { METRIC_ASKS, METRIC_LEASE_EXPIRIES, METRIC_REPORTS, METRIC_COMPLETES, METRIC_N };

void metrics_add(enum metric m, long n);

/* Record one ask's latency in the histogram. */
void metrics_observe_ask(double seconds);

/* Append the counters and the ask histogram to buf (text format). */
void metrics_render(char *buf, size_t n);

#endif
