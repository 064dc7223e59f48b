/* pgembed: the private PostgreSQL 15 cluster that `hpod serve` runs when no
 * HPOD_DATABASE_URL is set. It lives under var/pg in the working folder,
 * listens on a Unix socket only, and runs as an unprivileged user.
 * Entry points: pgembed_start, pgembed_stop.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_PGEMBED_H
#define HPOD_PGEMBED_H

#include <sys/types.h>

#include "err.h"

struct pgembed {
    char data_dir[512]; /* the cluster (PGDATA) */
    char sock_dir[512]; /* where the Unix socket lives */
    char log_path[512]; /* PostgreSQL's own log */
    char dsn[1200];     /* libpq connection string for the server */
    uid_t uid;          /* identity the cluster runs as; (uid_t)-1 = ours */
    gid_t gid;
    int is_started; /* 1 when pgembed_start started it (so stop it) */
};

/* Create (first time) and start the cluster under workdir/var/pg, create
 * the hpod database, and fill pg->dsn. Reuses a cluster that is already
 * running (left by a killed server). Fails with 500 "db_embed" and a
 * message that points at the PostgreSQL log. */
int pgembed_start(struct pgembed *pg, const char *workdir, struct err *e);

/* Stop the cluster if pgembed_start started it (fast shutdown: running
 * transactions roll back, committed data stays). */
void pgembed_stop(struct pgembed *pg);

#endif
