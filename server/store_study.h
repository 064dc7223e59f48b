/* store_study: all SQL about studies: create, read (as API JSON), list,
 * delete, stop/resume, and the end-of-study checks.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_STORE_STUDY_H
#define HPOD_STORE_STUDY_H

#include <jansson.h>

#include "codec_study.h"
#include "err.h"

/* Insert a validated study; returns its API JSON (new reference) or NULL.
 * Errors: 409 "study_exists" when the name is taken. */
json_t *store_study_create(const struct study *s, struct err *e);

/* A study by id or, when key is not all digits, by name: API JSON (new
 * reference) or NULL with 404 "study_not_found". */
json_t *store_study_get(const char *key, struct err *e);

/* Resolve key (id or name) to an id. 404 "study_not_found". */
int store_study_id(const char *key, long long *id, struct err *e);

/* Every study, newest first, as {"studies": [...]}; optional state filter. */
json_t *store_study_list(const char *state, struct err *e);

/* Delete a study with its trials and curves. 404 "study_not_found". */
int store_study_delete(long long id, struct err *e);

/* Stop (running -> stopped) or resume (stopped -> running). Returns the
 * study JSON; 409 "bad_state" when the study is in another state. */
json_t *store_study_stop(long long id, struct err *e);
json_t *store_study_resume(long long id, struct err *e);

/* Load and parse the definition of the study with this id or name into s
 * (from a cache when key is an id). The caller gives it back with
 * store_study_release, on failure too. 404 "study_not_found". */
int store_study_load(const char *key, struct study *s, struct err *e);
void store_study_release(struct study *s);

/* Mark studies done whose budget is spent, whose grid is exhausted, or
 * whose timeout passed: one study (study_id > 0) or all (0). Returns how
 * many changed. Safe to call from any server at any time. */
int store_study_finish_due(long long study_id, struct err *e);

/* Ids of running studies whose trials the server runs itself (trainer
 * kind native or command), oldest first, at most max; returns how many. */
int store_study_runnable(long long *ids, int max, struct err *e);

/* The state of study id into buf ("running", "stopped", "done"); 404
 * "study_not_found" when it was deleted. */
int store_study_state(long long id, char *buf, size_t n, struct err *e);

#endif
