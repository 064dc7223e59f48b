/* metrics: counters and one latency histogram, rendered as Prometheus
 * text. Bucket bounds follow the usual client defaults for request
 * latency, cut at 2.5 s.
 * SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>

static atomic_long counters[METRIC_N];
static const char *const names[METRIC_N][2] = {
    {"hpod_asks_total", "Asks answered over the API."},
    {"hpod_lease_expiries_total", "Running trials whose lease expired and were reclaimed."},
    {"hpod_reports_total", "Intermediate values recorded, over the API or from trials run here."},
    {"hpod_completes_total",
     "Successful complete calls over the API; a retried complete counts again."},
};

static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])
static atomic_long buckets[N_BOUNDS + 1];
static atomic_long sum_us;

void metrics_add(enum metric m, long n) {
    atomic_fetch_add(&counters[m], n);
}

void metrics_observe_ask(double seconds) {
    size_t i = 0;
    while (i < N_BOUNDS && seconds > bounds[i]) i++;
    atomic_fetch_add(&buckets[i], 1);
    atomic_fetch_add(&sum_us, (long)(seconds * 1e6));
}

void metrics_render(char *buf, size_t n) {
    size_t len = 0;
    for (int m = 0; m < METRIC_N && len < n; m++) {
        len += (size_t)snprintf(buf + len, n - len, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n",
                                names[m][0], names[m][1], names[m][0], names[m][0],
                                atomic_load(&counters[m]));
    }
    if (len >= n) return;
    len += (size_t)snprintf(buf + len, n - len,
                            "# HELP hpod_ask_seconds Latency of asks.\n"
                            "# TYPE hpod_ask_seconds histogram\n");
    long cumulative = 0;
    for (size_t i = 0; i <= N_BOUNDS && len < n; i++) {
        cumulative += atomic_load(&buckets[i]);
        if (i < N_BOUNDS) {
            len += (size_t)snprintf(buf + len, n - len, "hpod_ask_seconds_bucket{le=\"%g\"} %ld\n",
                                    bounds[i], cumulative);
        } else {
            len += (size_t)snprintf(buf + len, n - len,
                                    "hpod_ask_seconds_bucket{le=\"+Inf\"} %ld\n"
                                    "hpod_ask_seconds_sum %.6f\nhpod_ask_seconds_count %ld\n",
                                    cumulative, (double)atomic_load(&sum_us) / 1e6, cumulative);
        }
    }
}
