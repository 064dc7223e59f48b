/* h_metrics: the process counters plus trial counts per state and running
 * trials read from the database at scrape time.
 * SPDX-License-Identifier: MIT */
#include "h_metrics.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "store.h"

#define METRICS_BUF 16384

static size_t trial_counts(char *buf, size_t n) {
    PGconn *c = store_acquire();
    /* Every state, with 0 for an empty one, so no series disappears. */
    PGresult *r = store_exec(c,
                             "SELECT s.state, count(t.id) FROM unnest(ARRAY['queued', 'running',"
                             " 'complete', 'pruned', 'failed']) AS s(state)"
                             " LEFT JOIN trials t ON t.state = s.state GROUP BY s.state"
                             " ORDER BY s.state",
                             0, NULL, NULL);
    store_release(c);
    size_t len = (size_t)snprintf(buf, n,
                                  "# HELP hpod_trials Trials by state.\n"
                                  "# TYPE hpod_trials gauge\n");
    for (int i = 0; r && i < PQntuples(r) && len < n; i++) {
        len += (size_t)snprintf(buf + len, n - len, "hpod_trials{state=\"%s\"} %s\n",
                                PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    }
    for (int i = 0; r && i < PQntuples(r) && len < n; i++) {
        if (strcmp(PQgetvalue(r, i, 0), "running") != 0) continue;
        len += (size_t)snprintf(buf + len, n - len,
                                "# HELP hpod_running_trials Trials running now.\n"
                                "# TYPE hpod_running_trials gauge\nhpod_running_trials %s\n",
                                PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return len < n ? len : n - 1;
}

void h_metrics_get(struct req *r) {
    static __thread char buf[METRICS_BUF];
    size_t len = trial_counts(buf, sizeof buf);
    metrics_render(buf + len, sizeof buf - len);
    http_reply_text(r, 200, "text/plain; version=0.0.4", buf, strlen(buf));
}
