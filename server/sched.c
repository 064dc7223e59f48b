/* sched: worker threads and the maintenance thread. Fairness between
 * studies comes from a shared round-robin cursor over the runnable
 * studies; the per-study parallel limit and max_trials are enforced by
 * the ask itself (store_trial_ask), so several servers sharing one
 * database keep them too.
 * SPDX-License-Identifier: MIT */
#include "sched.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mem.h"
#include "runner.h"
#include "store_study.h"
#include "store_trial.h"
#include "trialcmd.h"

#define SCHED_MAX_STUDIES 256
#define SCHED_IDLE_MS 500
#define SCHED_MAINT_MS 1000

static struct {
    struct sched_cfg cfg;
    pthread_t *threads;
    pthread_t maint;
    atomic_int is_halting;
    atomic_uint cursor;
    pthread_mutex_t lock;
    pthread_cond_t wake;
} sched = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void nap(int ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&sched.lock);
    if (!atomic_load(&sched.is_halting)) pthread_cond_timedwait(&sched.wake, &sched.lock, &until);
    pthread_mutex_unlock(&sched.lock);
}

/* ---- one trial ---------------------------------------------------------- */

/* The trial a worker thread runs, named as its writes name it: the study,
 * the number and this thread's worker name, so a thread whose lease was
 * lost cannot write over the trial's next holder. */
struct run_ctx {
    struct trial_ref t;
};

static int verdict_of(const struct err *e) {
    /* Only "not found" and "not running any more" mean the trial is no
     * longer ours (deleted, requeued, finished, lease lost). A refused
     * line (a repeated step, say) is the program's mistake: skip it and go
     * on, or the trial, still leased to us, would be started again. A 5xx
     * is the database failing: go on and let the next call decide. */
    if (e->http == 404) return RUNNER_GONE;
    if (e->http != 409 || !e->code) return RUNNER_GO_ON;
    return strcmp(e->code, "step_conflict") == 0 ? RUNNER_GO_ON : RUNNER_GONE;
}

static int on_report(void *arg, const struct trial_report *rep) {
    struct run_ctx *c = arg;
    struct err e;
    err_clear(&e);
    json_t *r = store_trial_report(&c->t, rep, &e);
    if (!r) return verdict_of(&e);
    int stop = json_is_true(json_object_get(r, "should_stop"));
    json_decref(r);
    return stop ? RUNNER_STOP : RUNNER_GO_ON;
}

static int on_heartbeat(void *arg) {
    struct run_ctx *c = arg;
    if (atomic_load(&sched.is_halting)) return RUNNER_HALT;
    struct err e;
    err_clear(&e);
    char state[16];
    if (store_study_state(c->t.s->id, state, sizeof state, &e) != 0) return verdict_of(&e);
    if (!strcmp(state, "stopped")) return RUNNER_HALT;
    json_t *r = store_trial_heartbeat(&c->t, &e);
    if (!r) return verdict_of(&e);
    json_decref(r);
    return RUNNER_GO_ON;
}

static int threads_for(const struct study *s) {
    long share = sched.cfg.n_workers < s->parallel ? sched.cfg.n_workers : s->parallel;
    int t = (int)(sched.cfg.n_cores / (share > 0 ? share : 1));
    return t > 0 ? t : 1;
}

static void record(const struct trial_ref *t, const struct runner_result *res) {
    const struct study *s = t->s;
    int number = t->number;
    struct err e;
    err_clear(&e);
    json_t *r = NULL;
    switch (res->outcome) {
    case RUN_COMPLETE: r = store_trial_complete(t, res->values, &e); break;
    case RUN_FAILED: r = store_trial_fail(t, res->reason, res->stderr_tail, &e); break;
    case RUN_HALTED: store_trial_requeue(s->id, number, t->worker, &e); break;
    case RUN_PRUNED:
    case RUN_GONE: break;
    }
    static const char *const names[] = {"complete", "pruned", "failed", "gone", "halted"};
    log_info("sched", "trial_end", "study=%lld trial=%d outcome=%s%s%s%s", s->id, number,
             names[res->outcome], res->reason[0] ? " reason=\"" : "", res->reason,
             res->reason[0] ? "\"" : "");
    if (e.code)
        log_warn("sched", "record_failed", "study=%lld trial=%d code=%s", s->id, number, e.code);
    json_decref(r);
}

static void run_trial(const struct study *s, const json_t *trial, const char *worker) {
    int number = (int)json_integer_value(json_object_get(trial, "number"));
    struct trialcmd_in in = {s, json_object_get(trial, "params"), number, threads_for(s),
                             sched.cfg.train_bin};
    struct trialcmd cmd;
    trialcmd_build(&in, &cmd);
    log_info("sched", "trial_start", "study=%lld trial=%d threads=%d", s->id, number, in.threads);
    struct runner_job job = {cmd.argv, cmd.envp, cmd.cwd, s};
    struct runner_ops ops = {on_report, on_heartbeat};
    struct run_ctx ctx = {{s, number, worker}};
    struct runner_result res;
    runner_run(&job, &ops, &ctx, &res);
    record(&ctx.t, &res);
    trialcmd_cleanup(&cmd);
}

/* ---- the pool --------------------------------------------------------------- */

/* Lease one trial of study id to worker and run it; 1 when one ran. */
static int try_study(long long id, const char *worker) {
    struct err e;
    err_clear(&e);
    struct study s;
    char key[24];
    snprintf(key, sizeof key, "%lld", id);
    if (store_study_load(key, &s, &e) != 0) {
        store_study_release(&s);
        return 0;
    }
    json_t *got = store_trial_ask(&s, worker, 1, &e);
    json_t *trial = json_array_get(json_object_get(got, "trials"), 0);
    if (trial) run_trial(&s, trial, worker);
    json_decref(got);
    store_study_release(&s);
    return trial != NULL;
}

static void *worker_main(void *arg) {
    char *worker = arg;
    long long ids[SCHED_MAX_STUDIES];
    while (!atomic_load(&sched.is_halting)) {
        struct err e;
        int n = store_study_runnable(ids, SCHED_MAX_STUDIES, &e);
        int did_run = 0;
        unsigned start = atomic_fetch_add(&sched.cursor, 1);
        for (int i = 0; i < n && !did_run && !atomic_load(&sched.is_halting); i++) {
            did_run = try_study(ids[(start + (unsigned)i) % (unsigned)n], worker);
        }
        if (!did_run) nap(SCHED_IDLE_MS);
    }
    free(worker);
    return NULL;
}

/* Reclaim lost leases (every expired one, and with prefix every one
 * under it); returns how many, or -1. Studies that are due end first, so
 * that the leases they lose fail their trials instead of queueing them in
 * a done study. */
static int reclaim_lost(const char *prefix, struct err *e) {
    if (store_study_finish_due(0, e) < 0) return -1;
    return store_trial_reclaim(prefix, e);
}

static void *maint_main(void *arg) {
    (void)arg;
    while (!atomic_load(&sched.is_halting)) {
        struct err e;
        err_clear(&e);
        reclaim_lost(NULL, &e);
        nap(SCHED_MAINT_MS);
    }
    return NULL;
}

int sched_start(const struct sched_cfg *cfg, struct err *e) {
    sched.cfg = *cfg;
    atomic_store(&sched.is_halting, 0);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s/", cfg->name);
    int n = reclaim_lost(prefix, e);
    if (n < 0) return -1;
    if (n > 0) log_info("sched", "released_own_trials", "count=%d", n);
    sched.threads = xcalloc((size_t)(cfg->n_workers + 1), sizeof *sched.threads);
    for (int i = 0; i < cfg->n_workers; i++) {
        pthread_create(&sched.threads[i], NULL, worker_main, xasprintf("%s%d", prefix, i));
    }
    pthread_create(&sched.maint, NULL, maint_main, NULL);
    log_info("sched", "started", "workers=%d cores=%d name=%s", cfg->n_workers, cfg->n_cores,
             cfg->name);
    return 0;
}

void sched_stop(void) {
    if (!sched.threads) return;
    pthread_mutex_lock(&sched.lock);
    atomic_store(&sched.is_halting, 1);
    pthread_cond_broadcast(&sched.wake);
    pthread_mutex_unlock(&sched.lock);
    for (int i = 0; i < sched.cfg.n_workers; i++) pthread_join(sched.threads[i], NULL);
    pthread_join(sched.maint, NULL);
    free(sched.threads);
    sched.threads = NULL;
    log_info("sched", "stopped", "workers=%d", sched.cfg.n_workers);
}
