/* nn_loss: softmax cross-entropy over class logits, which also counts
 * correct predictions. Entry point: nn_loss_softmax_ce.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_LOSS_H
#define HPOD_NN_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* Return the mean over the batch of -log softmax(logits)[label].
 * logits: (batch, n_class); labels: (batch). When dlogits is not NULL it
 * receives d(mean loss)/d logits, (batch, n_class). When n_correct is not
 * NULL it receives the number of rows whose arg-max equals the label. */
double nn_loss_softmax_ce(const float *logits, const uint8_t *labels, size_t batch, size_t n_class,
                          float *dlogits, size_t *n_correct);

#endif
