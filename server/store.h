/* store: the PostgreSQL connection pool, transactions with retry, and the
 * one mapping from SQLSTATE to struct err. All SQL lives in store_*.c.
 * Entry points: store_open/store_close, store_tx, store_exec.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_STORE_H
#define HPOD_STORE_H

#include <libpq-fe.h>

#include "err.h"

/* Open n connections to dsn (a libpq URL or key=value string). Fails with
 * 503 "db_unavailable" naming the host (never the password) when the
 * database cannot be reached within the connect timeout. */
int store_open(const char *dsn, int n, struct err *e);
void store_close(void);

/* Hold name (the worker name this server leases under) until
 * store_close, on a connection of its own: a session advisory lock on a
 * hash of name. A second server that would run under the same name (the
 * same host and folder, or the same HPOD_WORKER_NAME) gets 409
 * "name_in_use" instead of starting and requeueing the first one's
 * running trials as its own. A server killed with SIGKILL drops its
 * session, so its restart gets the name back (after a few seconds' wait at
 * most). The lock does not survive a restart of PostgreSQL itself: it is
 * not taken again then. */
int store_hold_name(const char *name, struct err *e);

/* Whether another server holds a worker name on this database (and so
 * still needs an embedded cluster this one would stop on its way out);
 * true as well when this server found its own name taken. */
int store_others_serving(void);

/* Borrow a connection for one unit of work; blocks until one is free.
 * Give it back with store_release. A connection that broke is reset. */
PGconn *store_acquire(void);
void store_release(PGconn *c);

/* A transaction body: runs inside BEGIN/COMMIT on c. Returns 0 or -1 with
 * e filled (the transaction then rolls back). */
typedef int (*store_tx_fn)(PGconn *c, void *arg, struct err *e);

/* Run fn in one transaction, retrying it on serialization failures and
 * deadlocks (STORE_TX_RETRIES times, then 503 "db_busy"). */
int store_tx(store_tx_fn fn, void *arg, struct err *e);

/* Run a parameterised statement; nparams text values (NULL = SQL NULL).
 * Returns a result the caller PQclears, or NULL with e filled through
 * store_fail. */
PGresult *store_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                     struct err *e);

/* Map a failed result to e: unique violation -> 409 "conflict", check or
 * foreign-key violation -> 409 "conflict", serialization/deadlock ->
 * 503 "db_retry" (store_tx retries those), anything else -> 500
 * "internal". Logs SQLSTATE and the server message. Returns -1. */
int store_fail(PGconn *c, const PGresult *r, struct err *e);

/* The host part of a DSN for messages and logs, never its password. */
void store_dsn_host(const char *dsn, char *out, size_t n);

#endif
