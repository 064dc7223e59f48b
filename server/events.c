/* events: a ring of the last EVENTS_RING events under one mutex, with a
 * condition variable that wakes stream readers. It lives in memory only.
 * TODO: events published by another server process sharing the database
 * do not reach this server's streams; relaying them with PostgreSQL
 * LISTEN/NOTIFY would make the live view complete with several replicas
 * (trials still show on the next page load).
 * SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"

/* Enough for a few seconds of a busy study; a reader that falls further
 * behind loses the oldest events, never blocks publishers. */
#define EVENTS_RING 4096

struct event {
    uint64_t seq;
    long long study_id;
    char *json;
};

static struct event ring[EVENTS_RING];
static uint64_t head_seq;
static int is_closed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;

/* The event is serialised before the lock is taken; under it, only its
 * sequence number is written in and the slot swapped, so publishers on
 * many request threads do not queue behind each other's JSON. */
static void publish(long long study_id, json_t *ev) {
    char *body = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(16));
    json_decref(ev);
    pthread_mutex_lock(&lock);
    uint64_t seq = ++head_seq;
    struct event *slot = &ring[seq % EVENTS_RING];
    char *old = slot->json;
    /* body is a non-empty object: "{...}"; put "seq" first. */
    slot->json = xasprintf("{\"seq\":%llu,%s", (unsigned long long)seq, body + 1);
    slot->seq = seq;
    slot->study_id = study_id;
    pthread_cond_broadcast(&arrived);
    pthread_mutex_unlock(&lock);
    free(old);
    free(body);
}

void events_publish_study(long long study_id, const char *type) {
    publish(study_id, json_pack("{s:s, s:I}", "type", type, "study", (json_int_t)study_id));
}

void events_publish_trial(long long study_id, const json_t *trial, const char *type) {
    publish(study_id, json_pack("{s:s, s:I, s:O}", "type", type, "study", (json_int_t)study_id,
                                "trial", trial));
}

uint64_t events_head(void) {
    pthread_mutex_lock(&lock);
    uint64_t h = head_seq;
    pthread_mutex_unlock(&lock);
    return h;
}

/* Under the lock: the next matching event after *cursor, or NULL. */
static char *scan(long long study_id, uint64_t *cursor) {
    if (*cursor + EVENTS_RING < head_seq) *cursor = head_seq - EVENTS_RING;
    while (*cursor < head_seq) {
        struct event *ev = &ring[++*cursor % EVENTS_RING];
        if (study_id == 0 || ev->study_id == study_id) return xstrdup(ev->json);
    }
    return NULL;
}

char *events_next(long long study_id, uint64_t *cursor, int timeout_ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lock);
    char *out = scan(study_id, cursor);
    while (!out && !is_closed) {
        if (pthread_cond_timedwait(&arrived, &lock, &until) == ETIMEDOUT) break;
        out = scan(study_id, cursor);
    }
    pthread_mutex_unlock(&lock);
    return out;
}

void events_close(void) {
    pthread_mutex_lock(&lock);
    is_closed = 1;
    pthread_cond_broadcast(&arrived);
    pthread_mutex_unlock(&lock);
}

int events_is_closed(void) {
    pthread_mutex_lock(&lock);
    int c = is_closed;
    pthread_mutex_unlock(&lock);
    return c;
}
