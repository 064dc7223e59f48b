/* h_health: liveness and readiness probes (GET /healthz, GET /readyz).
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_HEALTH_H
#define HPOD_H_HEALTH_H

#include "http.h"

/* 200 {"status":"ok"} while the process serves requests. */
void h_health_live(struct req *r);
/* 200 {"status":"ready"} when the database answers and is migrated,
 * else 503 "not_ready". */
void h_health_ready(struct req *r);

#endif
