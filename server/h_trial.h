/* h_trial: the trial routes of a study: enqueue, list, show, curves, and
 * the ask/report/heartbeat/complete/fail protocol of external pipelines.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_TRIAL_H
#define HPOD_H_TRIAL_H

#include "http.h"

void h_trial_enqueue(struct req *r);   /* POST /api/v1/studies/{id}/trials */
void h_trial_list(struct req *r);      /* GET  /api/v1/studies/{id}/trials */
void h_trial_get(struct req *r);       /* GET  /api/v1/studies/{id}/trials/{n} */
void h_trial_curves(struct req *r);    /* GET  /api/v1/studies/{id}/curves */
void h_trial_ask(struct req *r);       /* POST .../trials/ask */
void h_trial_report(struct req *r);    /* POST .../trials/{n}/report */
void h_trial_heartbeat(struct req *r); /* POST .../trials/{n}/heartbeat */
void h_trial_complete(struct req *r);  /* POST .../trials/{n}/complete */
void h_trial_fail(struct req *r);      /* POST .../trials/{n}/fail */
void h_trial_release(struct req *r);   /* POST .../trials/{n}/release */

#endif
