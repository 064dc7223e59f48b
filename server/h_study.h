/* h_study: the study routes: create, list, show, delete, stop, resume,
 * leaderboard, and the server-sent event stream of a study.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_STUDY_H
#define HPOD_H_STUDY_H

#include "http.h"

/* Remember the trainer that native studies are checked against (borrowed
 * for the server's life). */
void h_study_init(const char *train_bin);

void h_study_create(struct req *r);      /* POST /api/v1/studies */
void h_study_list(struct req *r);        /* GET /api/v1/studies */
void h_study_get(struct req *r);         /* GET /api/v1/studies/{id} */
void h_study_delete(struct req *r);      /* DELETE /api/v1/studies/{id} */
void h_study_stop(struct req *r);        /* POST /api/v1/studies/{id}/stop */
void h_study_resume(struct req *r);      /* POST /api/v1/studies/{id}/resume */
void h_study_leaderboard(struct req *r); /* GET /api/v1/studies/{id}/leaderboard */
void h_study_events(struct req *r);      /* GET /api/v1/studies/{id}/events */

#endif
