/* nn_sched: learning-rate schedules as pure functions of the position in
 * training (epochs, fractional): constant, step decay, exponential,
 * cosine, cosine with warm restarts, each with optional linear warm-up.
 * Entry points: nn_sched_parse, nn_sched_lr.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_SCHED_H
#define HPOD_NN_SCHED_H

enum nn_sched_kind {
    NN_SCHED_CONSTANT,
    NN_SCHED_STEP,
    NN_SCHED_EXP,
    NN_SCHED_COSINE,
    NN_SCHED_RESTARTS
};

struct nn_sched {
    enum nn_sched_kind kind;
    double lr;            /* base learning rate */
    double min_lr;        /* floor of the cosine schedules */
    double gamma;         /* decay factor: per step_epochs, or per epoch */
    int step_epochs;      /* NN_SCHED_STEP: epochs between decays */
    int restart_epochs;   /* NN_SCHED_RESTARTS: first cycle length */
    int restart_mult;     /* each later cycle is this many times longer */
    double warmup_epochs; /* linear ramp from 0 over this many epochs */
    int total_epochs;     /* NN_SCHED_COSINE: length of the decay */
};

/* Map "constant", "step", "exp", "cosine" or "restarts"; -1 otherwise. */
int nn_sched_parse(const char *name, enum nn_sched_kind *out);

/* Learning rate for the update starting at position pos in epochs (epoch
 * index plus the fraction of it done); one update spans step_len epochs,
 * so warm-up's first update gets a small lr rather than zero. */
double nn_sched_lr(const struct nn_sched *s, double pos, double step_len);

#endif
