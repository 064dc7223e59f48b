/* codec_trial: request bodies and query strings of the trial routes
 * (enqueue, ask, report, complete, fail, list), validated against the
 * study. Errors are 422 (400 for query strings) naming the field.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CODEC_TRIAL_H
#define HPOD_CODEC_TRIAL_H

#include <jansson.h>

#include "codec_study.h"
#include "err.h"
#include "store_trial.h"

/* Objective values from {"values": [...]}, {"value": x} or, failing both,
 * {"metrics": {...}} keyed by objective names. null, "nan", "inf" and
 * "-inf" stand for non-finite values (JSON has no NaN). */
int codec_trial_values(const json_t *body, const struct study *s, double *out, struct err *e);

/* {"params": {...}, "values"?: [...]}: *params borrowed from body;
 * *has_values says whether values were given (a warm-start trial). */
int codec_trial_enqueue(const json_t *body, const struct study *s, const json_t **params,
                        double *values, int *has_values, struct err *e);

/* {"worker": "name", "count"?: n}. worker borrowed from body. */
int codec_trial_ask(const json_t *body, const char **worker, int *count, struct err *e);

/* Writes on a leased trial may name the worker that holds the lease,
 * "worker": "name"; *worker is then borrowed from body, else NULL. */

/* {"step": n, "values"|"value"|"metrics": ..., "worker"?: ...}. */
int codec_trial_report(const json_t *body, const struct study *s, struct trial_report *rep,
                       const char **worker, struct err *e);

/* {"values"|"value"|"metrics": ..., "worker"?: ...} for complete. */
int codec_trial_complete(const json_t *body, const struct study *s, double *values,
                         const char **worker, struct err *e);

/* {"reason": "...", "stderr_tail"?: "...", "worker"?: ...}; strings
 * borrowed. */
int codec_trial_fail(const json_t *body, const char **reason, const char **stderr_tail,
                     const char **worker, struct err *e);

/* The optional body of heartbeat and release: {"worker"?: ...}, or no body
 * at all (body NULL). */
int codec_trial_holder(const json_t *body, const char **worker, struct err *e);

/* A path segment as a trial number. 404 "trial_not_found" if not one. */
int codec_trial_number(const char *s, int *number, struct err *e);

/* Parse a query-string integer in [min, max]; 400 "bad_query". */
int codec_trial_query_int(const char *v, const char *name, int min, int max, int dflt, int *out,
                          struct err *e);

#endif
