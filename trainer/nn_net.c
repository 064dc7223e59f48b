/* nn_net: layer bookkeeping and the forward/backward sweeps. Building is
 * two-phase: nn_net_add_* records shapes and parameter counts, then
 * nn_net_finish allocates each group (parameters, gradients, buffers,
 * activations, masks) as one block and points the layers into it.
 * Residual adds keep their incoming gradient in dy_skip of the source
 * layer, which backward adds once the main path has reached it.
 * SPDX-License-Identifier: MIT */
#include "nn_net.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_dropout.h"
#include "nn_mem.h"
#include "nn_pool.h"

size_t nn_shape_size(const struct nn_shape *s) {
    return s->c * s->h * s->w;
}

void nn_net_init(struct nn_net *net, size_t c, size_t h, size_t w) {
    memset(net, 0, sizeof *net);
    net->in = (struct nn_shape){c, h, w, false};
}

size_t nn_net_next_index(const struct nn_net *net) {
    return net->n_layers;
}

/* Append a layer of kind whose input is the previous output. */
static struct nn_layer *push(struct nn_net *net, enum nn_kind kind) {
    if (net->n_layers == net->cap_layers) {
        net->cap_layers = net->cap_layers ? 2 * net->cap_layers : 16;
        struct nn_layer *grown = nn_xmalloc(net->cap_layers, sizeof *net->layers);
        if (net->n_layers) {
            memcpy(grown, net->layers, net->n_layers * sizeof *grown);
        }
        free(net->layers);
        net->layers = grown;
    }
    struct nn_layer *l = &net->layers[net->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = net->n_layers > 1 ? l[-1].out : net->in;
    l->out = l->in;
    return l;
}

void nn_net_add_dense(struct nn_net *net, size_t n_out) {
    struct nn_layer *l = push(net, NN_DENSE);
    /* A (1, h, w) input is the same bytes flat or spatial. */
    assert(l->in.is_flat || l->in.c == 1);
    l->u.dense.n_in = nn_shape_size(&l->in);
    l->u.dense.n_out = n_out;
    l->out = (struct nn_shape){n_out, 1, 1, true};
    l->n_params = n_out * l->u.dense.n_in + n_out;
}

void nn_net_add_conv(struct nn_net *net, size_t c_out, size_t k) {
    struct nn_layer *l = push(net, NN_CONV);
    assert(!l->in.is_flat || l->in.h > 1);
    struct nn_conv *cv = &l->u.conv;
    cv->c_in = l->in.c;
    cv->c_out = c_out;
    cv->k = k;
    cv->pad = k / 2; // "same" output size for odd k
    cv->h = l->in.h;
    cv->w = l->in.w;
    l->out =
        (struct nn_shape){c_out, nn_conv_out_size(cv, cv->h), nn_conv_out_size(cv, cv->w), false};
    l->n_params = c_out * cv->c_in * k * k + c_out;
}

void nn_net_add_pool(struct nn_net *net) {
    struct nn_layer *l = push(net, NN_POOL);
    l->out.h = l->in.h / 2;
    l->out.w = l->in.w / 2;
}

void nn_net_add_bnorm(struct nn_net *net) {
    struct nn_layer *l = push(net, NN_BNORM);
    l->u.bn.c = l->in.c;
    l->u.bn.is_dense = l->in.is_flat;
    l->u.bn.momentum = 0.1f; // PyTorch's default
    l->u.bn.eps = 1e-5f;
    l->n_params = 2 * l->in.c;
    l->n_buffers = 2 * l->in.c;
}

void nn_net_add_act(struct nn_net *net, enum nn_act act) {
    push(net, NN_ACT)->act = act;
}

void nn_net_add_dropout(struct nn_net *net, float p) {
    push(net, NN_DROPOUT)->p = p;
}

void nn_net_add_flatten(struct nn_net *net) {
    struct nn_layer *l = push(net, NN_FLATTEN);
    l->out = (struct nn_shape){nn_shape_size(&l->in), 1, 1, true};
}

void nn_net_add_residual(struct nn_net *net, size_t from) {
    assert(from + 1 < net->n_layers + 1);
    struct nn_layer *l = push(net, NN_ADD);
    l->skip_from = from;
}

/* Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, the
 * default of PyTorch's Linear and Conv2d, so accuracy compares fairly. */
static void init_uniform(float *p, size_t n, size_t fan_in, struct nn_rng *rng) {
    float bound = 1.0f / sqrtf((float)fan_in);
    for (size_t i = 0; i < n; i++) {
        p[i] = (2 * nn_rng_uniform(rng) - 1) * bound;
    }
}

/* Point layer l's parameters at *p / *g / *buf and advance them. */
static void bind_params(struct nn_layer *l, float **p, float **g, float **buf, struct nn_rng *rng) {
    if (l->kind == NN_DENSE) {
        struct nn_dense *d = &l->u.dense;
        d->w = *p;
        d->dw = *g;
        d->b = *p + d->n_out * d->n_in;
        d->db = *g + d->n_out * d->n_in;
        init_uniform(*p, l->n_params, d->n_in, rng);
    } else if (l->kind == NN_CONV) {
        struct nn_conv *cv = &l->u.conv;
        size_t n_w = cv->c_out * cv->c_in * cv->k * cv->k;
        cv->weight = *p;
        cv->dw = *g;
        cv->b = *p + n_w;
        cv->db = *g + n_w;
        init_uniform(*p, l->n_params, cv->c_in * cv->k * cv->k, rng);
    } else if (l->kind == NN_BNORM) {
        struct nn_bnorm *bn = &l->u.bn;
        bn->gamma = *p;
        bn->beta = *p + bn->c;
        bn->dgamma = *g;
        bn->dbeta = *g + bn->c;
        bn->run_mean = *buf;
        bn->run_var = *buf + bn->c;
        for (size_t i = 0; i < bn->c; i++) {
            bn->gamma[i] = 1.0f;
            bn->beta[i] = 0.0f;
            bn->run_mean[i] = 0.0f;
            bn->run_var[i] = 1.0f;
        }
    }
    *p += l->n_params;
    *g += l->n_params;
    *buf += l->n_buffers;
}

static bool is_skip_source(const struct nn_net *net, size_t i) {
    for (size_t j = i + 1; j < net->n_layers; j++) {
        if (net->layers[j].kind == NN_ADD && net->layers[j].skip_from == i) {
            return true;
        }
    }
    return false;
}

/* Floats of activation memory layer i needs, laid out as
 * [y | dy | bn xhat, bn inv_std | dy_skip], the last two when present. */
static size_t act_floats(const struct nn_net *net, size_t i) {
    const struct nn_layer *l = &net->layers[i];
    size_t n = net->max_batch * nn_shape_size(&l->out);
    size_t total = 2 * n;
    if (l->kind == NN_BNORM) total += n + l->u.bn.c;
    if (is_skip_source(net, i)) total += n;
    return total;
}

static void bind_layer_memory(struct nn_net *net, size_t i, float *a, uint8_t **m) {
    struct nn_layer *l = &net->layers[i];
    size_t n = net->max_batch * nn_shape_size(&l->out);
    l->y = a;
    l->dy = a + n;
    a += 2 * n;
    if (l->kind == NN_BNORM) {
        l->u.bn.xhat = a;
        l->u.bn.inv_std = a + n;
        a += n + l->u.bn.c;
    }
    if (is_skip_source(net, i)) l->dy_skip = a;
    if (l->kind == NN_CONV) l->u.conv.ws = net->conv_ws;
    if (l->kind == NN_POOL || l->kind == NN_DROPOUT) {
        l->mask = *m;
        *m += n;
    }
}

static void bind_activations(struct nn_net *net) {
    size_t total = 0, n_masks = 0, ws = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const struct nn_layer *l = &net->layers[i];
        total += act_floats(net, i);
        if (l->kind == NN_POOL || l->kind == NN_DROPOUT) {
            n_masks += net->max_batch * nn_shape_size(&l->out);
        }
        if (l->kind == NN_CONV) {
            size_t need = nn_conv_workspace_floats(&l->u.conv);
            ws = need > ws ? need : ws;
        }
    }
    net->act_block = nn_xmalloc(total, sizeof(float));
    net->mask_block = nn_xmalloc(n_masks, 1);
    net->conv_ws = nn_xmalloc(ws, sizeof(float));

    float *a = net->act_block;
    uint8_t *m = net->mask_block;
    for (size_t i = 0; i < net->n_layers; i++) {
        bind_layer_memory(net, i, a, &m);
        a += act_floats(net, i);
    }
}

void nn_net_finish(struct nn_net *net, size_t max_batch, struct nn_rng *rng) {
    net->max_batch = max_batch;
    for (size_t i = 0; i < net->n_layers; i++) {
        net->n_params += net->layers[i].n_params;
        net->n_buffers += net->layers[i].n_buffers;
    }
    net->params = nn_xmalloc(net->n_params, sizeof(float));
    net->grads = nn_xcalloc(net->n_params, sizeof(float));
    net->buffers = nn_xmalloc(net->n_buffers, sizeof(float));
    float *p = net->params, *g = net->grads, *b = net->buffers;
    for (size_t i = 0; i < net->n_layers; i++) {
        bind_params(&net->layers[i], &p, &g, &b, rng);
    }
    bind_activations(net);
}

void nn_net_cleanup(struct nn_net *net) {
    if (!net) return;
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net->buffers);
    free(net->act_block);
    free(net->mask_block);
    free(net->conv_ws);
    memset(net, 0, sizeof *net);
}

/* Move between (c, batch, hw) and (batch, c*hw); is_back reverses it. */
static void flatten(const float *src, float *dst, size_t c, size_t batch, size_t hw, bool is_back) {
    for (size_t ch = 0; ch < c; ch++) {
        for (size_t b = 0; b < batch; b++) {
            size_t spatial = (ch * batch + b) * hw;
            size_t flat = b * c * hw + ch * hw;
            if (is_back) {
                memcpy(dst + spatial, src + flat, hw * sizeof *dst);
            } else {
                memcpy(dst + flat, src + spatial, hw * sizeof *dst);
            }
        }
    }
}

static void layer_forward(struct nn_net *net, size_t i, const float *x, size_t batch, bool is_train,
                          struct nn_rng *rng) {
    struct nn_layer *l = &net->layers[i];
    size_t n_in = batch * nn_shape_size(&l->in);
    switch (l->kind) {
    case NN_DENSE: nn_dense_forward(&l->u.dense, x, l->y, batch); break;
    case NN_CONV: nn_conv_forward(&l->u.conv, x, l->y, batch); break;
    case NN_POOL: nn_pool_forward(x, l->y, l->mask, l->in.c * batch, l->in.h, l->in.w); break;
    case NN_BNORM: nn_bnorm_forward(&l->u.bn, x, l->y, batch * l->in.h * l->in.w, is_train); break;
    case NN_ACT: nn_act_forward(l->act, x, l->y, n_in); break;
    case NN_DROPOUT:
        if (is_train && l->p > 0) {
            nn_dropout_forward(l->p, x, l->y, l->mask, n_in, rng);
        } else {
            memcpy(l->y, x, n_in * sizeof *x);
        }
        break;
    case NN_FLATTEN: flatten(x, l->y, l->in.c, batch, l->in.h * l->in.w, false); break;
    case NN_ADD: {
        const float *s = net->layers[l->skip_from].y;
        for (size_t j = 0; j < n_in; j++) l->y[j] = x[j] + s[j];
        break;
    }
    }
}

const float *nn_net_forward(struct nn_net *net, const float *x, size_t batch, bool is_train,
                            struct nn_rng *rng) {
    assert(batch <= net->max_batch);
    net->input = x;
    const float *in = x;
    for (size_t i = 0; i < net->n_layers; i++) {
        layer_forward(net, i, in, batch, is_train, rng);
        in = net->layers[i].y;
    }
    return in;
}

/* Write the gradient at layer i's input into dx (NULL for the first
 * layer, whose input gradient nobody needs). */
static void layer_backward(struct nn_net *net, size_t i, const float *x, float *dx, size_t batch) {
    struct nn_layer *l = &net->layers[i];
    size_t n_in = batch * nn_shape_size(&l->in);
    if (!dx && l->kind != NN_DENSE && l->kind != NN_CONV) return;
    switch (l->kind) {
    case NN_DENSE: nn_dense_backward(&l->u.dense, x, l->dy, dx, batch); break;
    case NN_CONV: nn_conv_backward(&l->u.conv, x, l->dy, dx, batch); break;
    case NN_POOL: nn_pool_backward(l->dy, l->mask, dx, l->in.c * batch, l->in.h, l->in.w); break;
    case NN_BNORM: nn_bnorm_backward(&l->u.bn, l->dy, dx, batch * l->in.h * l->in.w); break;
    case NN_ACT: nn_act_backward(l->act, x, l->y, l->dy, dx, n_in); break;
    case NN_DROPOUT:
        if (l->p > 0) {
            nn_dropout_backward(l->p, l->dy, l->mask, dx, n_in);
        } else {
            memcpy(dx, l->dy, n_in * sizeof *dx);
        }
        break;
    case NN_FLATTEN: flatten(l->dy, dx, l->in.c, batch, l->in.h * l->in.w, true); break;
    case NN_ADD:
        memcpy(dx, l->dy, n_in * sizeof *dx);
        memcpy(net->layers[l->skip_from].dy_skip, l->dy, n_in * sizeof *dx);
        break;
    }
}

void nn_net_backward(struct nn_net *net, const float *dout, size_t batch) {
    struct nn_layer *last = &net->layers[net->n_layers - 1];
    memcpy(last->dy, dout, batch * nn_shape_size(&last->out) * sizeof *dout);
    for (size_t i = net->n_layers; i-- > 0;) {
        struct nn_layer *l = &net->layers[i];
        /* The main path has now filled dy; add what a residual sent. */
        if (l->dy_skip) {
            size_t n = batch * nn_shape_size(&l->out);
            for (size_t j = 0; j < n; j++) l->dy[j] += l->dy_skip[j];
        }
        const float *x = i ? net->layers[i - 1].y : net->input;
        float *dx = i ? net->layers[i - 1].dy : NULL;
        layer_backward(net, i, x, dx, batch);
    }
}
