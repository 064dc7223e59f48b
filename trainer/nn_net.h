/* nn_net: a network as a sequence of layers (dense, conv, max-pool, batch
 * norm, activation, dropout, flatten, residual add) with all parameters in
 * one flat array, their gradients in another and running statistics in a
 * third, which is what optimisers and checkpoints work on. It does not
 * know about losses or data. Entry points: nn_net_init, nn_net_add_*,
 * nn_net_finish, nn_net_forward, nn_net_backward, nn_net_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_NET_H
#define HPOD_NN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_act.h"
#include "nn_bnorm.h"
#include "nn_conv.h"
#include "nn_dense.h"
#include "nn_rng.h"

enum nn_kind { NN_DENSE, NN_CONV, NN_POOL, NN_BNORM, NN_ACT, NN_DROPOUT, NN_FLATTEN, NN_ADD };

/* Per-sample shape; a flat vector of n is (n, 1, 1) with is_flat set.
 * Spatial tensors are stored (c, batch, h, w), flat ones (batch, n). */
struct nn_shape {
    size_t c, h, w;
    bool is_flat;
};

struct nn_layer {
    enum nn_kind kind;
    struct nn_shape in, out;
    union {
        struct nn_dense dense;
        struct nn_conv conv;
        struct nn_bnorm bn;
    } u;
    enum nn_act act;  /* NN_ACT */
    float p;          /* NN_DROPOUT: drop probability */
    size_t skip_from; /* NN_ADD: adds the output of this layer */
    size_t n_params, n_buffers;
    float *y, *dy;  /* (batch, out) output and its gradient */
    float *dy_skip; /* gradient arriving through a skip, or NULL */
    uint8_t *mask;  /* dropout mask or pool arg-max, (batch, out) */
};

struct nn_net {
    struct nn_shape in;      /* input per sample */
    struct nn_layer *layers; /* (n_layers), owned */
    size_t n_layers, cap_layers;
    size_t max_batch;
    float *params, *grads; /* (n_params) each, owned */
    float *buffers;        /* (n_buffers) running statistics, owned */
    size_t n_params, n_buffers;
    float *act_block;    /* every y, dy and scratch, owned */
    uint8_t *mask_block; /* every mask, owned */
    float *conv_ws;      /* shared conv workspace, owned */
    const float *input;  /* last forward's x, borrowed */
};

/* Start an empty network for inputs of shape (c, h, w) in caller storage;
 * release with nn_net_cleanup. */
void nn_net_init(struct nn_net *net, size_t c, size_t h, size_t w);

/* Append layers. Shapes follow from the previous layer. A dense layer on a
 * spatial input needs nn_net_add_flatten first. */
void nn_net_add_dense(struct nn_net *net, size_t n_out);
void nn_net_add_conv(struct nn_net *net, size_t c_out, size_t k);
void nn_net_add_pool(struct nn_net *net);
void nn_net_add_bnorm(struct nn_net *net);
void nn_net_add_act(struct nn_net *net, enum nn_act act);
void nn_net_add_dropout(struct nn_net *net, float p);
void nn_net_add_flatten(struct nn_net *net);

/* Append y = previous output + output of layer `from` (same shape). */
void nn_net_add_residual(struct nn_net *net, size_t from);

/* Index the next added layer will get (to name a skip's source). */
size_t nn_net_next_index(const struct nn_net *net);

/* Allocate parameters and activations for batches up to max_batch and
 * initialise weights like PyTorch's defaults, drawing from rng. */
void nn_net_finish(struct nn_net *net, size_t max_batch, struct nn_rng *rng);

/* Run x: (batch, input) (borrowed until backward) through the net and
 * return the last layer's output (borrowed, valid until the next call).
 * rng drives dropout and may be NULL when is_train is false. */
const float *nn_net_forward(struct nn_net *net, const float *x, size_t batch, bool is_train,
                            struct nn_rng *rng);

/* Given the gradient of the loss at the output, dout: (batch, out), fill
 * net->grads after a training forward pass of the same batch. */
void nn_net_backward(struct nn_net *net, const float *dout, size_t batch);

/* Elements per sample of a shape. */
size_t nn_shape_size(const struct nn_shape *s);

void nn_net_cleanup(struct nn_net *net);

#endif
