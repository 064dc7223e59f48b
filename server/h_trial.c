/* h_trial: handlers of the trial resource. Each loads the study (by id or
 * name), validates with codec_trial, calls store_trial, and replies once.
 * SPDX-License-Identifier: MIT */
#include "h_trial.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec_study.h"
#include "codec_trial.h"
#include "metrics.h"
#include "store_study.h"
#include "store_trial.h"

/* What every trial handler starts with: the study, the trial number when
 * the route has one, and the body when the method has one. */
enum body_rule { BODY_NONE, BODY_REQUIRED, BODY_OPTIONAL };

struct call {
    struct err e;
    struct study s;
    int number;
    json_t *body;
};

static int call_begin(struct req *r, struct call *c, int has_number, enum body_rule body) {
    memset(c, 0, sizeof *c);
    err_clear(&c->e);
    int wants_body = body == BODY_REQUIRED || (body == BODY_OPTIONAL && r->body_len > 0);
    if (wants_body && !(c->body = http_body_object(r, &c->e))) return -1;
    if (store_study_load(r->captures[0], &c->s, &c->e) != 0) return -1;
    if (has_number) return codec_trial_number(r->captures[1], &c->number, &c->e);
    return 0;
}

static void call_end(struct req *r, struct call *c, int status, json_t *out) {
    http_reply_result(r, status, out, &c->e);
    store_study_release(&c->s);
    json_decref(c->body);
}

void h_trial_enqueue(struct req *r) {
    struct call c;
    json_t *out = NULL;
    const json_t *params;
    double values[STUDY_MAX_OBJECTIVES];
    int has_values;
    if (call_begin(r, &c, 0, BODY_REQUIRED) == 0 &&
        codec_trial_enqueue(c.body, &c.s, &params, values, &has_values, &c.e) == 0) {
        out = store_trial_enqueue(&c.s, params, has_values ? values : NULL, &c.e);
    }
    call_end(r, &c, 201, out);
}

static int parse_list_query(struct req *r, const struct study *s, struct trial_query *q,
                            struct err *e) {
    static const char *const states[] = {"queued", "running", "complete", "pruned", "failed"};
    memset(q, 0, sizeof *q);
    q->state = http_query(r, "state");
    /* Every comma-separated item must be a state: "" and "complete,"
     * hold an empty one. */
    for (const char *p = q->state; p;) {
        size_t len = strcspn(p, ",");
        int ok = 0;
        for (size_t i = 0; i < 5; i++)
            ok |= strlen(states[i]) == len && !strncmp(p, states[i], len);
        if (!ok) {
            return err_set(e, 400, "bad_query", "state",
                           "state must be a comma-separated list of queued, running, complete, "
                           "pruned, failed");
        }
        p = p[len] == ',' ? p + len + 1 : NULL;
    }
    const char *sort = http_query(r, "sort");
    if (!sort || !strcmp(sort, "number"))
        q->sort = 0;
    else if (!strcmp(sort, "-number"))
        q->is_descending = 1;
    else if (!strcmp(sort, "best"))
        q->sort = 1;
    else if (!strcmp(sort, "worst"))
        q->sort = 2;
    else
        return err_set(e, 400, "bad_query", "sort", "sort must be number, -number, best or worst");
    const char *obj = http_query(r, "objective");
    q->objective = obj ? codec_study_objective(s, obj) : 0;
    if (q->objective < 0) {
        return err_set(e, 400, "bad_query", "objective", "objective must name an objective");
    }
    if (codec_trial_query_int(http_query(r, "limit"), "limit", 1, 10000, 100, &q->limit, e)) {
        return -1;
    }
    return codec_trial_query_int(http_query(r, "offset"), "offset", 0, 100000000, 0, &q->offset, e);
}

void h_trial_list(struct req *r) {
    struct call c;
    json_t *out = NULL;
    struct trial_query q;
    if (call_begin(r, &c, 0, BODY_NONE) == 0 && parse_list_query(r, &c.s, &q, &c.e) == 0) {
        out = store_trial_list(&c.s, &q, &c.e);
    }
    call_end(r, &c, 200, out);
}

void h_trial_get(struct req *r) {
    struct call c;
    json_t *out = NULL;
    if (call_begin(r, &c, 1, BODY_NONE) == 0) out = store_trial_get(c.s.id, c.number, &c.e);
    call_end(r, &c, 200, out);
}

/* Curves arrive as JSON text built by PostgreSQL and go out unchanged. */
void h_trial_curves(struct req *r) {
    struct call c;
    char *text = NULL;
    if (call_begin(r, &c, 0, BODY_NONE) == 0) {
        const char *obj = http_query(r, "objective");
        int k = obj ? codec_study_objective(&c.s, obj) : 0;
        if (k < 0)
            err_set(&c.e, 400, "bad_query", "objective", "objective must name an objective");
        else
            text = store_trial_curves(&c.s, k, &c.e);
    }
    if (text)
        http_reply_text(r, 200, "application/json", text, strlen(text));
    else
        http_reply_error(r, &c.e);
    store_study_release(&c.s);
    json_decref(c.body);
    free(text);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void h_trial_ask(struct req *r) {
    double t0 = now_s();
    struct call c;
    json_t *out = NULL;
    const char *worker;
    int count;
    if (call_begin(r, &c, 0, BODY_REQUIRED) == 0 &&
        codec_trial_ask(c.body, &worker, &count, &c.e) == 0) {
        out = store_trial_ask(&c.s, worker, count, &c.e);
    }
    call_end(r, &c, 200, out);
    metrics_add(METRIC_ASKS, 1);
    metrics_observe_ask(now_s() - t0);
}

void h_trial_report(struct req *r) {
    struct call c;
    json_t *out = NULL;
    struct trial_report rep;
    struct trial_ref t = {&c.s, 0, NULL};
    if (call_begin(r, &c, 1, BODY_REQUIRED) == 0 &&
        codec_trial_report(c.body, &c.s, &rep, &t.worker, &c.e) == 0) {
        t.number = c.number;
        out = store_trial_report(&t, &rep, &c.e);
    }
    call_end(r, &c, 200, out);
}

void h_trial_heartbeat(struct req *r) {
    struct call c;
    json_t *out = NULL;
    struct trial_ref t = {&c.s, 0, NULL};
    if (call_begin(r, &c, 1, BODY_OPTIONAL) == 0 &&
        codec_trial_holder(c.body, &t.worker, &c.e) == 0) {
        t.number = c.number;
        out = store_trial_heartbeat(&t, &c.e);
    }
    call_end(r, &c, 200, out);
}

void h_trial_complete(struct req *r) {
    struct call c;
    json_t *out = NULL;
    double values[STUDY_MAX_OBJECTIVES];
    struct trial_ref t = {&c.s, 0, NULL};
    if (call_begin(r, &c, 1, BODY_REQUIRED) == 0 &&
        codec_trial_complete(c.body, &c.s, values, &t.worker, &c.e) == 0) {
        t.number = c.number;
        out = store_trial_complete(&t, values, &c.e);
    }
    if (out) metrics_add(METRIC_COMPLETES, 1);
    call_end(r, &c, 200, out);
}

void h_trial_fail(struct req *r) {
    struct call c;
    json_t *out = NULL;
    const char *reason, *tail;
    struct trial_ref t = {&c.s, 0, NULL};
    if (call_begin(r, &c, 1, BODY_REQUIRED) == 0 &&
        codec_trial_fail(c.body, &reason, &tail, &t.worker, &c.e) == 0) {
        t.number = c.number;
        out = store_trial_fail(&t, reason, tail, &c.e);
    }
    call_end(r, &c, 200, out);
}

void h_trial_release(struct req *r) {
    struct call c;
    json_t *out = NULL;
    const char *worker = NULL;
    if (call_begin(r, &c, 1, BODY_OPTIONAL) == 0 &&
        codec_trial_holder(c.body, &worker, &c.e) == 0 &&
        store_trial_requeue(c.s.id, c.number, worker, &c.e) == 0) {
        out = store_trial_get(c.s.id, c.number, &c.e);
    }
    call_end(r, &c, 200, out);
}
