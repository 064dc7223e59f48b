/* runner: the child-process side of a trial. The child runs in its own
 * process group so that stopping a shell script also stops what it
 * started, and is killed if the thread that started it dies (a server or
 * worker killed with SIGKILL), so that a restart does not run a trial
 * twice at once. Signals the server blocks or ignores are reset for the
 * child, which would otherwise inherit them through exec.
 * SPDX-License-Identifier: MIT */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

#define LINE_MAX_BYTES (64 * 1024)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- output lines ---------------------------------------------------------- */

static void put_pair(json_t *out, const char *name, size_t name_len, const char *value) {
    char key[128];
    if (name_len == 0 || name_len >= sizeof key) return;
    memcpy(key, name, name_len);
    key[name_len] = '\0';
    char *end = NULL;
    double v = strtod(value, &end);
    if (end == value) return;
    /* JSON has no NaN: a non-finite value is kept as null, which the
     * objective reader turns back into NaN. */
    json_object_set_new(out, key, isfinite(v) ? json_real(v) : json_null());
}

json_t *runner_parse_line(const char *line) {
    while (*line == ' ' || *line == '\t') line++;
    if (*line == '{') {
        json_t *j = json_loads(line, 0, NULL);
        if (json_is_object(j)) return j;
        json_decref(j);
        return NULL;
    }
    json_t *out = json_object();
    for (const char *p = line; *p;) {
        size_t len = strcspn(p, " \t,;\r\n");
        const char *eq = memchr(p, '=', len);
        if (eq) put_pair(out, p, (size_t)(eq - p), eq + 1);
        p += len;
        p += strspn(p, " \t,;\r\n");
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Objective values of a metrics object; 0 when every objective is there. */
static int objective_values(const struct study *s, const json_t *m, double *out) {
    for (int i = 0; i < s->n_objectives; i++) {
        const json_t *v = json_object_get(m, s->objective[i]);
        if (json_is_number(v))
            out[i] = json_number_value(v);
        else if (json_is_null(v))
            out[i] = NAN;
        else
            return -1;
    }
    return 0;
}

/* ---- the child ------------------------------------------------------------- */

struct child {
    pid_t pid;
    int is_reaped;    /* waitpid has collected the child */
    int status;       /* its wait status once reaped */
    double exited_at; /* when it was reaped */
    int out_fd, err_fd;
    char line[LINE_MAX_BYTES];
    size_t line_len;
    int is_line_cut; /* the line in progress outgrew line[] */
    char tail[RUNNER_TAIL];
    size_t tail_len;
};

/* What the child reports through its status pipe when it cannot run:
 * which step failed and errno. */
struct spawn_error {
    int is_chdir;
    int err;
};

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct runner_job *job, pid_t parent, int out, int err, int status) {
    setpgid(0, 0);
    /* Die with the thread that started us; if it is already gone, go. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    struct spawn_error se = {0, 0};
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC); /* dup2 clears it on 0 */
    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
    if (job->cwd && chdir(job->cwd) != 0) {
        se.is_chdir = 1;
        goto fail;
    }
    struct sigaction dflt = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &dflt, NULL);
    sigaction(SIGINT, &dflt, NULL);
    sigaction(SIGTERM, &dflt, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvpe(job->argv[0], job->argv, job->envp);
fail:
    se.err = errno;
    ssize_t n = write(status, &se, sizeof se);
    (void)n;
    _exit(127);
}

static int spawn(const struct runner_job *job, struct child *c, struct runner_result *res) {
    int out[2], err[2], status[2];
    struct spawn_error se = {0, 0};
    if (pipe2(out, O_CLOEXEC) != 0) goto fail;
    if (pipe2(err, O_CLOEXEC) != 0) goto fail_out;
    if (pipe2(status, O_CLOEXEC) != 0) goto fail_err;
    pid_t parent = getpid();
    c->pid = fork();
    if (c->pid == 0) child_exec(job, parent, out[1], err[1], status[1]);
    se.err = errno;
    close(out[1]);
    close(err[1]);
    close(status[1]);
    /* The status pipe closes on exec, or carries why there was none. */
    ssize_t n = c->pid > 0 ? read(status[0], &se, sizeof se) : 0;
    close(status[0]);
    if (c->pid < 0 || n == (ssize_t)sizeof se) {
        if (c->pid > 0) waitpid(c->pid, NULL, 0);
        close(out[0]);
        close(err[0]);
        errno = se.err;
        goto fail;
    }
    c->out_fd = out[0];
    c->err_fd = err[0];
    return 0;
fail_err:
    close(err[0]);
    close(err[1]);
fail_out:
    close(out[0]);
    close(out[1]);
fail:
    if (se.is_chdir)
        snprintf(res->reason, sizeof res->reason, "cannot enter trainer.cwd %s: %s", job->cwd,
                 strerror(errno));
    else
        snprintf(res->reason, sizeof res->reason, "cannot start %s: %s", job->argv[0],
                 strerror(errno));
    res->outcome = RUN_FAILED;
    return -1;
}

static void keep_tail(struct child *c, const char *buf, size_t n) {
    if (n >= RUNNER_TAIL) {
        memcpy(c->tail, buf + n - RUNNER_TAIL, RUNNER_TAIL);
        c->tail_len = RUNNER_TAIL;
        return;
    }
    if (c->tail_len + n > RUNNER_TAIL) {
        size_t drop = c->tail_len + n - RUNNER_TAIL;
        memmove(c->tail, c->tail + drop, c->tail_len - drop);
        c->tail_len -= drop;
    }
    memcpy(c->tail + c->tail_len, buf, n);
    c->tail_len += n;
}

/* Kill the child's process group: SIGTERM, then SIGKILL after the grace
 * period, and reap it. Returns its wait status. */
static int stop_child(struct child *c) {
    if (c->is_reaped) {
        kill(-c->pid, SIGKILL); /* what it left behind */
        return c->status;
    }
    kill(-c->pid, SIGTERM);
    int status = 0;
    for (double until = now_s() + RUNNER_GRACE_S; now_s() < until;) {
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) goto reaped;
        usleep(20000);
    }
    kill(-c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
reaped:
    kill(-c->pid, SIGKILL); /* anything the child left behind */
    return status;
}

/* ---- following the run ----------------------------------------------------- */

struct follow {
    const struct runner_job *job;
    const struct runner_ops *ops;
    void *ctx;
    struct runner_result *res;
    int last_step;  /* of the last report, or 0 before the first */
    int has_values; /* last values seen (intermediate or final) */
    double values[STUDY_MAX_OBJECTIVES];
    int verdict; /* the last non-GO_ON verdict */
};

/* One complete stdout line: record it, and return the verdict. */
static int on_line(struct follow *f, const char *line) {
    json_t *m = runner_parse_line(line);
    if (!m) return RUNNER_GO_ON;
    const struct study *s = f->job->study;
    int verdict = RUNNER_GO_ON;
    double v[STUDY_MAX_OBJECTIVES];
    if (objective_values(s, m, v) == 0) {
        memcpy(f->values, v, sizeof v);
        f->has_values = 1;
        if (!json_is_true(json_object_get(m, "final"))) {
            const json_t *st = json_object_get(m, "step");
            struct trial_report rep = {.n_values = s->n_objectives, .metrics = m};
            double sv = json_number_value(st);
            /* A line without a step comes next after the last one. */
            rep.step = json_is_number(st) && sv >= 0 && sv == floor(sv) && sv < 1e8
                           ? (int)sv
                           : f->last_step + 1;
            memcpy(rep.values, v, sizeof v);
            f->last_step = rep.step;
            verdict = f->ops->report(f->ctx, &rep);
        }
    }
    json_decref(m);
    return verdict;
}

/* The line in c->line is complete: take it in, unless it was too long to
 * keep, and start the next. */
static int end_line(struct follow *f, struct child *c) {
    c->line[c->line_len] = '\0';
    c->line_len = 0;
    if (c->is_line_cut) {
        /* Its end is lost, so what it says cannot be trusted. */
        c->is_line_cut = 0;
        log_warn("runner", "line_too_long", "study=%lld max_bytes=%d: the line is skipped",
                 f->job->study->id, LINE_MAX_BYTES - 1);
        return RUNNER_GO_ON;
    }
    return on_line(f, c->line);
}

/* Read what is available on the child's stdout; returns a verdict. A
 * last line without a newline counts when the pipe closes. */
static int read_stdout(struct follow *f, struct child *c, int *is_eof) {
    char buf[8192];
    ssize_t n = read(c->out_fd, buf, sizeof buf);
    if (n <= 0) {
        *is_eof = n == 0 || (errno != EINTR && errno != EAGAIN);
        return *is_eof && c->line_len ? end_line(f, c) : RUNNER_GO_ON;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (c->line_len < LINE_MAX_BYTES - 1)
                c->line[c->line_len++] = buf[i];
            else
                c->is_line_cut = 1;
            continue;
        }
        int v = end_line(f, c);
        if (v != RUNNER_GO_ON) return v;
    }
    return RUNNER_GO_ON;
}

static void read_stderr(struct child *c, int *is_eof) {
    char buf[4096];
    ssize_t n = read(c->err_fd, buf, sizeof buf);
    if (n > 0)
        keep_tail(c, buf, (size_t)n);
    else
        *is_eof = n == 0 || (errno != EINTR && errno != EAGAIN);
}

/* Seconds the pipes may stay open after the child exited: a background
 * process it left holding stdout must not keep the trial running. */
#define RUNNER_ORPHAN_GRACE_S 2.0

/* Poll the pipes until both close and the child has exited, or a verdict
 * says stop. A child that closed its pipes but runs on still meets its
 * deadline and its heartbeats. */
static int follow_output(struct follow *f, struct child *c, double deadline) {
    const struct study *s = f->job->study;
    /* Beat at least every RUNNER_BEAT_MAX_S so a stopped study or a server
     * going down stops its trials promptly, and thrice per lease. */
    double beat_every = s->lease_s / 3 < RUNNER_BEAT_MAX_S ? s->lease_s / 3 : RUNNER_BEAT_MAX_S;
    double next_beat = now_s() + beat_every;
    int out_eof = 0, err_eof = 0;
    while (!out_eof || !err_eof || !c->is_reaped) {
        struct pollfd p[2] = {{out_eof ? -1 : c->out_fd, POLLIN, 0},
                              {err_eof ? -1 : c->err_fd, POLLIN, 0}};
        /* With both pipes closed only the exit is awaited: look often. */
        int n = poll(p, 2, out_eof && err_eof ? 50 : 500);
        if (n > 0 && p[0].revents) {
            int v = read_stdout(f, c, &out_eof);
            if (v != RUNNER_GO_ON) return v;
        }
        if (n > 0 && p[1].revents) read_stderr(c, &err_eof);
        double t = now_s();
        if (!c->is_reaped && waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
            c->is_reaped = 1;
            c->exited_at = t;
        }
        if (c->is_reaped && t - c->exited_at > RUNNER_ORPHAN_GRACE_S) break;
        if (deadline > 0 && t > deadline) return RUNNER_STOP + 10; /* timeout */
        if (t >= next_beat) {
            next_beat = t + beat_every;
            int v = f->ops->heartbeat(f->ctx);
            if (v != RUNNER_GO_ON) return v;
        }
    }
    return RUNNER_GO_ON;
}

static void describe_exit(const struct study *s, int status, struct runner_result *res) {
    if (WIFSIGNALED(status)) {
        snprintf(res->reason, sizeof res->reason, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else if (s->trainer_kind == TRAINER_NATIVE && WEXITSTATUS(status) == 3) {
        /* Exit status 3 means divergence for hpod-train only; any other
         * program's codes are its own. */
        snprintf(res->reason, sizeof res->reason, "diverged: the loss became NaN or infinite");
    } else {
        snprintf(res->reason, sizeof res->reason, "exit status %d", WEXITSTATUS(status));
    }
}

/* Turn the end of the run into an outcome. */
static void conclude(struct follow *f, int verdict, int status) {
    struct runner_result *res = f->res;
    const struct study *s = f->job->study;
    if (verdict == RUNNER_STOP) {
        res->outcome = RUN_PRUNED;
    } else if (verdict == RUNNER_GONE) {
        res->outcome = RUN_GONE;
    } else if (verdict == RUNNER_HALT) {
        res->outcome = RUN_HALTED;
    } else if (verdict == RUNNER_STOP + 10) {
        res->outcome = RUN_FAILED;
        snprintf(res->reason, sizeof res->reason, "timeout: ran longer than %g s",
                 s->trial_timeout_s);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        res->outcome = RUN_FAILED;
        describe_exit(s, status, res);
    } else if (!f->has_values) {
        res->outcome = RUN_FAILED;
        snprintf(res->reason, sizeof res->reason, "the output never reported objective %s",
                 s->objective[0]);
    } else {
        res->outcome = RUN_COMPLETE;
        memcpy(res->values, f->values, sizeof res->values);
    }
}

int runner_run(const struct runner_job *job, const struct runner_ops *ops, void *ctx,
               struct runner_result *out) {
    memset(out, 0, sizeof *out);
    struct child *c = xcalloc(1, sizeof *c);
    if (spawn(job, c, out) != 0) {
        free(c);
        return -1;
    }
    double t0 = now_s();
    double deadline = job->study->trial_timeout_s > 0 ? t0 + job->study->trial_timeout_s : 0;
    struct follow f = {job, ops, ctx, out, 0, 0, {0}, RUNNER_GO_ON};
    int verdict = follow_output(&f, c, deadline);
    int status = c->status;
    if (verdict != RUNNER_GO_ON)
        status = stop_child(c);
    else if (!c->is_reaped)
        waitpid(c->pid, &status, 0);
    kill(-c->pid, SIGKILL); /* anything it left running */
    conclude(&f, verdict, status);
    /* Keep the tail printable ASCII: it is stored as text and shown in
     * pages, and a cut multi-byte character would be invalid UTF-8. */
    for (size_t i = 0; i < c->tail_len; i++) {
        unsigned char ch = (unsigned char)c->tail[i];
        int is_plain = (ch >= 0x20 && ch < 0x7f) || ch == '\n' || ch == '\t';
        out->stderr_tail[i] = is_plain ? (char)ch : '?';
    }
    out->stderr_tail[c->tail_len] = '\0';
    close(c->out_fd);
    close(c->err_fd);
    free(c);
    return 0;
}
