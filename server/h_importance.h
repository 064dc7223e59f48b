/* h_importance: the parameter-importance endpoint of a study.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_IMPORTANCE_H
#define HPOD_H_IMPORTANCE_H

#include "http.h"

/* GET /api/v1/studies/{id}/importance[?objective=NAME]: each parameter's
 * share of the objective's variance over the complete trials, sorted from
 * most to least important, summing to 1. Errors: 404 "study_not_found",
 * 400 "bad_query" (field "objective") for an unknown objective. */
void h_importance_get(struct req *r);

#endif
