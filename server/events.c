/* events: a ring of the last EVENTS_RING events under one mutex, with
 * condition variables that wake readers. It lives in memory only.
 * An event's JSON is built only while some event stream is open: with
 * none, publishing costs one atomic load and a slot write. The webhook
 * reads only the notable events (study done, and trials completed in
 * studies with a webhook), through a condition variable of their own and
 * without JSON, so the other events never wake it.
 * TODO: events published by another server process sharing the database
 * do not reach this server's streams; relaying them with PostgreSQL
 * LISTEN/NOTIFY would make the live view complete with several replicas
 * (trials still show on the next page load).
 * SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "mem.h"

/* Enough for a few seconds of a busy study; a reader that falls further
 * behind loses the oldest events, never blocks publishers. */
#define EVENTS_RING 4096

struct event {
    uint64_t seq;
    long long study_id;
    int trial_number; /* -1 for study events */
    int is_notable;
    int is_study_done;
    char *json; /* NULL when no stream was open at publication */
};

static struct event ring[EVENTS_RING];
static uint64_t head_seq;
static int is_closed;
static atomic_int n_streams;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static pthread_cond_t notable_arrived = PTHREAD_COND_INITIALIZER;

/* The event is serialised before the lock is taken; under it, only its
 * sequence number is written in and the slot swapped, so publishers on
 * many request threads do not queue behind each other's JSON. trial is
 * borrowed and may be NULL. */
static void publish(long long study_id, const char *type, const json_t *trial, int is_notable) {
    char *body = NULL;
    if (atomic_load(&n_streams) > 0) {
        json_t *ev = json_pack("{s:s, s:I}", "type", type, "study", (json_int_t)study_id);
        /* trial is only read: json_object_set (not _new) takes a reference. */
        if (trial) json_object_set(ev, "trial", (json_t *)trial);
        body = jsonout_dumps(ev, JSON_COMPACT);
        json_decref(ev);
    }
    int number = trial ? (int)json_integer_value(json_object_get(trial, "number")) : -1;

    pthread_mutex_lock(&lock);
    uint64_t seq = ++head_seq;
    struct event *slot = &ring[seq % EVENTS_RING];
    char *old = slot->json;
    /* body is a non-empty object: "{...}"; put "seq" first. */
    slot->json = body ? xasprintf("{\"seq\":%llu,%s", (unsigned long long)seq, body + 1) : NULL;
    slot->seq = seq;
    slot->study_id = study_id;
    slot->trial_number = number;
    slot->is_notable = is_notable;
    slot->is_study_done = !strcmp(type, "study_done");
    if (body) pthread_cond_broadcast(&arrived);
    if (is_notable) pthread_cond_broadcast(&notable_arrived);
    pthread_mutex_unlock(&lock);
    free(old);
    free(body);
}

void events_publish_study(long long study_id, const char *type) {
    publish(study_id, type, NULL, !strcmp(type, "study_done"));
}

void events_publish_trial(long long study_id, const json_t *trial, const char *type) {
    publish(study_id, type, trial, 0);
}

void events_publish_trial_notify(long long study_id, const json_t *trial, const char *type) {
    publish(study_id, type, trial, 1);
}

uint64_t events_head(void) {
    pthread_mutex_lock(&lock);
    uint64_t h = head_seq;
    pthread_mutex_unlock(&lock);
    return h;
}

uint64_t events_stream_open(void) {
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&n_streams, 1);
    uint64_t h = head_seq;
    pthread_mutex_unlock(&lock);
    return h;
}

void events_stream_close(void) {
    atomic_fetch_sub(&n_streams, 1);
}

/* Under the lock: skip what a reader at *cursor lost to the ring. */
static void catch_up(uint64_t *cursor) {
    if (*cursor + EVENTS_RING < head_seq) *cursor = head_seq - EVENTS_RING;
}

/* Under the lock: the next matching event after *cursor, or NULL. Events
 * published before any stream was open have no JSON and are skipped. */
static char *scan(long long study_id, uint64_t *cursor) {
    catch_up(cursor);
    while (*cursor < head_seq) {
        struct event *ev = &ring[++*cursor % EVENTS_RING];
        if (!ev->json) continue;
        if (study_id == 0 || ev->study_id == study_id) return xstrdup(ev->json);
    }
    return NULL;
}

/* Under the lock: the next notable event after *cursor, or 0. */
static int scan_notable(uint64_t *cursor, struct events_note *out) {
    catch_up(cursor);
    while (*cursor < head_seq) {
        struct event *ev = &ring[++*cursor % EVENTS_RING];
        if (!ev->is_notable) continue;
        *out = (struct events_note){ev->study_id, ev->trial_number, ev->is_study_done};
        return 1;
    }
    return 0;
}

static struct timespec deadline_in(int timeout_ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

char *events_next(long long study_id, uint64_t *cursor, int timeout_ms) {
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&lock);
    char *out = scan(study_id, cursor);
    while (!out && !is_closed) {
        if (pthread_cond_timedwait(&arrived, &lock, &until) == ETIMEDOUT) break;
        out = scan(study_id, cursor);
    }
    pthread_mutex_unlock(&lock);
    return out;
}

int events_next_notable(uint64_t *cursor, int timeout_ms, struct events_note *out) {
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&lock);
    int found = scan_notable(cursor, out);
    while (!found && !is_closed) {
        if (pthread_cond_timedwait(&notable_arrived, &lock, &until) == ETIMEDOUT) break;
        found = scan_notable(cursor, out);
    }
    pthread_mutex_unlock(&lock);
    return found;
}

void events_close(void) {
    pthread_mutex_lock(&lock);
    is_closed = 1;
    pthread_cond_broadcast(&arrived);
    pthread_cond_broadcast(&notable_arrived);
    pthread_mutex_unlock(&lock);
}

int events_is_closed(void) {
    pthread_mutex_lock(&lock);
    int c = is_closed;
    pthread_mutex_unlock(&lock);
    return c;
}
