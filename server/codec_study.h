/* codec_study: a study definition from JSON, validated field by field and
 * normalised (defaults filled in), into struct study; and back to JSON.
 * Entry points: codec_study_parse, codec_study_load, codec_study_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CODEC_STUDY_H
#define HPOD_CODEC_STUDY_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "space.h"

#define STUDY_MAX_OBJECTIVES 16

enum trainer_kind { TRAINER_NATIVE, TRAINER_COMMAND, TRAINER_EXTERNAL };
enum on_lost { ON_LOST_RETRY, ON_LOST_FAIL };

/* A parsed definition. Strings and json pointers borrow from def. */
struct study {
    long long id; /* 0 until stored */
    const char *name;
    int n_objectives;
    const char *objective[STUDY_MAX_OBJECTIVES];
    int maximize[STUDY_MAX_OBJECTIVES];
    struct space *space; /* owned */
    const char *searcher;
    uint64_t seed;
    const json_t *searcher_options;
    const char *pruner; /* "none" when the study has none */
    const json_t *pruner_options;
    long long max_trials;
    long long parallel;
    double timeout_s;       /* 0: no limit */
    double trial_timeout_s; /* 0: no limit */
    double lease_s;
    enum on_lost on_lost;
    int max_retries;
    enum trainer_kind trainer_kind;
    const json_t *trainer;
    const char *webhook; /* NULL when none */
    json_t *def;         /* owned: the normalised definition */
    int cache_slot;      /* store_study's cache entry + 1, or 0 */
};

/* Validate a posted definition and fill s (caller storage; release with
 * codec_study_cleanup even on failure). Errors are 422 with codes
 * bad_type, missing_field, unknown_field, bad_range, bad_value,
 * bad_condition and the JSON path of the field. Borrows body. */
int codec_study_parse(const json_t *body, struct study *s, struct err *e);

/* Rebuild s from a stored definition (already valid). Borrows def. */
int codec_study_load(long long id, const json_t *def, struct study *s, struct err *e);

void codec_study_cleanup(struct study *s);

/* Whether key could name a study at all: a study name (letters, digits,
 * '.', '_', '-', at most CODEC_STUDY_NAME_MAX) or an id (digits). */
#define CODEC_STUDY_NAME_MAX 128
int codec_study_key_ok(const char *key);

/* Index of objective name, or -1. */
int codec_study_objective(const struct study *s, const char *name);

#endif
