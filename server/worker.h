/* worker: `hpod worker --server URL --slots N`, running trials of a
 * server's native and command studies on this machine over the REST API
 * (ask, report, heartbeat, complete/fail/release), so that a study scales
 * out by starting workers on more machines. Entry point: worker_run.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_WORKER_H
#define HPOD_WORKER_H

struct worker_cfg {
    const char *server;    /* base URL, e.g. http://10.0.0.5:8080 */
    int n_slots;           /* trials run at once */
    int n_cores;           /* cores the trials may use together */
    const char *name;      /* lease owner name prefix */
    const char *train_bin; /* path of bin/hpod-train */
};

/* Run until SIGINT or SIGTERM (which the caller has blocked in every
 * thread); running trials are then stopped and released. Returns 0, or 1
 * when the server refused a call in a way retrying cannot change (a 4xx
 * such as 401 unauthorized or a 422 on the worker name): that is logged
 * with the server's code and message, and the worker stops as on a
 * signal. Connection failures and 5xx replies are retried instead. */
int worker_run(const struct worker_cfg *cfg);

#endif
