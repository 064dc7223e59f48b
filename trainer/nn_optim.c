/* nn_optim: element-wise update loops, one per optimiser. State lives in
 * two flat arrays so a checkpoint saves it as two blocks. Entry points are
 * in nn_optim.h.
 * SPDX-License-Identifier: MIT */
#include "nn_optim.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nn_mem.h"
#include "nn_par.h"

int nn_optim_parse(const char *name, enum nn_optim_kind *out) {
    static const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum nn_optim_kind)i;
            return 0;
        }
    }
    return -1;
}

void nn_optim_init(struct nn_optim *o, size_t n) {
    o->n = n;
    o->t = 0;
    o->m = nn_xcalloc(n, sizeof *o->m);
    o->v = nn_xcalloc(n, sizeof *o->v);
}

/* One update task: parameters [lo, hi) of a step at learning rate lr. */
struct step_job {
    struct nn_optim *o;
    float *p;
    const float *g;
    float lr;
};

static void step_sgd(const struct step_job *j, size_t lo, size_t hi) {
    struct nn_optim *o = j->o;
    float *p = j->p, lr = j->lr, wd = o->weight_decay, mu = o->momentum;
    const float *g = j->g;
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i] + wd * p[i];
        if (o->kind != NN_SGD) {
            o->m[i] = mu * o->m[i] + gi;
            gi = o->kind == NN_NESTEROV ? gi + mu * o->m[i] : o->m[i];
        }
        p[i] -= lr * gi;
    }
}

static void step_adam(const struct step_job *j, size_t lo, size_t hi) {
    struct nn_optim *o = j->o;
    float *p = j->p, lr = j->lr, b1 = o->beta1, b2 = o->beta2;
    const float *g = j->g;
    float c1 = 1.0f - (float)pow(b1, (double)o->t);
    float c2 = 1.0f - (float)pow(b2, (double)o->t);
    float step = lr / c1, inv_sqrt_c2 = 1.0f / sqrtf(c2);
    bool is_decoupled = o->kind == NN_ADAMW;
    float wd = o->weight_decay;
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i];
        if (is_decoupled) {
            p[i] *= 1.0f - lr * wd;
        } else {
            gi += wd * p[i];
        }
        o->m[i] = b1 * o->m[i] + (1 - b1) * gi;
        o->v[i] = b2 * o->v[i] + (1 - b2) * gi * gi;
        p[i] -= step * o->m[i] / (sqrtf(o->v[i]) * inv_sqrt_c2 + o->eps);
    }
}

/* Element-wise, so any split gives the same bits. */
static void step_part(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct step_job *j = ctx;
    size_t lo, hi;
    nn_par_range(j->o->n, task, nn_par_threads(), 16, &lo, &hi);
    if (j->o->kind == NN_ADAM || j->o->kind == NN_ADAMW) {
        step_adam(j, lo, hi);
    } else {
        step_sgd(j, lo, hi);
    }
}

void nn_optim_step(struct nn_optim *o, float *params, const float *grads, float lr) {
    o->t++;
    struct step_job j = {o, params, grads, lr};
    nn_par_run(step_part, &j, nn_par_threads());
}

double nn_optim_clip(float *grads, size_t n, double max_norm) {
    double sq = 0.0;
    for (size_t i = 0; i < n; i++) sq += (double)grads[i] * grads[i];
    double norm = sqrt(sq);
    if (norm > max_norm) {
        float k = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n; i++) grads[i] *= k;
    }
    return norm;
}

void nn_optim_cleanup(struct nn_optim *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}
