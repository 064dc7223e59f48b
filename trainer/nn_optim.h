/* nn_optim: optimisers over one flat parameter array: SGD, SGD with
 * momentum or Nesterov momentum, Adam and AdamW, with L2 weight decay
 * (decoupled for AdamW) and global-norm gradient clipping. The update
 * rules follow PyTorch's so that results compare. Entry points:
 * nn_optim_parse, nn_optim_init, nn_optim_step, nn_optim_clip,
 * nn_optim_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_OPTIM_H
#define HPOD_NN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

enum nn_optim_kind { NN_SGD, NN_MOMENTUM, NN_NESTEROV, NN_ADAM, NN_ADAMW };

struct nn_optim {
    enum nn_optim_kind kind;
    float momentum;     /* NN_MOMENTUM, NN_NESTEROV */
    float beta1, beta2; /* Adam's moment decay rates */
    float eps;          /* Adam's denominator guard */
    float weight_decay; /* L2 coefficient; decoupled for AdamW */
    uint64_t t;         /* steps taken, for Adam's bias correction */
    size_t n;           /* parameters */
    float *m, *v;       /* (n) state each, owned; v only for Adam(W) */
};

/* Map "sgd", "momentum", "nesterov", "adam" or "adamw"; -1 otherwise. */
int nn_optim_parse(const char *name, enum nn_optim_kind *out);

/* Allocate zeroed state for n parameters; o's hyperparameters must be
 * filled before. Release with nn_optim_cleanup. */
void nn_optim_init(struct nn_optim *o, size_t n);

/* One update of params (n) from grads (n) at learning rate lr. */
void nn_optim_step(struct nn_optim *o, float *params, const float *grads, float lr);

/* Scale grads so that their L2 norm is at most max_norm (> 0); return the
 * norm before clipping. */
double nn_optim_clip(float *grads, size_t n, double max_norm);

void nn_optim_cleanup(struct nn_optim *o);

#endif
