/* h_study: handlers of the study resource. {id} accepts a study's id or
 * its name. Each handler ends in exactly one reply.
 * SPDX-License-Identifier: MIT */
#include "h_study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_study.h"
#include "codec_trial.h"
#include "events.h"
#include "mem.h"
#include "store_study.h"
#include "store_trial.h"
#include "trialcmd.h"

static const char *train_bin = "hpod-train";

void h_study_init(const char *path) {
    train_bin = path;
}

void h_study_create(struct req *r) {
    struct err e;
    err_clear(&e);
    struct study s = {0};
    json_t *out = NULL;
    json_t *body = http_body_object(r, &e);
    if (body && codec_study_parse(body, &s, &e) == 0 && trialcmd_check(&s, train_bin, &e) == 0) {
        out = store_study_create(&s, &e);
    }
    http_reply_result(r, 201, out, &e);
    codec_study_cleanup(&s);
    json_decref(body);
}

void h_study_list(struct req *r) {
    struct err e;
    err_clear(&e);
    const char *state = http_query(r, "state");
    json_t *out = NULL;
    if (state && strcmp(state, "running") && strcmp(state, "stopped") && strcmp(state, "done")) {
        err_set(&e, 400, "bad_query", "state", "state must be running, stopped or done");
    } else {
        out = store_study_list(state, &e);
    }
    http_reply_result(r, 200, out, &e);
}

void h_study_get(struct req *r) {
    struct err e;
    err_clear(&e);
    json_t *out = store_study_get(r->captures[0], &e);
    http_reply_result(r, 200, out, &e);
}

void h_study_delete(struct req *r) {
    struct err e;
    err_clear(&e);
    long long id;
    json_t *out = NULL;
    if (store_study_id(r->captures[0], &id, &e) == 0 && store_study_delete(id, &e) == 0) {
        out = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
    }
    http_reply_result(r, 200, out, &e);
}

static void change_state(struct req *r, json_t *(*fn)(long long, struct err *)) {
    struct err e;
    err_clear(&e);
    long long id;
    json_t *out = NULL;
    if (store_study_id(r->captures[0], &id, &e) == 0) out = fn(id, &e);
    http_reply_result(r, 200, out, &e);
}

void h_study_stop(struct req *r) {
    change_state(r, store_study_stop);
}

void h_study_resume(struct req *r) {
    change_state(r, store_study_resume);
}

void h_study_leaderboard(struct req *r) {
    struct err e;
    err_clear(&e);
    struct study s = {0};
    json_t *out = NULL;
    int limit;
    if (codec_trial_query_int(http_query(r, "limit"), "limit", 1, 10000, 10, &limit, &e) == 0 &&
        store_study_load(r->captures[0], &s, &e) == 0) {
        out = store_trial_leaderboard(&s, limit, &e);
    }
    http_reply_result(r, 200, out, &e);
    store_study_release(&s);
}

/* Server-sent events: one "data:" block per event, a comment line every
 * EVENTS_PING_MS so proxies and clients see the stream alive. */
#define EVENTS_PING_MS 10000

struct stream {
    long long study_id;
    uint64_t cursor;
    int is_gone; /* the study's deletion went out: the stream ends */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct stream *st = cls;
    /* End of stream: the server stops, or the study no longer exists. */
    if (events_is_closed() || st->is_gone) return -1;
    char *ev = events_next(st->study_id, &st->cursor, EVENTS_PING_MS);
    int n;
    if (ev) {
        st->is_gone = strstr(ev, "\"type\":\"study_deleted\"") != NULL;
        n = snprintf(buf, max, "id: %llu\ndata: %s\n\n", (unsigned long long)st->cursor, ev);
        free(ev);
    } else {
        n = snprintf(buf, max, ": ping\n\n");
    }
    /* An event larger than the buffer is cut; its JSON would be broken,
     * so send a ping instead and let the client reload. */
    if (n < 0 || (size_t)n >= max) n = snprintf(buf, max, ": skipped\n\n");
    return n;
}

static void stream_free(void *cls) {
    events_stream_close();
    free(cls);
}

void h_study_events(struct req *r) {
    struct err e;
    err_clear(&e);
    long long id;
    if (store_study_id(r->captures[0], &id, &e) != 0) {
        http_reply_error(r, &e);
        return;
    }
    struct stream *st = xcalloc(1, sizeof *st);
    st->study_id = id;
    st->cursor = events_stream_open();
    http_reply_stream(r, "text/event-stream", stream_read, st, stream_free);
}
