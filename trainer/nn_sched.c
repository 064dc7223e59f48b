/* nn_sched: the schedules. Step and exponential decay change once per
 * whole epoch, as PyTorch's per-epoch schedulers do; the cosine ones move
 * every step. Warm-up multiplies whatever the schedule gives. Entry
 * points: nn_sched_parse, nn_sched_lr.
 * SPDX-License-Identifier: MIT */
#include "nn_sched.h"

#include <math.h>
#include <string.h>

int nn_sched_parse(const char *name, enum nn_sched_kind *out) {
    static const char *names[] = {"constant", "step", "exp", "cosine", "restarts"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum nn_sched_kind)i;
            return 0;
        }
    }
    return -1;
}

static double cosine(double lo, double hi, double t, double period) {
    return lo + (hi - lo) * 0.5 * (1.0 + cos(M_PI * t / period));
}

/* Position inside the current warm-restart cycle, and that cycle's length. */
static void restart_cycle(const struct nn_sched *s, double pos, double *t, double *period) {
    double len = s->restart_epochs > 0 ? s->restart_epochs : 1;
    int mult = s->restart_mult > 1 ? s->restart_mult : 1;
    while (pos >= len) {
        pos -= len;
        len *= mult;
    }
    *t = pos;
    *period = len;
}

double nn_sched_lr(const struct nn_sched *s, double pos, double step_len) {
    double lr = s->lr;
    double epoch = floor(pos);
    switch (s->kind) {
    case NN_SCHED_CONSTANT: break;
    case NN_SCHED_STEP: {
        int every = s->step_epochs > 0 ? s->step_epochs : 1;
        lr *= pow(s->gamma, floor(epoch / every));
        break;
    }
    case NN_SCHED_EXP: lr *= pow(s->gamma, epoch); break;
    case NN_SCHED_COSINE: {
        double total = s->total_epochs > 0 ? s->total_epochs : 1;
        lr = cosine(s->min_lr, s->lr, pos, total);
        break;
    }
    case NN_SCHED_RESTARTS: {
        double t, period;
        restart_cycle(s, pos, &t, &period);
        lr = cosine(s->min_lr, s->lr, t, period);
        break;
    }
    }
    double ramp = pos + step_len;
    if (s->warmup_epochs > 0 && ramp < s->warmup_epochs) {
        lr *= ramp / s->warmup_epochs;
    }
    return lr;
}
