/* nn_bnorm: batch normalisation with statistics accumulated in double
 * (a mean over 100k values in float loses digits). Element j of channel
 * ch sits at ch*m + j (channel-major) or j*c + ch (dense). Entry points:
 * nn_bnorm_forward, nn_bnorm_backward.
 * SPDX-License-Identifier: MIT */
#include "nn_bnorm.h"

#include <math.h>

static size_t at(const struct nn_bnorm *l, size_t ch, size_t j, size_t m) {
    return l->is_dense ? j * l->c + ch : ch * m + j;
}

static void channel_stats(const struct nn_bnorm *l, const float *x, size_t ch, size_t m,
                          double *mean, double *var) {
    double s = 0.0;
    for (size_t j = 0; j < m; j++) s += x[at(l, ch, j, m)];
    double mu = s / (double)m;
    double v = 0.0;
    for (size_t j = 0; j < m; j++) {
        double d = x[at(l, ch, j, m)] - mu;
        v += d * d;
    }
    *mean = mu;
    *var = v / (double)m;
}

void nn_bnorm_forward(const struct nn_bnorm *l, const float *x, float *y, size_t m, bool is_train) {
    for (size_t ch = 0; ch < l->c; ch++) {
        double mean = l->run_mean[ch], var = l->run_var[ch];
        if (is_train) {
            channel_stats(l, x, ch, m, &mean, &var);
            double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
            l->run_mean[ch] += l->momentum * ((float)mean - l->run_mean[ch]);
            l->run_var[ch] += l->momentum * ((float)unbiased - l->run_var[ch]);
        }
        float inv = (float)(1.0 / sqrt(var + l->eps));
        float mu = (float)mean, g = l->gamma[ch], b = l->beta[ch];
        l->inv_std[ch] = inv;
        for (size_t j = 0; j < m; j++) {
            size_t i = at(l, ch, j, m);
            float xh = (x[i] - mu) * inv;
            if (is_train) l->xhat[i] = xh;
            y[i] = g * xh + b;
        }
    }
}

void nn_bnorm_backward(const struct nn_bnorm *l, const float *dy, float *dx, size_t m) {
    for (size_t ch = 0; ch < l->c; ch++) {
        double sg = 0.0, sb = 0.0;
        for (size_t j = 0; j < m; j++) {
            size_t i = at(l, ch, j, m);
            sg += (double)dy[i] * l->xhat[i];
            sb += dy[i];
        }
        l->dgamma[ch] = (float)sg;
        l->dbeta[ch] = (float)sb;
        /* dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        float k = l->gamma[ch] * l->inv_std[ch];
        float mg = (float)(sg / (double)m), mb = (float)(sb / (double)m);
        for (size_t j = 0; j < m; j++) {
            size_t i = at(l, ch, j, m);
            dx[i] = k * (dy[i] - mb - l->xhat[i] * mg);
        }
    }
}
