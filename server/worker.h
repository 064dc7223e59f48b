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
 * thread); running trials are then stopped and released. Returns 0. */
int worker_run(const struct worker_cfg *cfg);

#endif
