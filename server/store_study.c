/* store_study: study rows. The JSON returned to clients is built by the
 * SQL function study_json (migrations), so every route shows one shape.
 * SPDX-License-Identifier: MIT */
#include "store_study.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "store.h"

/* Run one statement on a borrowed connection and return its first cell
 * parsed as JSON (new reference), or NULL: a query error fills e, an empty
 * result fills e with 404 study_not_found. */
static json_t *json_cell(const char *sql, int n, const char *const *params, struct err *e) {
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c, sql, n, params, e);
    store_release(c);
    if (!r) return NULL;
    json_t *j = NULL;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        j = json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, NULL);
    } else {
        err_set(e, 404, "study_not_found", NULL, "no such study");
    }
    PQclear(r);
    return j;
}

static int is_digits(const char *s) {
    if (!*s || strlen(s) > 18) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
    }
    return 1;
}

static const char *key_column(const char *key) {
    return is_digits(key) ? "id = $1::bigint" : "name = $1";
}

/* 404 for a key that no study can have. Such a key (text that is not
 * UTF-8, say) is not sent to the database, which would refuse it with an
 * error. */
static int check_key(const char *key, struct err *e) {
    if (codec_study_key_ok(key)) return 0;
    return err_set(e, 404, "study_not_found", NULL, "no such study");
}

json_t *store_study_create(const struct study *s, struct err *e) {
    char *def = json_dumps(s->def, JSON_COMPACT);
    char n_obj[8];
    snprintf(n_obj, sizeof n_obj, "%d", s->n_objectives);
    const char *params[] = {s->name, def, n_obj};
    json_t *j = json_cell("INSERT INTO studies (name, definition, n_objectives)"
                          " VALUES ($1, $2::json, $3::int) RETURNING study_json(studies)",
                          3, params, e);
    free(def);
    if (!j && e && e->http == 409) {
        err_set(e, 409, "study_exists", "name", "a study named \"%s\" already exists", s->name);
    }
    if (j) events_publish_study(json_integer_value(json_object_get(j, "id")), "study_created");
    return j;
}

json_t *store_study_get(const char *key, struct err *e) {
    if (check_key(key, e) != 0) return NULL;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT study_json(s) FROM studies s WHERE %s", key_column(key));
    const char *params[] = {key};
    return json_cell(sql, 1, params, e);
}

int store_study_id(const char *key, long long *id, struct err *e) {
    if (check_key(key, e) != 0) return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT to_json(id) FROM studies WHERE %s", key_column(key));
    const char *params[] = {key};
    json_t *j = json_cell(sql, 1, params, e);
    if (!j) return -1;
    *id = json_integer_value(j);
    json_decref(j);
    return 0;
}

json_t *store_study_list(const char *state, struct err *e) {
    const char *params[] = {state};
    json_t *list = json_cell("SELECT coalesce(json_agg(study_json(s) ORDER BY s.id DESC),"
                             " '[]'::json) FROM studies s"
                             " WHERE $1::text IS NULL OR s.state = $1",
                             1, params, e);
    return list ? json_pack("{s:o}", "studies", list) : NULL;
}

int store_study_delete(long long id, struct err *e) {
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *params[] = {ids};
    json_t *j =
        json_cell("DELETE FROM studies WHERE id = $1::bigint RETURNING to_json(id)", 1, params, e);
    if (!j) return -1;
    json_decref(j);
    events_publish_study(id, "study_deleted");
    return 0;
}

static json_t *transition(long long id, const char *sql, const char *event, struct err *e) {
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *params[] = {ids};
    json_t *j = json_cell(sql, 1, params, e);
    if (j) {
        events_publish_study(id, event);
        return j;
    }
    if (e && e->http == 404) {
        /* The study exists but is not in the state the change needs. */
        json_t *cur =
            json_cell("SELECT to_json(state) FROM studies WHERE id = $1::bigint", 1, params, e);
        if (!cur) return NULL;
        err_set(e, 409, "bad_state", NULL, "the study is %s", json_string_value(cur));
        json_decref(cur);
    }
    return NULL;
}

json_t *store_study_stop(long long id, struct err *e) {
    return transition(id,
                      "UPDATE studies SET state = 'stopped', end_reason = NULL,"
                      " active_s = active_s + extract(epoch FROM now() - started_at)"
                      " WHERE id = $1::bigint AND state = 'running'"
                      " RETURNING study_json(studies)",
                      "study_stopped", e);
}

json_t *store_study_resume(long long id, struct err *e) {
    return transition(id,
                      "UPDATE studies SET state = 'running', started_at = now()"
                      " WHERE id = $1::bigint AND state = 'stopped'"
                      " RETURNING study_json(studies)",
                      "study_resumed", e);
}

/* Parsed definitions by study id. A definition never changes and ids are
 * never reused, so an entry stays right for as long as it exists; it
 * saves a query and a parse on every trial call. Entries in use (n_users)
 * are never evicted. */
#define STUDY_CACHE 128

static struct {
    long long id;
    struct study s;
    int n_users;
    unsigned long last_use;
} cache[STUDY_CACHE];
static unsigned long cache_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Under cache_lock: a copy of id's entry in *s, or 0 when absent. */
static int cache_get(long long id, struct study *s) {
    for (int i = 0; i < STUDY_CACHE; i++) {
        if (cache[i].id != id) continue;
        cache[i].n_users++;
        cache[i].last_use = ++cache_clock;
        *s = cache[i].s;
        s->cache_slot = i + 1;
        return 1;
    }
    return 0;
}

/* Under cache_lock: move *s into a free or idle slot, keeping a copy in
 * *s that borrows from it; nothing happens when every slot is busy. */
static void cache_put(struct study *s) {
    int victim = -1;
    for (int i = 0; i < STUDY_CACHE; i++) {
        if (cache[i].n_users) continue;
        if (victim < 0 || cache[i].last_use < cache[victim].last_use) victim = i;
    }
    if (victim < 0) return;
    codec_study_cleanup(&cache[victim].s);
    cache[victim].id = s->id;
    cache[victim].s = *s;
    cache[victim].n_users = 1;
    cache[victim].last_use = ++cache_clock;
    s->cache_slot = victim + 1;
}

static int load_from_db(const char *key, struct study *s, struct err *e) {
    if (check_key(key, e) != 0) return -1;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT json_build_array(id, definition) FROM studies WHERE %s",
             key_column(key));
    const char *params[] = {key};
    json_t *row = json_cell(sql, 1, params, e);
    if (!row) return -1;
    int rc =
        codec_study_load(json_integer_value(json_array_get(row, 0)), json_array_get(row, 1), s, e);
    json_decref(row);
    return rc;
}

int store_study_load(const char *key, struct study *s, struct err *e) {
    memset(s, 0, sizeof *s);
    int is_hit = 0;
    if (is_digits(key)) {
        pthread_mutex_lock(&cache_lock);
        is_hit = cache_get(atoll(key), s);
        pthread_mutex_unlock(&cache_lock);
    }
    if (is_hit) return 0;
    if (load_from_db(key, s, e) != 0) return -1;
    pthread_mutex_lock(&cache_lock);
    cache_put(s);
    pthread_mutex_unlock(&cache_lock);
    return 0;
}

void store_study_release(struct study *s) {
    if (!s) return;
    if (!s->cache_slot) {
        codec_study_cleanup(s);
        return;
    }
    pthread_mutex_lock(&cache_lock);
    cache[s->cache_slot - 1].n_users--;
    pthread_mutex_unlock(&cache_lock);
    memset(s, 0, sizeof *s);
}

/* Trial numbers are dense, so the finished trials are next_number minus
 * the open ones, which the (study_id, state) index counts cheaply.
 * A study is done when max_trials trials have finished, when its searcher
 * is exhausted and no trial is open, or when its timeout has passed
 * (running trials may still complete afterwards). */
static const char *const SQL_FINISH =
    "UPDATE studies s SET state = 'done', finished_at = now(),"
    " active_s = active_s + extract(epoch FROM now() - started_at),"
    " end_reason = CASE WHEN f.n >= (s.definition #>> '{budget,max_trials}')::int"
    "   THEN 'max_trials' WHEN s.is_exhausted AND f.n_open = 0 THEN 'exhausted'"
    "   ELSE 'timeout' END"
    " FROM (SELECT s2.id, s2.next_number - o.n_open AS n, o.n_open"
    "   FROM studies s2, LATERAL (SELECT count(*) AS n_open FROM trials t"
    "     WHERE t.study_id = s2.id AND t.state IN ('queued', 'running')) o"
    "   WHERE s2.state = 'running' AND ($1::bigint = 0 OR s2.id = $1::bigint)) f"
    " WHERE s.id = f.id AND s.state = 'running'"
    "   AND (f.n >= (s.definition #>> '{budget,max_trials}')::int"
    "   OR (s.is_exhausted AND f.n_open = 0)"
    "   OR (coalesce((s.definition #>> '{budget,timeout_s}')::float8, 0) > 0"
    "   AND s.active_s + extract(epoch FROM now() - s.started_at)"
    "       >= (s.definition #>> '{budget,timeout_s}')::float8))"
    " RETURNING s.id";

int store_study_finish_due(long long study_id, struct err *e) {
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", study_id);
    const char *params[] = {ids};
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c, SQL_FINISH, 1, params, e);
    store_release(c);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) events_publish_study(atoll(PQgetvalue(r, i, 0)), "study_done");
    PQclear(r);
    return n;
}

int store_study_runnable(long long *ids, int max, struct err *e) {
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c,
                             "SELECT id FROM studies WHERE state = 'running'"
                             " AND definition #>> '{trainer,kind}' IN ('native', 'command')"
                             " ORDER BY id",
                             0, NULL, e);
    store_release(c);
    if (!r) return -1;
    int n = PQntuples(r) < max ? PQntuples(r) : max;
    for (int i = 0; i < n; i++) ids[i] = atoll(PQgetvalue(r, i, 0));
    PQclear(r);
    return n;
}

int store_study_state(long long id, char *buf, size_t n, struct err *e) {
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *params[] = {ids};
    json_t *j = json_cell("SELECT to_json(state) FROM studies WHERE id = $1::bigint", 1, params, e);
    if (!j) return -1;
    snprintf(buf, n, "%s", json_string_value(j));
    json_decref(j);
    return 0;
}
