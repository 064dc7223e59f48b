/* h_metrics: GET /metrics in Prometheus text format.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_METRICS_H
#define HPOD_H_METRICS_H

#include "http.h"

void h_metrics_get(struct req *r);

#endif
