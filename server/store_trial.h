/* store_trial: all SQL about trials: enqueue, ask (lease), report, heart-
 * beat, complete, fail, lists, the leaderboard and lease reclaim. Every
 * change of a trial's state is one transaction; asks lock the study row,
 * so concurrent clients never receive the same trial or grid point.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_STORE_TRIAL_H
#define HPOD_STORE_TRIAL_H

#include <jansson.h>

#include "codec_study.h"
#include "err.h"

/* One intermediate value: the objectives at a step, plus every metric of
 * the line it came from (borrowed, may be NULL). */
struct trial_report {
    int step;
    int n_values;
    double values[STUDY_MAX_OBJECTIVES];
    const json_t *metrics;
};

/* Add given params (checked by the caller) as a queued trial, or, with
 * values, as a complete one (warm start). Either takes the next trial
 * number, so counts against max_trials. Returns the trial JSON.
 * Errors: 409 "bad_state" when the study is done or has used max_trials. */
json_t *store_trial_enqueue(const struct study *s, const json_t *params, const double *values,
                            struct err *e);

/* Lease up to count trials to worker: its own live leases first, then
 * queued trials, then new searcher proposals, within max_trials and
 * parallel. Returns {"trials": [...], "study_state": "..."}. */
json_t *store_trial_ask(const struct study *s, const char *worker, int count, struct err *e);

/* One trial as a client names it in a write: the study, its number and,
 * when the client says who it is, the worker that holds the lease (NULL
 * accepts any holder). A worker whose lease was lost, and the trial handed
 * to another, gets 409 "lease_expired" instead of writing over the new
 * holder's work. */
/* Worker names have up to 128 characters, as the API allows; room for
 * one in UTF-8 (up to four bytes a character) and a NUL. */
#define STORE_TRIAL_WORKER_CHARS 128
#define STORE_TRIAL_WORKER_MAX (4 * STORE_TRIAL_WORKER_CHARS + 1)

struct trial_ref {
    const struct study *s;
    int number;
    const char *worker;
};

/* Record an intermediate value and ask the pruner. Returns
 * {"should_stop": bool, "state": "running"|"pruned"}; a trial to stop is
 * recorded as pruned with these values. Errors: 404 "trial_not_found",
 * 409 "trial_not_running", "lease_expired", "step_conflict". */
json_t *store_trial_report(const struct trial_ref *t, const struct trial_report *rep,
                           struct err *e);

/* Extend a running trial's lease by the study's lease_s. */
json_t *store_trial_heartbeat(const struct trial_ref *t, struct err *e);

/* Finish a running trial with n values. Completing again with the same
 * values answers the trial unchanged, as does failing again or repeating
 * non-finite values, which fail the trial. Errors: 404 "trial_not_found",
 * 409 "already_finished", "trial_not_running", "lease_expired". */
json_t *store_trial_complete(const struct trial_ref *t, const double *values, struct err *e);

/* Fail a running trial with reason (and stderr_tail, may be NULL). */
json_t *store_trial_fail(const struct trial_ref *t, const char *reason, const char *stderr_tail,
                         struct err *e);

/* Put a running trial back in the queue (its curve is dropped, its attempt
 * given back), used when a study is stopped under a running trial or a
 * worker gives it back; worker, when not NULL, must hold the lease. 409
 * "trial_not_running" when it is not running (or not held by worker). */
int store_trial_requeue(long long study_id, int number, const char *worker, struct err *e);

struct trial_query {
    const char *state; /* "complete,pruned" or NULL for all */
    int objective;     /* index of the objective to sort by */
    int sort;          /* 0 by number, 1 best first, 2 worst first */
    int is_descending; /* by number: newest first */
    int limit, offset;
};

/* {"trials": [...], "total": n, "limit": .., "offset": ..}. */
json_t *store_trial_list(const struct study *s, const struct trial_query *q, struct err *e);

/* One trial with its learning curve. 404 "trial_not_found". */
json_t *store_trial_get(long long study_id, int number, struct err *e);

/* Best `limit` complete trials; for several objectives the Pareto front.
 * {"trials": [...], "pareto": bool}. */
json_t *store_trial_leaderboard(const struct study *s, int limit, struct err *e);

/* Every trial's curve of one objective, compact, for charts:
 * {"curves": [{"number", "state", "steps": [...], "values": [...]}]}.
 * Returns the JSON text as PostgreSQL built it (new; free() it), so that
 * megabytes of curves are not parsed and printed again on their way out;
 * NULL with e set on failure. */
char *store_trial_curves(const struct study *s, int objective, struct err *e);

/* Requeue or fail every running trial whose lease has expired, or whose
 * worker name starts with worker_prefix (a restarted server's own trials,
 * dead with it; NULL for none), as its study's on_lost says. Returns how
 * many. */
int store_trial_reclaim(const char *worker_prefix, struct err *e);

#endif
