/* sched: the server's own pool of worker threads. Each thread leases a
 * trial of a running native or command study (round-robin over studies,
 * within each study's parallel limit), runs it through runner.c, and
 * records the outcome. A maintenance thread reclaims expired leases and
 * ends studies whose budget or time is spent.
 * Entry points: sched_start, sched_stop.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_SCHED_H
#define HPOD_SCHED_H

#include "err.h"

struct sched_cfg {
    int n_workers;         /* trial threads; 0 runs maintenance only */
    int n_cores;           /* cores the trials may use together */
    const char *train_bin; /* path of bin/hpod-train */
    const char *name;      /* worker name prefix, stable across restarts */
};

/* Start the threads. Trials left running by an earlier run of this server
 * (same name) are requeued or failed first. Borrows cfg's strings for the
 * scheduler's life. */
int sched_start(const struct sched_cfg *cfg, struct err *e);

/* Stop: running trials are stopped and put back in the queue, then every
 * thread is joined. */
void sched_stop(void);

#endif
