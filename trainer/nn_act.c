/* nn_act: activation functions as plain loops the compiler vectorises
 * (ReLU, tanh) or as scalar libm calls (GELU's erf), split over the
 * nn_par threads. Entry points are in nn_act.h.
 * SPDX-License-Identifier: MIT */
#include "nn_act.h"

#include <math.h>
#include <string.h>

#include "nn_par.h"

int nn_act_parse(const char *name, enum nn_act *out) {
    static const char *names[] = {"relu", "tanh", "gelu"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum nn_act)i;
            return 0;
        }
    }
    return -1;
}

const char *nn_act_name(enum nn_act a) {
    switch (a) {
    case NN_ACT_RELU: return "relu";
    case NN_ACT_TANH: return "tanh";
    case NN_ACT_GELU: return "gelu";
    }
    return "?";
}

/* y = f(x) on [0, n): one slice of a forward pass. */
static void forward_range(enum nn_act a, const float *x, float *y, size_t n) {
    const float inv_sqrt2 = 0.70710678f;
    switch (a) {
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    case NN_ACT_GELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * inv_sqrt2));
        }
        break;
    }
}

static void backward_range(enum nn_act a, const float *x, const float *y, const float *dy,
                           float *dx, size_t n) {
    const float inv_sqrt2 = 0.70710678f;
    const float inv_sqrt_2pi = 0.39894228f;
    switch (a) {
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
        break;
    case NN_ACT_GELU:
        /* d/dx x*Phi(x) = Phi(x) + x*phi(x) */
        for (size_t i = 0; i < n; i++) {
            float cdf = 0.5f * (1.0f + erff(x[i] * inv_sqrt2));
            float pdf = inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
            dx[i] = dy[i] * (cdf + x[i] * pdf);
        }
        break;
    }
}

/* One pass split into nn_par slices; element-wise, so any split gives
 * the same bits. dy and dx are NULL for forward. */
struct act_job {
    enum nn_act a;
    const float *x, *y_in, *dy;
    float *out;
    size_t n;
};

static void act_slice(void *ctx, size_t task, size_t thread) {
    (void)thread;
    const struct act_job *j = ctx;
    size_t lo, hi;
    nn_par_range(j->n, task, nn_par_threads(), 16, &lo, &hi);
    if (!j->dy) {
        forward_range(j->a, j->x + lo, j->out + lo, hi - lo);
        return;
    }
    backward_range(j->a, j->x + lo, j->y_in + lo, j->dy + lo, j->out + lo, hi - lo);
}

void nn_act_forward(enum nn_act a, const float *x, float *y, size_t n) {
    struct act_job j = {a, x, NULL, NULL, y, n};
    nn_par_run(act_slice, &j, nn_par_threads());
}

void nn_act_backward(enum nn_act a, const float *x, const float *y, const float *dy, float *dx,
                     size_t n) {
    struct act_job j = {a, x, y, dy, dx, n};
    nn_par_run(act_slice, &j, nn_par_threads());
}
