/* store_trial: trial rows and learning curves. The searcher and pruner run
 * inside the transactions that need them (ask, report) so that their
 * inputs cannot change under them: an ask holds the study row lock, a
 * report the trial row lock. A searcher that reads no history (random)
 * proposes before the lock instead, so that its ask is one statement (see
 * ask_run). JSON shapes come from the SQL function trial_json
 * (migrations).
 * SPDX-License-Identifier: MIT */
#include "store_trial.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "metrics.h"
#include "log.h"
#include "mem.h"
#include "prune/prune.h"
#include "search/search.h"
#include "store.h"
#include "store_study.h"

#define ID_LEN 24

/* ---- small helpers ---------------------------------------------------- */

/* Format values as a PostgreSQL array literal (non-finite ones as NULL);
 * the caller frees it. */
static char *pg_array(const double *v, int n) {
    size_t cap = (size_t)n * 26 + 3;
    char *s = xmalloc(cap);
    size_t len = (size_t)snprintf(s, cap, "{");
    for (int i = 0; i < n; i++) {
        /* JSON has no NaN or infinity: such values are stored as NULL
         * elements, which reach clients as null. */
        if (isfinite(v[i]))
            len += (size_t)snprintf(s + len, cap - len, "%s%.17g", i ? "," : "", v[i]);
        else
            len += (size_t)snprintf(s + len, cap - len, "%sNULL", i ? "," : "");
    }
    snprintf(s + len, cap - len, "}");
    return s;
}

/* Parse the JSON text in cell (row, col), or NULL when SQL NULL. */
static json_t *cell_json(const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return NULL;
    return json_loads(PQgetvalue(r, row, col), JSON_DECODE_ANY, NULL);
}

/* Run sql and return the first cell as JSON (new), or NULL with e set;
 * an empty result is 404 with not_found_code. */
static json_t *one_json(PGconn *c, const char *sql, int n, const char *const *params,
                        const char *not_found_code, struct err *e) {
    PGresult *r = store_exec(c, sql, n, params, e);
    if (!r) return NULL;
    json_t *j = PQntuples(r) ? cell_json(r, 0, 0) : NULL;
    PQclear(r);
    if (!j) err_set(e, 404, not_found_code, NULL, "no such %s", "row");
    return j;
}

static void fmt_id(char *buf, long long v) {
    snprintf(buf, ID_LEN, "%lld", v);
}

static int all_finite(const double *v, int n) {
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) return 0;
    }
    return 1;
}

/* ---- enqueue ----------------------------------------------------------- */

struct enqueue_tx {
    const struct study *s;
    const json_t *params;
    const double *values;
    json_t *out;
};

static int enqueue_body(PGconn *c, void *arg, struct err *e) {
    struct enqueue_tx *t = arg;
    char sid[ID_LEN];
    fmt_id(sid, t->s->id);
    const char *p1[] = {sid};
    PGresult *r = store_exec(c,
                             "SELECT state, next_number FROM studies WHERE id = $1"
                             " FOR UPDATE",
                             1, p1, e);
    if (!r) return -1;
    if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 0), "done") == 0) {
        int is_gone = PQntuples(r) == 0;
        PQclear(r);
        return is_gone ? err_set(e, 404, "study_not_found", NULL, "no such study")
                       : err_set(e, 409, "bad_state", NULL, "the study is done");
    }
    char number[ID_LEN];
    snprintf(number, sizeof number, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    /* Every trial takes a number below max_trials; past it, an enqueued
     * trial would wait forever in a study that ends by count. */
    if (atoll(number) >= t->s->max_trials) {
        return err_set(e, 409, "bad_state", NULL, "the study has used all %lld of its max_trials",
                       t->s->max_trials);
    }

    char *params = json_dumps(t->params, JSON_COMPACT);
    char *values = t->values ? pg_array(t->values, t->s->n_objectives) : NULL;
    const char *p2[] = {sid, number, params, values};
    t->out = one_json(c,
                      "INSERT INTO trials (study_id, number, state, source, params, \"values\","
                      " started_at, finished_at) VALUES ($1, $2, CASE WHEN $4::float8[] IS NULL"
                      " THEN 'queued' ELSE 'complete' END, CASE WHEN $4::float8[] IS NULL"
                      " THEN 'enqueued' ELSE 'warm_start' END, $3::json, $4::float8[],"
                      " CASE WHEN $4::float8[] IS NULL THEN NULL ELSE now() END,"
                      " CASE WHEN $4::float8[] IS NULL THEN NULL ELSE now() END)"
                      " RETURNING trial_json(trials)",
                      4, p2, "study_not_found", e);
    free(params);
    free(values);
    if (!t->out) return -1;
    r = store_exec(c, "UPDATE studies SET next_number = next_number + 1 WHERE id = $1", 1, p1, e);
    PQclear(r);
    return r ? 0 : -1;
}

/* Publish a trial's outcome; a completion in a study with a webhook may be
 * a new best, so the webhook hears of it. */
static void publish_outcome(const struct study *s, const json_t *trial, const char *type) {
    if (s->webhook && !strcmp(type, "trial_completed"))
        events_publish_trial_notify(s->id, trial, type);
    else
        events_publish_trial(s->id, trial, type);
}

json_t *store_trial_enqueue(const struct study *s, const json_t *params, const double *values,
                            struct err *e) {
    struct enqueue_tx t = {s, params, values, NULL};
    if (store_tx(enqueue_body, &t, e) != 0) {
        json_decref(t.out);
        return NULL;
    }
    publish_outcome(s, t.out, values ? "trial_completed" : "trial_enqueued");
    return t.out;
}

/* ---- ask ----------------------------------------------------------------- */

/* The history a searcher sees: every trial of the study, by number. */
struct history {
    struct search_trial *trials;
    json_t **params;
    double *values; /* n_objectives per trial */
    size_t n, cap;
    int n_obj;
};

static void history_add(struct history *h, int number, enum search_state st, json_t *params,
                        const json_t *values) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->trials = xrealloc(h->trials, h->cap * sizeof *h->trials);
        h->params = xrealloc(h->params, h->cap * sizeof *h->params);
        h->values = xrealloc(h->values, h->cap * (size_t)h->n_obj * sizeof *h->values);
    }
    size_t i = h->n++;
    double *v = h->values + i * (size_t)h->n_obj;
    int has_values = json_is_array(values) && (int)json_array_size(values) >= h->n_obj;
    for (int k = 0; k < h->n_obj; k++) {
        const json_t *x = has_values ? json_array_get(values, (size_t)k) : NULL;
        v[k] = json_is_number(x) ? json_number_value(x) : NAN;
    }
    h->params[i] = params;
    h->trials[i] = (struct search_trial){number, st, params, NULL};
}

/* Point each trial's values into the (possibly moved) values block. */
static void history_fix(struct history *h) {
    for (size_t i = 0; i < h->n; i++) {
        int has = h->trials[i].state == SEARCH_COMPLETE || h->trials[i].state == SEARCH_PRUNED;
        h->trials[i].values = has ? h->values + i * (size_t)h->n_obj : NULL;
    }
}

static void history_cleanup(struct history *h) {
    for (size_t i = 0; i < h->n; i++) json_decref(h->params[i]);
    free(h->trials);
    free(h->params);
    free(h->values);
}

static enum search_state state_of(const char *s) {
    if (!strcmp(s, "complete")) return SEARCH_COMPLETE;
    if (!strcmp(s, "pruned")) return SEARCH_PRUNED;
    if (!strcmp(s, "failed")) return SEARCH_FAILED;
    return SEARCH_RUNNING; /* running and queued are both pending */
}

static int history_load(PGconn *c, const struct study *s, struct history *h, struct err *e) {
    char sid[ID_LEN];
    fmt_id(sid, s->id);
    const char *p[] = {sid};
    PGresult *r = store_exec(c,
                             "SELECT number, state, params, array_to_json(\"values\")"
                             " FROM trials WHERE study_id = $1 ORDER BY number",
                             1, p, e);
    if (!r) return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *vals = cell_json(r, i, 3);
        history_add(h, atoi(PQgetvalue(r, i, 0)), state_of(PQgetvalue(r, i, 1)), cell_json(r, i, 2),
                    vals);
        json_decref(vals);
    }
    PQclear(r);
    return 0;
}

struct ask_tx {
    const struct study *s;
    const char *worker;
    int count;
    int guess;       /* next_number guessed for proposals, or -1 */
    char *proposals; /* JSON array of proposals numbered from guess, or NULL */
    int next;        /* next_number after the ask */
    int n_new;       /* new trials still to propose */
    json_t *out;     /* array of trial JSON */
    char state[16];
};

/* Append every row's first cell (trial JSON) to out. */
static void append_rows(json_t *out, PGresult *r) {
    for (int i = 0; i < PQntuples(r); i++) json_array_append_new(out, cell_json(r, i, 0));
}

/* Lock the study row, renew the worker's own live leases, lease enqueued
 * trials, insert guessed proposals and say how many new trials are still
 * to propose (migration 0002). Inside a transaction the lock holds until
 * it ends, so the inserts below are numbered without gaps or repeats. */
static const char *const SQL_ASK_CLAIM = "SELECT state, next_number, n_new, mine, queued, fresh"
                                         " FROM ask_claim($1, $2, $3, $4, $5, $6, $7, $8::json)";

/* One new trial and the study's next number, in one statement. */
static const char *const SQL_ASK_INSERT =
    "WITH n AS (UPDATE studies SET next_number = $2::int + 1 WHERE id = $1)"
    " INSERT INTO trials (study_id, number, state, params, worker, lease_deadline,"
    " started_at, attempts) VALUES ($1, $2, 'running', $3::json, $4,"
    " now() + $5::float8 * interval '1 second', now(), 1)"
    " RETURNING trial_json(trials)";

/* Propose and insert up to n new trials starting at *next. */
static int ask_new(PGconn *c, struct ask_tx *t, int n, int *next, int *is_exhausted,
                   struct err *e) {
    const struct study *s = t->s;
    struct history h = {.n_obj = s->n_objectives};
    /* Searchers that ignore the history (random) spare loading it. */
    int needs_history = search_reads_trials(s->searcher);
    if (needs_history && history_load(c, s, &h, e) != 0) goto fail;
    char sid[ID_LEN], lease[32];
    fmt_id(sid, s->id);
    snprintf(lease, sizeof lease, "%g", s->lease_s);
    for (int k = 0; k < n; k++) {
        history_fix(&h);
        struct search_ctx ctx = {s->space, s->n_objectives, s->maximize, s->searcher_options,
                                 s->seed,  h.trials,        h.n,         *next};
        json_t *params = NULL;
        int rc = search_propose(s->searcher, &ctx, &params, e);
        if (rc < 0) goto fail;
        if (rc == 1) {
            *is_exhausted = 1;
            break;
        }
        char number[ID_LEN];
        fmt_id(number, *next);
        char *ptext = json_dumps(params, JSON_COMPACT);
        const char *p[] = {sid, number, ptext, t->worker, lease};
        PGresult *r = store_exec(c, SQL_ASK_INSERT, 5, p, e);
        free(ptext);
        if (!r) {
            json_decref(params);
            goto fail;
        }
        append_rows(t->out, r);
        PQclear(r);
        if (needs_history)
            history_add(&h, *next, SEARCH_RUNNING, params, NULL);
        else
            json_decref(params);
        (*next)++;
    }
    history_cleanup(&h);
    return 0;
fail:
    history_cleanup(&h);
    return -1;
}

/* Run ask_claim and take in its answer: t->out gets the trials it leased
 * or inserted, t->next and t->n_new what is left to propose. */
static int ask_claim(PGconn *c, struct ask_tx *t, struct err *e) {
    const struct study *s = t->s;
    char sid[ID_LEN], lease[32], count[ID_LEN], parallel[ID_LEN], max_trials[ID_LEN];
    char guess[ID_LEN];
    fmt_id(sid, s->id);
    snprintf(lease, sizeof lease, "%g", s->lease_s);
    fmt_id(count, t->count);
    fmt_id(parallel, s->parallel);
    fmt_id(max_trials, s->max_trials);
    fmt_id(guess, t->guess);
    const char *p[] = {sid, t->worker, lease, count, parallel, max_trials, guess, t->proposals};
    PGresult *r = store_exec(c, SQL_ASK_CLAIM, 8, p, e);
    if (!r) return -1;
    if (PQgetisnull(r, 0, 0)) {
        PQclear(r);
        return err_set(e, 404, "study_not_found", NULL, "no such study");
    }
    snprintf(t->state, sizeof t->state, "%s", PQgetvalue(r, 0, 0));
    t->next = atoi(PQgetvalue(r, 0, 1));
    t->n_new = atoi(PQgetvalue(r, 0, 2));
    json_decref(t->out);
    t->out = json_array();
    for (int col = 3; col <= 5; col++) {
        json_t *got = cell_json(r, 0, col);
        json_array_extend(t->out, got);
        json_decref(got);
    }
    PQclear(r);
    return 0;
}

/* The general ask, in a transaction: claim, then let the searcher propose
 * under the study row lock, with the history when it reads it. */
static int ask_body(PGconn *c, void *arg, struct err *e) {
    struct ask_tx *t = arg;
    t->guess = -1;
    if (ask_claim(c, t, e) != 0) return -1;
    if (t->n_new <= 0) return 0;
    int is_exhausted = 0;
    if (ask_new(c, t, t->n_new, &t->next, &is_exhausted, e) != 0) return -1;
    if (!is_exhausted) return 0;
    char sid[ID_LEN];
    fmt_id(sid, t->s->id);
    const char *p[] = {sid};
    PGresult *r = store_exec(c, "UPDATE studies SET is_exhausted = true WHERE id = $1", 1, p, e);
    PQclear(r);
    return r ? 0 : -1;
}

/* The last next_number this process saw for a study whose searcher ignores
 * the history, and how many asks on it are under way here. An ask proposes
 * for as many numbers from the hint on as there are asks under way, plus
 * HINT_SLACK for asks that finished but have not raised the hint yet, so
 * concurrent asks, which the study row lock takes in any order, still find
 * their numbers among the proposals. A slot shared by two studies, or
 * another process asking in between, only costs a wrong guess. */
#define HINT_SLOTS 64
#define HINT_SLACK 4
#define HINT_MAX_PROPOSALS 256
static struct hint {
    _Atomic long long study_id;
    atomic_int next;
    atomic_int n_asking;
} hints[HINT_SLOTS];

/* Propose for numbers t->guess, t->guess + 1, ... (n of them) and try the
 * ask as one statement; t->n_new > 0 afterwards means the guess was wrong.
 * Returns 1 when the searcher declined to propose (then nothing was sent). */
static int ask_guessed(struct ask_tx *t, int n, struct err *e) {
    const struct study *s = t->s;
    json_t *all = json_array();
    for (int k = 0; k < n; k++) {
        struct search_ctx ctx = {
            s->space, s->n_objectives, s->maximize, s->searcher_options, s->seed, NULL,
            0,        t->guess + k};
        json_t *params = NULL;
        int rc = search_propose(s->searcher, &ctx, &params, e);
        if (rc != 0) {
            json_decref(all);
            return rc;
        }
        json_array_append_new(all, params);
    }
    t->proposals = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    PGconn *c = store_acquire();
    int rc = ask_claim(c, t, e);
    if (rc == 0) {
        /* ask_claim committed its inserts without waiting for the flush
         * (migration 0002); a transaction with an id commits synchronously
         * and WAL is flushed in order, so after it the ask is on disk. */
        PGresult *r = store_exec(c, "SELECT pg_current_xact_id()", 0, NULL, e);
        if (!r) rc = -1;
        PQclear(r);
    }
    store_release(c);
    free(t->proposals);
    t->proposals = NULL;
    return rc;
}

/* Raise the hint to next, or set it when the last guess missed (two
 * studies racing for a slot may have left it too high). */
static void hint_update(struct hint *h, long long study_id, int next, int is_missed) {
    if (atomic_exchange(&h->study_id, study_id) != study_id || is_missed) {
        atomic_store(&h->next, next);
        return;
    }
    int seen = atomic_load(&h->next);
    while (seen < next && !atomic_compare_exchange_weak(&h->next, &seen, next)) {
    }
}

/* One statement when the study's next number is known here, else (or when
 * the guess was wrong) the transaction of ask_body. */
static int ask_run(struct ask_tx *t, struct err *e) {
    if (search_reads_trials(t->s->searcher)) return store_tx(ask_body, t, e);
    struct hint *h = &hints[(unsigned long long)t->s->id % HINT_SLOTS];
    int n_asking = atomic_fetch_add(&h->n_asking, 1) + 1;
    int rc = 1;
    if (atomic_load(&h->study_id) == t->s->id) {
        t->guess = atomic_load(&h->next);
        long long n = (long long)t->count * (n_asking + HINT_SLACK);
        rc = ask_guessed(t, n < HINT_MAX_PROPOSALS ? (int)n : HINT_MAX_PROPOSALS, e);
    }
    int is_missed = rc == 1 || (rc == 0 && t->n_new > 0);
    if (is_missed) rc = store_tx(ask_body, t, e);
    if (rc == 0) hint_update(h, t->s->id, t->next, is_missed);
    atomic_fetch_sub(&h->n_asking, 1);
    return rc;
}

json_t *store_trial_ask(const struct study *s, const char *worker, int count, struct err *e) {
    struct ask_tx t = {.s = s, .worker = worker, .count = count, .guess = -1};
    if (ask_run(&t, e) != 0) {
        json_decref(t.out);
        return NULL;
    }
    size_t i;
    json_t *trial;
    json_array_foreach(t.out, i, trial) events_publish_trial(s->id, trial, "trial_started");
    /* An ask that gets nothing may find the study's budget used up (by
     * warm starts, say): end it now, and say so. */
    const char *state = t.state;
    if (json_array_size(t.out) == 0 && store_study_finish_due(s->id, NULL) > 0) state = "done";
    return json_pack("{s:o, s:s}", "trials", t.out, "study_state", state);
}

/* ---- report, heartbeat, complete, fail ----------------------------------- */

/* The locked row of one running trial. */
struct locked {
    char id[ID_LEN];
    char state[16];
    int is_live;                         /* lease not expired */
    int last_step;                       /* -1 when no report yet */
    json_t *values;                      /* stored values or NULL */
    char worker[STORE_TRIAL_WORKER_MAX]; /* lease holder, "" when none */
};

static const char *const SQL_LOCK_TRIAL =
    "SELECT t.id, t.state, coalesce(t.lease_deadline > now(), false),"
    " coalesce(t.last_step, -1),"
    " array_to_json(t.\"values\"), coalesce(t.worker, '')"
    " FROM trials t WHERE t.study_id = $1 AND t.number = $2 FOR UPDATE";

/* The 404 for a trial that is not there. The caller's study came from
 * the cache of definitions, which outlives a DELETE (made here or by
 * another server), so a missing trial may mean a missing study: say so. */
static int trial_missing(PGconn *c, long long study_id, int number, struct err *e) {
    char sid[ID_LEN];
    fmt_id(sid, study_id);
    const char *p[] = {sid};
    PGresult *r = store_exec(c, "SELECT 1 FROM studies WHERE id = $1", 1, p, e);
    if (!r) return -1;
    int is_gone = PQntuples(r) == 0;
    PQclear(r);
    if (is_gone) return err_set(e, 404, "study_not_found", NULL, "no such study");
    return err_set(e, 404, "trial_not_found", NULL, "study %lld has no trial %d", study_id, number);
}

static int lock_trial(PGconn *c, long long study_id, int number, struct locked *l, struct err *e) {
    char sid[ID_LEN], num[ID_LEN];
    fmt_id(sid, study_id);
    fmt_id(num, number);
    const char *p[] = {sid, num};
    PGresult *r = store_exec(c, SQL_LOCK_TRIAL, 2, p, e);
    if (!r) return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return trial_missing(c, study_id, number, e);
    }
    snprintf(l->id, sizeof l->id, "%s", PQgetvalue(r, 0, 0));
    snprintf(l->state, sizeof l->state, "%s", PQgetvalue(r, 0, 1));
    l->is_live = PQgetvalue(r, 0, 2)[0] == 't';
    l->last_step = atoi(PQgetvalue(r, 0, 3));
    l->values = cell_json(r, 0, 4);
    snprintf(l->worker, sizeof l->worker, "%s", PQgetvalue(r, 0, 5));
    PQclear(r);
    return 0;
}

/* Refuse a change to a trial that is not running under a live lease held
 * by worker (any holder when worker is NULL). */
static int require_live(const struct locked *l, int number, const char *worker, struct err *e) {
    if (strcmp(l->state, "running") != 0) {
        return err_set(e, 409,
                       strcmp(l->state, "queued") ? "already_finished" : "trial_not_running", NULL,
                       "trial %d is %s", number, l->state);
    }
    if (!l->is_live) {
        return err_set(e, 409, "lease_expired", NULL, "the lease on trial %d has expired", number);
    }
    if (worker && strcmp(worker, l->worker) != 0) {
        return err_set(e, 409, "lease_expired", NULL,
                       "trial %d is leased to another worker; this worker's lease was lost",
                       number);
    }
    return 0;
}

/* Curves of the first objective of every trial of the study, up to step. */
struct curves {
    struct prune_curve *c;
    int *steps;
    double *values;
    size_t n;
};

static int curves_load(PGconn *c, long long study_id, int step, struct curves *cv, struct err *e) {
    char sid[ID_LEN], st[ID_LEN];
    fmt_id(sid, study_id);
    fmt_id(st, step);
    const char *p[] = {sid, st};
    PGresult *r = store_exec(c,
                             "SELECT t.number, t.state = 'complete', iv.step, iv.\"values\"[1]"
                             " FROM trials t JOIN intermediate_values iv ON iv.trial_id = t.id"
                             " WHERE t.study_id = $1 AND iv.step <= $2::int"
                             " ORDER BY t.number, iv.step",
                             2, p, e);
    if (!r) return -1;
    size_t rows = (size_t)PQntuples(r);
    cv->c = xcalloc(rows, sizeof *cv->c);
    cv->steps = xcalloc(rows, sizeof *cv->steps);
    cv->values = xcalloc(rows, sizeof *cv->values);
    cv->n = 0;
    for (size_t i = 0; i < rows; i++) {
        int number = atoi(PQgetvalue(r, (int)i, 0));
        if (cv->n == 0 || cv->c[cv->n - 1].number != number) {
            cv->c[cv->n++] = (struct prune_curve){number, cv->steps + i, cv->values + i, 0,
                                                  PQgetvalue(r, (int)i, 1)[0] == 't'};
        }
        cv->steps[i] = atoi(PQgetvalue(r, (int)i, 2));
        cv->values[i] = PQgetisnull(r, (int)i, 3) ? NAN : strtod(PQgetvalue(r, (int)i, 3), NULL);
        cv->c[cv->n - 1].n++;
    }
    PQclear(r);
    return 0;
}

static void curves_cleanup(struct curves *cv) {
    free(cv->c);
    free(cv->steps);
    free(cv->values);
}

/* Ask the study's pruner about trial number; 1 = stop. */
static int pruner_says_stop(PGconn *c, const struct study *s, int number, int step, struct err *e) {
    if (strcmp(s->pruner, "none") == 0) return 0;
    struct curves cv = {0};
    if (curves_load(c, s->id, step, &cv, e) != 0) return -1;
    size_t mine = cv.n;
    for (size_t i = 0; i < cv.n; i++) {
        if (cv.c[i].number == number) mine = i;
    }
    int stop = 0;
    if (mine < cv.n) {
        struct prune_curve self = cv.c[mine];
        cv.c[mine] = cv.c[cv.n - 1];
        stop =
            prune_should_stop(s->pruner, s->pruner_options, s->maximize[0], &self, cv.c, cv.n - 1);
    }
    curves_cleanup(&cv);
    return stop;
}

/* Whether the stored values are v. A non-finite value is stored as null,
 * so null matches NaN and the infinities, and nothing else. */
static int same_values(const json_t *stored, const double *v, int n) {
    if (!json_is_array(stored) || (int)json_array_size(stored) != n) return 0;
    for (int i = 0; i < n; i++) {
        const json_t *x = json_array_get(stored, (size_t)i);
        int is_same = json_is_null(x) ? !isfinite(v[i]) : json_number_value(x) == v[i];
        if (!is_same) return 0;
    }
    return 1;
}

struct report_tx {
    const struct study *s;
    int number;
    const char *worker;
    const struct trial_report *rep;
    int should_stop;
    int is_repeat; /* the report that pruned the trial, sent again */
};

/* Whether rep repeats the report that pruned the locked trial: its step
 * and values (a pruned trial keeps the values of that report). A client
 * whose reply was lost retries it, and must hear should_stop again. */
static int repeats_pruning(const struct locked *l, const struct report_tx *t) {
    return !strcmp(l->state, "pruned") && t->rep->step == l->last_step &&
           (!t->worker || !strcmp(t->worker, l->worker)) &&
           same_values(l->values, t->rep->values, t->rep->n_values);
}

static int report_body(PGconn *c, void *arg, struct err *e) {
    struct report_tx *t = arg;
    struct locked l = {0};
    if (lock_trial(c, t->s->id, t->number, &l, e) != 0) return -1;
    t->is_repeat = repeats_pruning(&l, t);
    json_decref(l.values);
    if (t->is_repeat) {
        t->should_stop = 1;
        return 0;
    }
    if (require_live(&l, t->number, t->worker, e) != 0) return -1;
    if (t->rep->step <= l.last_step) {
        return err_set(e, 409, "step_conflict", "step",
                       "step must be greater than %d, the last step reported", l.last_step);
    }
    char step[ID_LEN], lease[32];
    fmt_id(step, t->rep->step);
    snprintf(lease, sizeof lease, "%g", t->s->lease_s);
    char *vals = pg_array(t->rep->values, t->rep->n_values);
    char *metrics = t->rep->metrics ? json_dumps(t->rep->metrics, JSON_COMPACT) : NULL;
    const char *p[] = {l.id, step, vals, metrics, lease};
    PGresult *r = store_exec(c,
                             "WITH ins AS (INSERT INTO intermediate_values"
                             " (trial_id, step, \"values\", metrics)"
                             " VALUES ($1, $2, $3::float8[], $4::json))"
                             " UPDATE trials SET last_step = $2, lease_deadline = greatest("
                             " lease_deadline, now() + $5::float8 * interval '1 second')"
                             " WHERE id = $1",
                             5, p, e);
    PQclear(r);
    if (!r) goto fail;
    t->should_stop = pruner_says_stop(c, t->s, t->number, t->rep->step, e);
    if (t->should_stop < 0) goto fail;
    if (t->should_stop) {
        const char *pp[] = {l.id, vals};
        r = store_exec(c,
                       "UPDATE trials SET state = 'pruned', \"values\" = $2::float8[],"
                       " finished_at = now(), lease_deadline = NULL WHERE id = $1",
                       2, pp, e);
        PQclear(r);
        if (!r) goto fail;
    }
    free(vals);
    free(metrics);
    return 0;
fail:
    free(vals);
    free(metrics);
    return -1;
}

/* The common case of a report in one statement, without an explicit
 * transaction: the trial is running under a live lease and the step is
 * new. Anything else falls back to report_body, which says what is wrong. */
static const char *const SQL_REPORT_FAST =
    "WITH t AS (UPDATE trials SET last_step = $3::int, lease_deadline = greatest("
    "   lease_deadline, now() + $6::float8 * interval '1 second')"
    "   WHERE study_id = $1 AND number = $2 AND state = 'running'"
    "   AND lease_deadline > now() AND coalesce(last_step, -1) < $3::int"
    "   AND ($7::text IS NULL OR worker = $7) RETURNING id)"
    " INSERT INTO intermediate_values (trial_id, step, \"values\", metrics)"
    " SELECT id, $3::int, $4::float8[], $5::json FROM t RETURNING trial_id";

/* 1 when the fast path recorded the report, 0 when it did not apply. */
static int report_fast(const struct trial_ref *t, const struct trial_report *rep, struct err *e) {
    const struct study *s = t->s;
    char sid[ID_LEN], num[ID_LEN], step[ID_LEN], lease[32];
    fmt_id(sid, s->id);
    fmt_id(num, t->number);
    fmt_id(step, rep->step);
    snprintf(lease, sizeof lease, "%g", s->lease_s);
    char *vals = pg_array(rep->values, rep->n_values);
    char *metrics = rep->metrics ? json_dumps(rep->metrics, JSON_COMPACT) : NULL;
    const char *p[] = {sid, num, step, vals, metrics, lease, t->worker};
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c, SQL_REPORT_FAST, 7, p, e);
    store_release(c);
    free(vals);
    free(metrics);
    int n = r ? PQntuples(r) : -1;
    PQclear(r);
    return n;
}

json_t *store_trial_report(const struct trial_ref *ref, const struct trial_report *rep,
                           struct err *e) {
    const struct study *s = ref->s;
    int number = ref->number;
    struct report_tx t = {s, number, ref->worker, rep, 0, 0};
    /* Without a pruner nothing else needs the trial locked. */
    int done = strcmp(s->pruner, "none") == 0 ? report_fast(ref, rep, e) : 0;
    if (done < 0) return NULL;
    if (!done && store_tx(report_body, &t, e) != 0) return NULL;
    if (t.is_repeat) return json_pack("{s:b, s:s}", "should_stop", 1, "state", "pruned");
    metrics_add(METRIC_REPORTS, 1);
    json_t *ev = json_pack("{s:i, s:i, s:s}", "number", number, "step", rep->step, "state",
                           t.should_stop ? "pruned" : "running");
    json_t *vals = json_array();
    for (int i = 0; i < rep->n_values; i++) {
        double v = rep->values[i];
        json_array_append_new(vals, isfinite(v) ? json_real(v) : json_null());
    }
    json_object_set_new(ev, "values", vals);
    events_publish_trial(s->id, ev, t.should_stop ? "trial_pruned" : "trial_reported");
    json_decref(ev);
    if (t.should_stop) store_study_finish_due(s->id, NULL);
    return json_pack("{s:b, s:s}", "should_stop", t.should_stop, "state",
                     t.should_stop ? "pruned" : "running");
}

/* A transaction that locks one trial, checks it, and runs one update. */
struct finish_tx {
    const struct study *s;
    int number;
    const char *worker;      /* the lease holder, or NULL for any */
    const double *values;    /* complete */
    const char *reason;      /* fail */
    const char *stderr_tail; /* fail */
    int is_heartbeat;
    int is_unchanged; /* an idempotent repeat */
    int is_settled;   /* the study cannot be done by count yet */
    json_t *out;
};

static const char *const SQL_COMPLETE =
    "UPDATE trials SET state = 'complete', \"values\" = $2::float8[], finished_at = now(),"
    " lease_deadline = NULL WHERE id = $1 RETURNING trial_json(trials)";
static const char *const SQL_FAIL =
    "UPDATE trials SET state = 'failed', error = $2, stderr_tail = $3, finished_at = now(),"
    " lease_deadline = NULL WHERE id = $1 RETURNING trial_json(trials)";
static const char *const SQL_HEARTBEAT =
    "UPDATE trials SET lease_deadline = now() + $2::float8 * interval '1 second'"
    " WHERE id = $1 RETURNING trial_json(trials)";
static const char *const SQL_GET_ONE = "SELECT trial_json(t) FROM trials t WHERE id = $1";

/* An already finished trial: repeat of the same outcome, or a conflict. */
static int finished_already(struct finish_tx *t, PGconn *c, const struct locked *l, struct err *e) {
    int n = t->s->n_objectives;
    /* Non-finite values failed the trial, so repeating them is a repeat. */
    int is_nan_fail = t->values && !all_finite(t->values, n);
    int is_same =
        (t->values && !strcmp(l->state, "complete") && same_values(l->values, t->values, n)) ||
        ((t->reason || is_nan_fail) && !strcmp(l->state, "failed"));
    if (!is_same) {
        return err_set(e, 409, "already_finished", NULL, "trial %d is already %s", t->number,
                       l->state);
    }
    const char *p[] = {l->id};
    t->is_unchanged = 1;
    t->out = one_json(c, SQL_GET_ONE, 1, p, "trial_not_found", e);
    return t->out ? 0 : -1;
}

static int finish_body(PGconn *c, void *arg, struct err *e) {
    struct finish_tx *t = arg;
    struct locked l = {0};
    if (lock_trial(c, t->s->id, t->number, &l, e) != 0) return -1;
    int rc = -1;
    int is_done =
        !strcmp(l.state, "complete") || !strcmp(l.state, "pruned") || !strcmp(l.state, "failed");
    if (is_done && !t->is_heartbeat) {
        rc = finished_already(t, c, &l, e);
        goto out;
    }
    if (require_live(&l, t->number, t->worker, e) != 0) goto out;
    char lease[32];
    snprintf(lease, sizeof lease, "%g", t->s->lease_s);
    if (t->is_heartbeat) {
        const char *p[] = {l.id, lease};
        t->out = one_json(c, SQL_HEARTBEAT, 2, p, "trial_not_found", e);
    } else if (t->values && all_finite(t->values, t->s->n_objectives)) {
        char *vals = pg_array(t->values, t->s->n_objectives);
        const char *p[] = {l.id, vals};
        t->out = one_json(c, SQL_COMPLETE, 2, p, "trial_not_found", e);
        free(vals);
    } else {
        const char *reason = t->reason ? t->reason : "objective value is NaN or infinite";
        const char *p[] = {l.id, reason, t->stderr_tail};
        t->out = one_json(c, SQL_FAIL, 3, p, "trial_not_found", e);
    }
    rc = t->out ? 0 : -1;
out:
    json_decref(l.values);
    return rc;
}

/* The common cases of heartbeat and complete in one statement each; when
 * no row matches (not running, lease gone, a repeat) finish_body runs and
 * says why. A complete also says whether the study may now be done by
 * count: it cannot while numbers below max_trials are still unassigned
 * and the searcher has more to propose. */
static const char *const SQL_COMPLETE_FAST =
    "UPDATE trials SET state = 'complete', \"values\" = $3::float8[], finished_at = now(),"
    " lease_deadline = NULL WHERE study_id = $1 AND number = $2 AND state = 'running'"
    " AND lease_deadline > now() AND ($5::text IS NULL OR worker = $5)"
    " RETURNING trial_json(trials),"
    " (SELECT s.next_number >= $4::int OR s.is_exhausted FROM studies s WHERE s.id = $1)";
static const char *const SQL_HEARTBEAT_FAST =
    "UPDATE trials SET lease_deadline = now() + $3::float8 * interval '1 second'"
    " WHERE study_id = $1 AND number = $2 AND state = 'running'"
    " AND lease_deadline > now() AND ($4::text IS NULL OR worker = $4)"
    " RETURNING trial_json(trials), false";

static int finish_fast(struct finish_tx *t, struct err *e) {
    int n = t->s->n_objectives;
    if (t->reason || (t->values && !all_finite(t->values, n))) return 0;
    char sid[ID_LEN], num[ID_LEN], lease[32], max_trials[ID_LEN];
    fmt_id(sid, t->s->id);
    fmt_id(num, t->number);
    snprintf(lease, sizeof lease, "%g", t->s->lease_s);
    fmt_id(max_trials, t->s->max_trials);
    char *vals = t->values ? pg_array(t->values, n) : NULL;
    /* Heartbeats pass lease where completes pass values and max_trials. */
    const char *p[] = {sid, num, vals ? vals : lease, vals ? max_trials : t->worker, t->worker};
    PGconn *c = store_acquire();
    PGresult *r = t->is_heartbeat ? store_exec(c, SQL_HEARTBEAT_FAST, 4, p, e)
                                  : store_exec(c, SQL_COMPLETE_FAST, 5, p, e);
    store_release(c);
    free(vals);
    if (!r) return -1;
    t->out = PQntuples(r) ? cell_json(r, 0, 0) : NULL;
    t->is_settled = PQntuples(r) && PQgetvalue(r, 0, 1)[0] == 'f';
    PQclear(r);
    return t->out != NULL;
}

static json_t *finish(struct finish_tx *t, struct err *e) {
    int done = finish_fast(t, e);
    if (done < 0) return NULL;
    if (!done && store_tx(finish_body, t, e) != 0) {
        json_decref(t->out);
        return NULL;
    }
    if (!t->is_heartbeat && !t->is_unchanged) {
        const char *state = json_string_value(json_object_get(t->out, "state"));
        publish_outcome(t->s, t->out,
                        !strcmp(state, "complete") ? "trial_completed" : "trial_failed");
        if (!t->is_settled) store_study_finish_due(t->s->id, NULL);
    }
    return t->out;
}

json_t *store_trial_heartbeat(const struct trial_ref *ref, struct err *e) {
    struct finish_tx t = {
        .s = ref->s, .number = ref->number, .worker = ref->worker, .is_heartbeat = 1};
    return finish(&t, e);
}

json_t *store_trial_complete(const struct trial_ref *ref, const double *values, struct err *e) {
    struct finish_tx t = {
        .s = ref->s, .number = ref->number, .worker = ref->worker, .values = values};
    return finish(&t, e);
}

json_t *store_trial_fail(const struct trial_ref *ref, const char *reason, const char *stderr_tail,
                         struct err *e) {
    struct finish_tx t = {.s = ref->s,
                          .number = ref->number,
                          .worker = ref->worker,
                          .reason = reason,
                          .stderr_tail = stderr_tail};
    return finish(&t, e);
}

/* Why a requeue changed nothing: no such study or trial (404), a done
 * study (409 bad_state), or a trial that is not running or is leased to
 * another worker (409 trial_not_running). */
static void requeue_refused(PGconn *c, long long study_id, int number, const char *worker,
                            struct err *e) {
    char sid[ID_LEN], num[ID_LEN];
    fmt_id(sid, study_id);
    fmt_id(num, number);
    const char *p[] = {sid, num};
    PGresult *r = store_exec(c,
                             "SELECT s.state, t.state, coalesce(t.worker, '') FROM studies s"
                             " LEFT JOIN trials t ON t.study_id = s.id AND t.number = $2"
                             " WHERE s.id = $1",
                             2, p, e);
    if (!r) return;
    const char *study_state = PQntuples(r) ? PQgetvalue(r, 0, 0) : NULL;
    const char *state = study_state && !PQgetisnull(r, 0, 1) ? PQgetvalue(r, 0, 1) : NULL;
    if (!study_state) {
        err_set(e, 404, "study_not_found", NULL, "no such study");
    } else if (!state) {
        err_set(e, 404, "trial_not_found", NULL, "study %lld has no trial %d", study_id, number);
    } else if (strcmp(state, "running") != 0) {
        err_set(e, 409, "trial_not_running", NULL, "trial %d is %s", number, state);
    } else if (worker && strcmp(worker, PQgetvalue(r, 0, 2)) != 0) {
        err_set(e, 409, "trial_not_running", NULL, "trial %d is leased to another worker", number);
    } else {
        err_set(e, 409, "bad_state", NULL,
                "the study is %s, so trial %d cannot run again; complete or fail it instead",
                study_state, number);
    }
    PQclear(r);
}

int store_trial_requeue(long long study_id, int number, const char *worker, struct err *e) {
    char sid[ID_LEN], num[ID_LEN];
    fmt_id(sid, study_id);
    fmt_id(num, number);
    const char *p[] = {sid, num, worker};
    /* A study whose time ran out is done even before the maintenance
     * sweep says so; settle that first, so its trials are not requeued. */
    store_study_finish_due(study_id, NULL);
    PGconn *c = store_acquire();
    /* A done study never runs a queued trial again, so its trials are not
     * requeued; requeue_refused says what to do instead. */
    PGresult *r = store_exec(c,
                             "WITH t AS (UPDATE trials SET state = 'queued', worker = NULL,"
                             " lease_deadline = NULL, started_at = NULL, last_step = NULL,"
                             " attempts = greatest(attempts - 1, 0)"
                             " WHERE study_id = $1 AND number = $2 AND state = 'running'"
                             " AND ($3::text IS NULL OR worker = $3)"
                             " AND EXISTS (SELECT 1 FROM studies s WHERE s.id = $1"
                             "   AND s.state <> 'done') RETURNING id),"
                             " d AS (DELETE FROM intermediate_values WHERE trial_id IN"
                             " (SELECT id FROM t))"
                             " SELECT count(*) FROM t",
                             3, p, e);
    int n = r ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (n == 0) requeue_refused(c, study_id, number, worker, e);
    store_release(c);
    if (n <= 0) return -1;
    json_t *ev = json_pack("{s:i, s:s}", "number", number, "state", "queued");
    events_publish_trial(study_id, ev, "trial_requeued");
    json_decref(ev);
    return 0;
}

/* ---- reads ------------------------------------------------------------------ */

static json_t *read_json(const char *sql, int n, const char *const *p, const char *nf,
                         struct err *e) {
    PGconn *c = store_acquire();
    json_t *j = one_json(c, sql, n, p, nf, e);
    store_release(c);
    return j;
}

json_t *store_trial_list(const struct study *s, const struct trial_query *q, struct err *e) {
    char sid[ID_LEN], obj[ID_LEN], limit[ID_LEN], offset[ID_LEN], sort[ID_LEN];
    fmt_id(sid, s->id);
    fmt_id(obj, q->objective + 1);
    fmt_id(limit, q->limit);
    fmt_id(offset, q->offset);
    /* sort key: 0 number asc, 1 best first, 2 worst first, 3 number desc */
    fmt_id(sort, q->sort == 0 && q->is_descending ? 3 : q->sort);
    double sign = s->maximize[q->objective] ? -1.0 : 1.0;
    char sign_s[16];
    snprintf(sign_s, sizeof sign_s, "%g", sign);
    const char *p[] = {sid, q->state, obj, limit, offset, sort, sign_s};
    return read_json(
        "WITH f AS (SELECT * FROM trials WHERE study_id = $1"
        "   AND ($2::text IS NULL OR state = ANY (string_to_array($2, ',')))),"
        " page AS (SELECT * FROM f ORDER BY"
        "   CASE WHEN $6::int = 1 THEN \"values\"[$3::int] * $7::float8"
        "        WHEN $6::int = 2 THEN -\"values\"[$3::int] * $7::float8 END NULLS LAST,"
        "   CASE WHEN $6::int = 3 THEN -number ELSE number END"
        "   LIMIT $4::int OFFSET $5::int)"
        " SELECT json_build_object('trials', coalesce((SELECT json_agg(trial_json(page)"
        "   ORDER BY CASE WHEN $6::int = 1 THEN \"values\"[$3::int] * $7::float8"
        "        WHEN $6::int = 2 THEN -\"values\"[$3::int] * $7::float8 END NULLS LAST,"
        "   CASE WHEN $6::int = 3 THEN -number ELSE number END) FROM page), '[]'::json),"
        "   'total', (SELECT count(*) FROM f), 'limit', $4::int, 'offset', $5::int)",
        7, p, "study_not_found", e);
}

json_t *store_trial_get(long long study_id, int number, struct err *e) {
    char sid[ID_LEN], num[ID_LEN];
    fmt_id(sid, study_id);
    fmt_id(num, number);
    const char *p[] = {sid, num};
    json_t *j =
        read_json("SELECT json_build_array(trial_json(t), coalesce((SELECT"
                  " json_agg(json_build_object('step', step, 'values', array_to_json(\"values\"),"
                  " 'metrics', metrics) ORDER BY step) FROM intermediate_values"
                  " WHERE trial_id = t.id), '[]'::json))"
                  " FROM trials t WHERE t.study_id = $1 AND t.number = $2",
                  2, p, "trial_not_found", e);
    if (!j) {
        if (e && e->http == 404) {
            PGconn *c = store_acquire();
            trial_missing(c, study_id, number, e);
            store_release(c);
        }
        return NULL;
    }
    /* [trial, curve] -> trial with its curve */
    json_t *trial = json_incref(json_array_get(j, 0));
    json_object_set(trial, "curve", json_array_get(j, 1));
    json_decref(j);
    return trial;
}

/* 1 when a is at least as good as b everywhere and better somewhere. */
static int dominates(const double *a, const double *b, const int *maximize, int n) {
    int better = 0;
    for (int i = 0; i < n; i++) {
        double da = maximize[i] ? -a[i] : a[i], db = maximize[i] ? -b[i] : b[i];
        if (da > db) return 0;
        if (da < db) better = 1;
    }
    return better;
}

/* Keep only the non-dominated trials of the (best-first) list. */
static json_t *pareto_front(const struct study *s, json_t *trials) {
    size_t n = json_array_size(trials);
    int m = s->n_objectives;
    double *v = xcalloc(n * (size_t)m + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        json_t *vals = json_object_get(json_array_get(trials, i), "values");
        for (int k = 0; k < m; k++)
            v[i * (size_t)m + (size_t)k] = json_number_value(json_array_get(vals, (size_t)k));
    }
    json_t *front = json_array();
    for (size_t i = 0; i < n; i++) {
        int is_dominated = 0;
        for (size_t j = 0; j < n && !is_dominated; j++) {
            is_dominated =
                j != i && dominates(v + j * (size_t)m, v + i * (size_t)m, s->maximize, m);
        }
        if (!is_dominated) json_array_append(front, json_array_get(trials, i));
    }
    free(v);
    json_decref(trials);
    return front;
}

json_t *store_trial_leaderboard(const struct study *s, int limit, struct err *e) {
    int is_pareto = s->n_objectives > 1;
    /* TODO: the Pareto front is computed over every complete trial in
     * O(n^2) per request; past tens of thousands of complete trials a
     * sort-based front (or caching per study) would be needed. */
    struct trial_query q = {"complete", 0, 1, 0, is_pareto ? 1000000 : limit, 0};
    json_t *list = store_trial_list(s, &q, e);
    if (!list) return NULL;
    json_t *trials = json_incref(json_object_get(list, "trials"));
    json_decref(list);
    if (is_pareto) trials = pareto_front(s, trials);
    while ((int)json_array_size(trials) > limit)
        json_array_remove(trials, json_array_size(trials) - 1);
    return json_pack("{s:o, s:b}", "trials", trials, "pareto", is_pareto);
}

char *store_trial_curves(const struct study *s, int objective, struct err *e) {
    char sid[ID_LEN], obj[ID_LEN];
    fmt_id(sid, s->id);
    fmt_id(obj, objective + 1);
    const char *p[] = {sid, obj};
    /* Built as json, not jsonb, by json_agg over plain rows, with one
     * grouped pass over the curves instead of a lookup per trial: for
     * 10,000 trials of 20 steps the query fell from about 900 ms to about
     * 200 ms, and the dashboard's first chart waits on it. */
    PGconn *c = store_acquire();
    PGresult *r = store_exec(
        c,
        "SELECT '{\"curves\":' || coalesce(json_agg(r ORDER BY r.number), '[]'::json) || '}'"
        " FROM (SELECT t.number,"
        "   t.state,"
        "   c.steps,"
        "   c.vals AS \"values\""
        "   FROM trials t JOIN (SELECT trial_id, array_agg(step ORDER BY step) AS steps,"
        "     array_agg(\"values\"[$2::int] ORDER BY step) AS vals"
        "     FROM intermediate_values WHERE trial_id IN"
        "       (SELECT id FROM trials WHERE study_id = $1)"
        "     GROUP BY trial_id) c ON c.trial_id = t.id"
        "   WHERE t.study_id = $1) r",
        2, p, e);
    store_release(c);
    if (!r) return NULL;
    char *text = xstrdup(PQgetvalue(r, 0, 0)); // an aggregate: always one row
    PQclear(r);
    return text;
}

/* Expired leases: requeue while the study allows retries, else fail. A
 * requeued trial starts its curve afresh. */
/* A lost trial runs again when its study retries lost trials, has
 * attempts left, and is not done (a done study never runs it). */
#define RECLAIM_RETRY                                                                              \
    "(s.definition ->> 'on_lost' = 'retry'"                                                        \
    " AND t.attempts <= (s.definition ->> 'max_retries')::int AND s.state <> 'done')"
static const char *const SQL_RECLAIM =
    "WITH lost AS (UPDATE trials t SET"
    "   state = CASE WHEN " RECLAIM_RETRY " THEN 'queued' ELSE 'failed' END,"
    "   finished_at = CASE WHEN " RECLAIM_RETRY " THEN NULL ELSE now() END,"
    "   error = CASE WHEN " RECLAIM_RETRY " THEN NULL"
    "     ELSE 'lease expired: the worker was lost' END,"
    "   lease_deadline = NULL,"
    "   last_step = CASE WHEN " RECLAIM_RETRY " THEN NULL ELSE t.last_step END,"
    "   started_at = CASE WHEN " RECLAIM_RETRY " THEN NULL ELSE t.started_at END"
    " FROM studies s WHERE s.id = t.study_id AND t.state = 'running'"
    "   AND (t.lease_deadline < now() OR starts_with(t.worker, $1))"
    " RETURNING t.id, t.study_id, t.number, t.state),"
    " wipe AS (DELETE FROM intermediate_values WHERE trial_id IN"
    "   (SELECT id FROM lost WHERE state = 'queued'))"
    " SELECT study_id, number, state FROM lost";

int store_trial_reclaim(const char *worker_prefix, struct err *e) {
    const char *p[] = {worker_prefix};
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c, SQL_RECLAIM, 1, p, e);
    store_release(c);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        log_warn("store", "lease_expired", "study=%s trial=%s state=%s", PQgetvalue(r, i, 0),
                 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
        json_t *ev = json_pack("{s:i, s:s}", "number", atoi(PQgetvalue(r, i, 1)), "state",
                               PQgetvalue(r, i, 2));
        events_publish_trial(atoll(PQgetvalue(r, i, 0)), ev, "trial_lease_expired");
        json_decref(ev);
    }
    PQclear(r);
    metrics_add(METRIC_LEASE_EXPIRIES, n);
    return n;
}
