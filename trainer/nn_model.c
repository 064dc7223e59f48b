/* nn_model: layer recipes. mlp: [dense, (bn), act, (dropout)] per hidden
 * width. cnn: [conv, (bn), act, pool] per conv (pool first for ReLU),
 * then the mlp part. resnet: a stem, two stages of `depth` blocks
 * (conv3-bn-relu-conv3-bn + skip, relu) at width and 2*width with a
 * max-pool after each, then a linear classifier.
 * Entry points: nn_model_parse, nn_model_build.
 * SPDX-License-Identifier: MIT */
#include "nn_model.h"

#include <string.h>

int nn_model_parse(const char *name, enum nn_model_kind *out) {
    static const char *names[] = {"mlp", "cnn", "resnet"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum nn_model_kind)i;
            return 0;
        }
    }
    return -1;
}

static void add_dense_head(struct nn_net *net, const struct nn_model_cfg *c) {
    for (size_t i = 0; i < c->n_hidden; i++) {
        nn_net_add_dense(net, c->hidden[i]);
        if (c->is_batch_norm) nn_net_add_bnorm(net);
        nn_net_add_act(net, c->act);
        if (c->dropout > 0) nn_net_add_dropout(net, c->dropout);
    }
    nn_net_add_dense(net, NN_N_CLASSES);
}

/* act then 2x2 max-pool. ReLU is non-decreasing and its gradient is 0
 * wherever it clips, so max-pool first and ReLU after gives bit-identical
 * outputs and gradients at a quarter of the ReLU work. GELU dips below
 * zero, and tanhf can round distinct inputs to one output, which would
 * move pooling ties, so they keep the written order. */
static void add_act_pool(struct nn_net *net, enum nn_act act) {
    if (act == NN_ACT_RELU) {
        nn_net_add_pool(net);
        nn_net_add_act(net, act);
        return;
    }
    nn_net_add_act(net, act);
    nn_net_add_pool(net);
}

static void add_conv_bn_relu(struct nn_net *net, size_t c_out) {
    nn_net_add_conv(net, c_out, 3);
    nn_net_add_bnorm(net);
    nn_net_add_act(net, NN_ACT_RELU);
}

static void add_res_block(struct nn_net *net, size_t width) {
    size_t from = nn_net_next_index(net) - 1; // the block's input
    add_conv_bn_relu(net, width);
    nn_net_add_conv(net, width, 3);
    nn_net_add_bnorm(net);
    nn_net_add_residual(net, from);
    nn_net_add_act(net, NN_ACT_RELU);
}

static void build_resnet(struct nn_net *net, const struct nn_model_cfg *c) {
    add_conv_bn_relu(net, c->width);
    for (size_t i = 0; i < c->depth; i++) add_res_block(net, c->width);
    nn_net_add_pool(net);
    add_conv_bn_relu(net, 2 * c->width);
    for (size_t i = 0; i < c->depth; i++) add_res_block(net, 2 * c->width);
    nn_net_add_pool(net);
    nn_net_add_flatten(net);
    nn_net_add_dense(net, NN_N_CLASSES);
}

void nn_model_build(struct nn_net *net, const struct nn_model_cfg *cfg) {
    switch (cfg->kind) {
    case NN_MODEL_MLP: add_dense_head(net, cfg); break;
    case NN_MODEL_CNN:
        for (size_t i = 0; i < cfg->n_channels; i++) {
            nn_net_add_conv(net, cfg->channels[i], cfg->kernel);
            if (cfg->is_batch_norm) nn_net_add_bnorm(net);
            add_act_pool(net, cfg->act);
        }
        nn_net_add_flatten(net);
        add_dense_head(net, cfg);
        break;
    case NN_MODEL_RESNET: build_resnet(net, cfg); break;
    }
}
