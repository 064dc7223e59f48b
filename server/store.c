/* store: a fixed pool of libpq connections guarded by one mutex and a
 * condition variable, transactions with bounded retry, and SQLSTATE
 * mapping. It knows no table: queries belong to the store_<res>.c files.
 * SPDX-License-Identifier: MIT */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mem.h"

/* Serialization failures under contention resolve within a few attempts;
 * 8 keeps a pathological storm from holding a request for long. */
#define STORE_TX_RETRIES 8
#define STORE_CONNECT_TIMEOUT_S "5"

/* Statements are prepared once per connection, the first time each SQL
 * text is run on it, and found again by their text: parsing and planning
 * were most of PostgreSQL's time under an ask/complete load. */
#define STORE_MAX_PREPARED 256

struct prepared {
    char *sql[STORE_MAX_PREPARED];
    int n;
};

static struct {
    PGconn **conns;
    struct prepared *prepared;
    int *is_busy;
    int n;
    char *dsn;
    PGconn *name_conn; /* holds the worker name; see store_hold_name */
    int is_name_taken; /* another server held it */
    pthread_mutex_t lock;
    pthread_cond_t freed;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER};

/* The value of key in dsn, copied to out ("" when unset). Returns -1,
 * with out "", when dsn does not parse. */
static int dsn_value(const char *dsn, const char *key, char *out, size_t n) {
    out[0] = '\0';
    PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
    if (!opts) return -1;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, key) == 0 && o->val) snprintf(out, n, "%s", o->val);
    }
    PQconninfoFree(opts);
    return 0;
}

void store_dsn_host(const char *dsn, char *out, size_t n) {
    char host[200], port[16];
    if (dsn_value(dsn, "host", host, sizeof host) != 0) {
        snprintf(out, n, "%s", "(an unparsable URL)");
        return;
    }
    dsn_value(dsn, "port", port, sizeof port);
    snprintf(out, n, "%s%s%s", host[0] ? host : "localhost", port[0] ? ":" : "", port);
}

/* Why c failed to connect, in one line: libpq's reason after its
 * "connection to server ... failed: " preamble, with the password, should
 * the server or libpq echo it, masked. */
static void connect_reason(PGconn *c, const char *dsn, char *out, size_t n) {
    const char *m = PQerrorMessage(c);
    const char *f = strstr(m, "failed: ");
    if (f) m = f + strlen("failed: ");
    snprintf(out, n, "%s", m);
    log_quotable(out); /* the log line quotes the whole reason */
    size_t len = strlen(out);
    while (len && out[len - 1] == ' ') out[--len] = '\0';
    char pw[200];
    dsn_value(dsn, "password", pw, sizeof pw);
    for (char *hit; pw[0] && (hit = strstr(out, pw));) {
        size_t k = strlen(pw);
        memset(hit, '*', k);
    }
}

/* Server notices ("relation already exists, skipping") go to the debug
 * log instead of libpq's default, a bare line on stderr. */
static void on_notice(void *arg, const char *msg) {
    (void)arg;
    char line[200];
    snprintf(line, sizeof line, "%s", msg);
    line[strcspn(line, "\n\"")] = '\0';
    log_debug("store", "notice", "msg=\"%s\"", line);
}

static PGconn *connect_one(const char *dsn) {
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {dsn, STORE_CONNECT_TIMEOUT_S, "hpod", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PQsetNoticeProcessor(c, on_notice, NULL);
    return c;
}

int store_open(const char *dsn, int n, struct err *e) {
    /* libpq's reason for an unparsable string quotes the string, password
     * and all, so it is not passed on. */
    char probe[8]; /* only whether the string parses */
    if (dsn_value(dsn, "host", probe, sizeof probe) != 0) {
        return err_set(e, 503, "db_unavailable", NULL,
                       "the database URL is not a PostgreSQL connection string "
                       "(postgresql://user:password@host:port/dbname, or key=value pairs)");
    }
    pool.conns = xcalloc((size_t)n, sizeof *pool.conns);
    pool.prepared = xcalloc((size_t)n, sizeof *pool.prepared);
    pool.is_busy = xcalloc((size_t)n, sizeof *pool.is_busy);
    pool.n = n;
    pool.dsn = xstrdup(dsn);
    for (int i = 0; i < n; i++) {
        pool.conns[i] = connect_one(dsn);
        if (PQstatus(pool.conns[i]) == CONNECTION_OK) continue;
        char host[256], why[400];
        store_dsn_host(dsn, host, sizeof host);
        connect_reason(pool.conns[i], dsn, why, sizeof why);
        log_error("store", "connect_failed", "host=%s reason=\"%s\"", host, why);
        store_close();
        return err_set(e, 503, "db_unavailable", NULL, "cannot connect to PostgreSQL at %s: %s",
                       host, why);
    }
    return 0;
}

static void forget_prepared(struct prepared *p) {
    for (int i = 0; i < p->n; i++) free(p->sql[i]);
    p->n = 0;
}

void store_close(void) {
    PQfinish(pool.name_conn);
    pool.name_conn = NULL;
    for (int i = 0; i < pool.n; i++) {
        PQfinish(pool.conns[i]);
        forget_prepared(&pool.prepared[i]);
    }
    free(pool.conns);
    free(pool.prepared);
    pool.prepared = NULL;
    free(pool.is_busy);
    free(pool.dsn);
    pool.conns = NULL;
    pool.is_busy = NULL;
    pool.dsn = NULL;
    pool.n = 0;
}

/* How long a restarted server waits for the session of the one it
 * replaces to end: PostgreSQL notices a closed socket at once, but the
 * backend still has to exit. */
#define STORE_NAME_WAIT_MS 5000
#define STORE_NAME_POLL_MS 100

int store_hold_name(const char *name, struct err *e) {
    PGconn *c = connect_one(pool.dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return err_set(e, 503, "db_unavailable", NULL, "the database is unreachable");
    }
    const char *p[] = {name};
    for (int waited = 0;; waited += STORE_NAME_POLL_MS) {
        PGresult *r = PQexecParams(c, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1,
                                   NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            store_fail(c, r, e);
            PQclear(r);
            PQfinish(c);
            return -1;
        }
        int is_held = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (is_held) break;
        if (waited >= STORE_NAME_WAIT_MS) {
            PQfinish(c);
            pool.is_name_taken = 1;
            return err_set(e, 409, "name_in_use", NULL,
                           "worker name %s is in use by another server on this database; stop "
                           "that one, or set HPOD_WORKER_NAME",
                           name);
        }
        struct timespec ts = {0, STORE_NAME_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    pool.name_conn = c;
    return 0;
}

int store_others_serving(void) {
    if (pool.is_name_taken) return 1;
    if (!pool.name_conn && !pool.n) return 0; /* never connected */
    /* Servers hold their names with advisory locks; migrate.c takes one
     * only while a server starts, which needs the cluster too. The query
     * runs on the session that holds this server's own name, if any, so
     * that lock is not counted; `hpod migrate` holds none. */
    PGconn *c = pool.name_conn ? pool.name_conn : store_acquire();
    PGresult *r = PQexec(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                            " AND granted AND pid <> pg_backend_pid()");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (c != pool.name_conn) store_release(c);
    return n > 0;
}

PGconn *store_acquire(void) {
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        for (int i = 0; i < pool.n; i++) {
            if (pool.is_busy[i]) continue;
            pool.is_busy[i] = 1;
            PGconn *c = pool.conns[i];
            pthread_mutex_unlock(&pool.lock);
            if (PQstatus(c) != CONNECTION_OK) {
                /* A new session has none of the old prepared statements. */
                PQreset(c);
                forget_prepared(&pool.prepared[i]);
            }
            return c;
        }
        pthread_cond_wait(&pool.freed, &pool.lock);
    }
}

void store_release(PGconn *c) {
    pthread_mutex_lock(&pool.lock);
    for (int i = 0; i < pool.n; i++) {
        if (pool.conns[i] == c) pool.is_busy[i] = 0;
    }
    pthread_cond_signal(&pool.freed);
    pthread_mutex_unlock(&pool.lock);
}

int store_fail(PGconn *c, const PGresult *r, struct err *e) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    if (!state) state = "";
    char one_line[300];
    snprintf(one_line, sizeof one_line, "%s", msg ? msg : "");
    log_quotable(one_line);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        log_warn("store", "tx_conflict", "sqlstate=%s", state);
        return err_set(e, 503, "db_retry", NULL, "the database was busy; retry");
    }
    if (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 || strcmp(state, "23514") == 0) {
        log_info("store", "constraint", "sqlstate=%s msg=\"%s\"", state, one_line);
        return err_set(e, 409, "conflict", NULL, "the request conflicts with stored data");
    }
    log_error("store", "query_failed", "sqlstate=%s msg=\"%s\"", state, one_line);
    if (PQstatus(c) != CONNECTION_OK) {
        return err_set(e, 503, "db_unavailable", NULL, "the database is unreachable");
    }
    return err_set(e, 500, "internal", NULL, "the server failed");
}

static struct prepared *prepared_of(const PGconn *c) {
    for (int i = 0; i < pool.n; i++) {
        if (pool.conns[i] == c) return &pool.prepared[i];
    }
    return NULL;
}

/* The name of sql's prepared statement on c, preparing it if needed; NULL
 * when it cannot be prepared (then the caller runs it unprepared, and any
 * error shows there). */
static const char *prepare(PGconn *c, const char *sql, int nparams, char *name, size_t n) {
    struct prepared *p = prepared_of(c);
    if (!p) return NULL;
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->sql[i], sql) == 0) {
            snprintf(name, n, "s%d", i);
            return name;
        }
    }
    if (p->n == STORE_MAX_PREPARED) return NULL;
    snprintf(name, n, "s%d", p->n);
    PGresult *r = PQprepare(c, name, sql, nparams, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return NULL;
    p->sql[p->n++] = xstrdup(sql);
    return name;
}

PGresult *store_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                     struct err *e) {
    char name[16];
    /* Transaction control and parameterless statements gain nothing. */
    const char *stmt = nparams > 0 ? prepare(c, sql, nparams, name, sizeof name) : NULL;
    PGresult *r = stmt ? PQexecPrepared(c, stmt, nparams, params, NULL, NULL, 0)
                       : PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    store_fail(c, r, e);
    PQclear(r);
    return NULL;
}

static int simple(PGconn *c, const char *sql, struct err *e) {
    PGresult *r = store_exec(c, sql, 0, NULL, e);
    PQclear(r);
    return r ? 0 : -1;
}

int store_tx(store_tx_fn fn, void *arg, struct err *e) {
    PGconn *c = store_acquire();
    int rc = -1;
    for (int attempt = 1; attempt <= STORE_TX_RETRIES; attempt++) {
        err_clear(e);
        if (simple(c, "BEGIN", e) != 0) break;
        rc = fn(c, arg, e);
        if (rc == 0)
            rc = simple(c, "COMMIT", e);
        else
            simple(c, "ROLLBACK", NULL);
        int is_retry = rc != 0 && e && e->code && strcmp(e->code, "db_retry") == 0;
        if (!is_retry) break;
        log_warn("store", "tx_retry", "attempt=%d", attempt);
        if (attempt == STORE_TX_RETRIES) {
            err_set(e, 503, "db_busy", NULL, "the database stayed busy; retry later");
        }
    }
    store_release(c);
    return rc;
}
