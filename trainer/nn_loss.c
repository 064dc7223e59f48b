/* nn_loss: numerically stable softmax cross-entropy (log-sum-exp with the
 * row maximum subtracted). Sums run in double so that the reported loss is
 * the same whatever the batch size. Entry point: nn_loss_softmax_ce.
 * SPDX-License-Identifier: MIT */
#include "nn_loss.h"

#include <math.h>

double nn_loss_softmax_ce(const float *logits, const uint8_t *labels, size_t batch, size_t n_class,
                          float *dlogits, size_t *n_correct) {
    double total = 0.0;
    size_t correct = 0;
    for (size_t i = 0; i < batch; i++) {
        const float *z = logits + i * n_class;
        size_t arg = 0;
        for (size_t j = 1; j < n_class; j++) {
            if (z[j] > z[arg]) arg = j;
        }
        correct += arg == labels[i];

        /* Subtract the row max so exp cannot overflow. */
        double sum = 0.0;
        for (size_t j = 0; j < n_class; j++) sum += exp(z[j] - z[arg]);
        double log_sum = log(sum) + z[arg];
        total += log_sum - z[labels[i]];

        if (!dlogits) continue;
        float *d = dlogits + i * n_class;
        for (size_t j = 0; j < n_class; j++) {
            double p = exp(z[j] - log_sum);
            d[j] = (float)((p - (j == labels[i])) / (double)batch);
        }
    }
    if (n_correct) *n_correct = correct;
    return total / (double)batch;
}
