/* worker: slot threads that each lease one trial at a time from a remote
 * server and run it with runner.c. A lost server is retried with
 * exponential back-off (1 s doubling to WORKER_BACKOFF_MAX_S); results
 * are retried the same way so that a restarting server loses none. A
 * server that refuses the worker itself (its token, its name) ends it.
 * SPDX-License-Identifier: MIT */
#include "worker.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "runner.h"
#include "trialcmd.h"

#define WORKER_BACKOFF_MAX_S 30
#define WORKER_IDLE_S 1

static atomic_int is_halting;
static atomic_int is_refused; // the server refused a call for good
static atomic_uint study_cursor;

struct slot {
    const struct worker_cfg *cfg;
    struct client *cl;
    char name[200];
    const struct study *s;
    int number;
};

static void sleep_s(int s) {
    for (int i = 0; i < s * 10 && !atomic_load(&is_halting); i++) usleep(100000);
}

/* POST to a trial route, retrying while the server is unreachable or
 * failing (5xx). Returns the status (or -1 when halting). */
static int trial_post(struct slot *sl, const char *action, const json_t *body, json_t **out,
                      struct err *e) {
    char path[160];
    snprintf(path, sizeof path, "/api/v1/studies/%lld/trials/%d/%s", sl->s->id, sl->number, action);
    for (int backoff = 1;;
         backoff = backoff * 2 > WORKER_BACKOFF_MAX_S ? WORKER_BACKOFF_MAX_S : backoff * 2) {
        int status = client_call(sl->cl, "POST", path, body, out, e);
        if (status > 0 && status < 500) return status;
        log_warn("worker", "retry", "study=%lld trial=%d action=%s status=%d", sl->s->id,
                 sl->number, action, status);
        if (atomic_load(&is_halting) && strcmp(action, "release") != 0) return -1;
        sleep(backoff > 0 ? (unsigned)backoff : 1);
        if (atomic_load(&is_halting) && backoff >= 4) return -1;
    }
}

static json_t *values_json(const double *v, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

static int on_report(void *arg, const struct trial_report *rep) {
    struct slot *sl = arg;
    json_t *body = json_pack("{s:i, s:o, s:s}", "step", rep->step, "values",
                             values_json(rep->values, rep->n_values), "worker", sl->name);
    if (rep->metrics) {
        json_t *m = json_deep_copy(rep->metrics);
        json_object_del(m, "final");
        json_object_set_new(body, "metrics", m);
    }
    json_t *out = NULL;
    struct err e;
    err_clear(&e);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/studies/%lld/trials/%d/report", sl->s->id, sl->number);
    int status = client_call(sl->cl, "POST", path, body, &out, &e);
    json_decref(body);
    /* As in sched.c: only 404 and a 409 other than step_conflict mean the
     * trial is no longer ours; a refused line is skipped. */
    int verdict = RUNNER_GO_ON;
    if (status == 200) {
        verdict = json_is_true(json_object_get(out, "should_stop")) ? RUNNER_STOP : RUNNER_GO_ON;
    } else if (status == 404 || (status == 409 && strcmp(e.code, "step_conflict") != 0)) {
        verdict = RUNNER_GONE;
    }
    json_decref(out);
    return verdict;
}

static int on_heartbeat(void *arg) {
    struct slot *sl = arg;
    if (atomic_load(&is_halting)) return RUNNER_HALT;
    char path[160];
    snprintf(path, sizeof path, "/api/v1/studies/%lld", sl->s->id);
    json_t *out = NULL;
    struct err e;
    err_clear(&e);
    int status = client_call(sl->cl, "GET", path, NULL, &out, &e);
    const char *state = json_string_value(json_object_get(out, "state"));
    int is_stopped = state && !strcmp(state, "stopped");
    json_decref(out);
    if (status == 404) return RUNNER_GONE;
    if (is_stopped) return RUNNER_HALT;
    snprintf(path, sizeof path, "/api/v1/studies/%lld/trials/%d/heartbeat", sl->s->id, sl->number);
    json_t *body = json_pack("{s:s}", "worker", sl->name);
    status = client_call(sl->cl, "POST", path, body, &out, &e);
    json_decref(body);
    json_decref(out);
    return status >= 400 && status < 500 ? RUNNER_GONE : RUNNER_GO_ON;
}

static void record(struct slot *sl, const struct runner_result *res) {
    json_t *body = NULL, *out = NULL;
    struct err e;
    err_clear(&e);
    const char *action = NULL;
    switch (res->outcome) {
    case RUN_COMPLETE:
        action = "complete";
        body = json_pack("{s:o, s:s}", "values", values_json(res->values, sl->s->n_objectives),
                         "worker", sl->name);
        break;
    case RUN_FAILED:
        action = "fail";
        body = json_pack("{s:s, s:s, s:s}", "reason", res->reason, "stderr_tail", res->stderr_tail,
                         "worker", sl->name);
        break;
    case RUN_HALTED:
        action = "release";
        body = json_pack("{s:s}", "worker", sl->name);
        break;
    case RUN_PRUNED:
    case RUN_GONE: break;
    }
    int status = action ? trial_post(sl, action, body, &out, &e) : 0;
    log_info("worker", "trial_end", "study=%lld trial=%d outcome=%d status=%d", sl->s->id,
             sl->number, (int)res->outcome, status);
    json_decref(body);
    json_decref(out);
}

static void run_one(struct slot *sl, const struct study *s, const json_t *trial) {
    sl->s = s;
    sl->number = (int)json_integer_value(json_object_get(trial, "number"));
    int threads = sl->cfg->n_cores / (sl->cfg->n_slots > 0 ? sl->cfg->n_slots : 1);
    struct trialcmd_in in = {s, json_object_get(trial, "params"), sl->number,
                             threads > 0 ? threads : 1, sl->cfg->train_bin};
    struct trialcmd cmd;
    trialcmd_build(&in, &cmd);
    log_info("worker", "trial_start", "study=%lld trial=%d worker=%s", s->id, sl->number, sl->name);
    struct runner_job job = {cmd.argv, cmd.envp, cmd.cwd, s};
    struct runner_ops ops = {on_report, on_heartbeat};
    struct runner_result res;
    runner_run(&job, &ops, sl, &res);
    record(sl, &res);
    trialcmd_cleanup(&cmd);
}

/* Whether a refused call would be refused again however often it was
 * retried: the request itself is wrong (401 no or a wrong token, 403,
 * 422 a worker name the server does not take, 400), or the server has no
 * such route (404 not_found: --server names something else). A study
 * that ended or was deleted since the list (409, 404 study_not_found) is
 * a race, and 408 and 429 ask to come back later. */
static int is_refused_for_good(int status, const struct err *e) {
    if (status < 400 || status >= 500) return 0;
    if (status == 408 || status == 409 || status == 429) return 0;
    return status != 404 || !e->code || strcmp(e->code, "study_not_found") != 0;
}

/* Log the server's refusal of path and end the worker: worker_run wakes
 * on the signal, stops every slot and returns 1. */
static void give_up(const struct slot *sl, const char *path, int status, const struct err *e) {
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%s", e->msg);
    log_error("worker", "refused", "worker=%s path=%s status=%d code=%s msg=\"%s\"", sl->name, path,
              status, e->code ? e->code : "-", log_quotable(msg));
    if (atomic_exchange(&is_refused, 1) == 0) kill(getpid(), SIGTERM);
}

/* Ask study (an API study object) for a trial and run it. Returns 1 if
 * one ran, 0 if none, -1 when the server refused the ask for good. */
static int try_study(struct slot *sl, const json_t *study) {
    const json_t *def = json_object_get(study, "definition");
    const char *kind = json_string_value(json_object_get(json_object_get(def, "trainer"), "kind"));
    if (!kind || !strcmp(kind, "external")) return 0;
    long long id = json_integer_value(json_object_get(study, "id"));
    char path[96];
    snprintf(path, sizeof path, "/api/v1/studies/%lld/trials/ask", id);
    json_t *body = json_pack("{s:s, s:i}", "worker", sl->name, "count", 1), *out = NULL;
    struct err e;
    err_clear(&e);
    int status = client_call(sl->cl, "POST", path, body, &out, &e);
    json_decref(body);
    if (is_refused_for_good(status, &e)) {
        give_up(sl, path, status, &e);
        return -1;
    }
    json_t *trial = json_array_get(json_object_get(out, "trials"), 0);
    struct study s;
    int ran = 0;
    if (trial && codec_study_load(id, def, &s, &e) == 0) {
        run_one(sl, &s, trial);
        ran = 1;
    } else if (trial) {
        log_error("worker", "bad_study", "study=%lld code=%s", id, e.code);
    }
    if (trial) codec_study_cleanup(&s);
    json_decref(out);
    return ran;
}

/* The running studies, as the API lists them (new reference), or NULL
 * when the list failed, with *status and e saying how. A refusal for good
 * has then already ended the worker (give_up); anything else is worth
 * retrying after a pause. */
static json_t *list_studies(struct slot *sl, int *status, struct err *e) {
    static const char path[] = "/api/v1/studies?state=running";
    json_t *list = NULL;
    *status = client_call(sl->cl, "GET", path, NULL, &list, e);
    if (*status == 200 && !json_is_array(json_object_get(list, "studies"))) {
        *status = 502;
        client_bad_reply(sl->cl, e);
    }
    if (*status == 200) return list;
    json_decref(list);
    if (is_refused_for_good(*status, e)) give_up(sl, path, *status, e);
    return NULL;
}

static void *slot_main(void *arg) {
    struct slot *sl = arg;
    sl->cl = client_open(sl->cfg->server);
    int backoff = 1;
    while (!atomic_load(&is_halting) && !atomic_load(&is_refused)) {
        struct err e;
        err_clear(&e);
        int status;
        json_t *list = list_studies(sl, &status, &e);
        if (!list && atomic_load(&is_refused)) break;
        if (!list) {
            log_warn("worker", "server_unreachable", "worker=%s status=%d code=%s backoff_s=%d",
                     sl->name, status, e.code ? e.code : "-", backoff);
            sleep_s(backoff);
            backoff = backoff * 2 > WORKER_BACKOFF_MAX_S ? WORKER_BACKOFF_MAX_S : backoff * 2;
            continue;
        }
        backoff = 1;
        const json_t *studies = json_object_get(list, "studies");
        size_t n = json_array_size(studies);
        unsigned start = atomic_fetch_add(&study_cursor, 1);
        int ran = 0;
        for (size_t i = 0; i < n && !ran && !atomic_load(&is_halting); i++) {
            ran = try_study(sl, json_array_get(studies, (start + i) % n));
        }
        json_decref(list);
        if (!ran) sleep_s(WORKER_IDLE_S);
    }
    client_close(sl->cl);
    return NULL;
}

int worker_run(const struct worker_cfg *cfg) {
    struct slot *slots = xcalloc((size_t)cfg->n_slots, sizeof *slots);
    pthread_t *threads = xcalloc((size_t)cfg->n_slots, sizeof *threads);
    log_info("worker", "started", "server=%s slots=%d name=%s", cfg->server, cfg->n_slots,
             cfg->name);
    for (int i = 0; i < cfg->n_slots; i++) {
        slots[i].cfg = cfg;
        snprintf(slots[i].name, sizeof slots[i].name, "%s/%d", cfg->name, i);
        pthread_create(&threads[i], NULL, slot_main, &slots[i]);
    }
    int sig = proc_wait_stop_signal();
    int is_fatal = atomic_load(&is_refused);
    log_info("worker", "shutdown", "signal=%d reason=%s", sig, is_fatal ? "refused" : "signal");
    atomic_store(&is_halting, 1);
    for (int i = 0; i < cfg->n_slots; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(slots);
    return is_fatal ? 1 : 0;
}
