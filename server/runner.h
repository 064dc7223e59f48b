/* runner: run one trial as a child process and follow it. It reads the
 * child's stdout line by line (JSON objects or name=value pairs), turns
 * lines carrying the objectives into intermediate values, lets its caller
 * record them and decide, heartbeats, enforces the trial timeout, and
 * stops the child (SIGTERM, then SIGKILL after a grace period). It knows
 * nothing of where results go: the server's scheduler and the remote
 * worker plug in their own struct runner_ops.
 * Entry point: runner_run.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_RUNNER_H
#define HPOD_RUNNER_H

#include "codec_study.h"
#include "store_trial.h"

/* Seconds between SIGTERM and SIGKILL when a trial is stopped. */
#define RUNNER_GRACE_S 5
#define RUNNER_TAIL 2048
#define RUNNER_BEAT_MAX_S 2.0

/* Verdicts the callbacks give. */
enum runner_verdict { RUNNER_GO_ON = 0, RUNNER_STOP = 1, RUNNER_GONE = -1, RUNNER_HALT = -2 };

struct runner_ops {
    /* Record an intermediate value. GO_ON, STOP (the pruner stopped it and
     * recorded it as pruned), GONE (the trial is no longer ours). */
    int (*report)(void *ctx, const struct trial_report *rep);
    /* Called every RUNNER_BEAT_MAX_S (or lease_s / 3 if shorter): extend
     * the lease and say whether to go on, GONE, or HALT (the study was
     * stopped or the server is going down: the caller will requeue the
     * trial). */
    int (*heartbeat)(void *ctx);
};

struct runner_job {
    char *const *argv; /* argv[0] absolute or found on PATH */
    char *const *envp;
    const char *cwd;           /* NULL: inherit */
    const struct study *study; /* objectives, timeouts */
};

enum runner_outcome { RUN_COMPLETE, RUN_PRUNED, RUN_FAILED, RUN_GONE, RUN_HALTED };

struct runner_result {
    enum runner_outcome outcome;
    double values[STUDY_MAX_OBJECTIVES]; /* RUN_COMPLETE */
    char reason[256];                    /* RUN_FAILED */
    char stderr_tail[RUNNER_TAIL + 1];
};

/* Run job to its end and fill out. Returns 0, or -1 when the child could
 * not be started (out->reason says why; outcome is RUN_FAILED). */
int runner_run(const struct runner_job *job, const struct runner_ops *ops, void *ctx,
               struct runner_result *out);

/* Parse one output line into a new JSON object of its numeric metrics
 * ("final": true kept as a boolean), or NULL when it carries none. A JSON
 * object line is taken as is; otherwise name=value pairs separated by
 * spaces, commas or semicolons. Exposed for tests. */
json_t *runner_parse_line(const char *line);

#endif
