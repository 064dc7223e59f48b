/* nn_model: the model families a study can ask for (mlp, cnn, resnet),
 * built from hyperparameters into an nn_net for 10-class 28x28 images.
 * Entry points: nn_model_parse, nn_model_build.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_MODEL_H
#define HPOD_NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_act.h"
#include "nn_net.h"

#define NN_MAX_WIDTHS 16 // hidden layers / conv layers at most
#define NN_N_CLASSES 10

enum nn_model_kind { NN_MODEL_MLP, NN_MODEL_CNN, NN_MODEL_RESNET };

struct nn_model_cfg {
    enum nn_model_kind kind;
    size_t hidden[NN_MAX_WIDTHS]; /* dense widths before the output */
    size_t n_hidden;
    size_t channels[NN_MAX_WIDTHS]; /* cnn: filters of each conv */
    size_t n_channels;
    size_t kernel; /* cnn: kernel size (odd) */
    enum nn_act act;
    float dropout;      /* after each hidden dense layer, 0 = none */
    bool is_batch_norm; /* mlp, cnn: batch norm before activations */
    size_t depth;       /* resnet: residual blocks per stage */
    size_t width;       /* resnet: channels of the first stage */
};

/* Map "mlp", "cnn" or "resnet"; -1 otherwise. */
int nn_model_parse(const char *name, enum nn_model_kind *out);

/* Append cfg's layers to net, freshly initialised with nn_net_init for
 * (1, h, w) inputs. The caller then calls nn_net_finish. */
void nn_model_build(struct nn_net *net, const struct nn_model_cfg *cfg);

#endif
