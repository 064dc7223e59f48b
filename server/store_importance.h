/* store_importance: the one query behind parameter importance: every
 * complete trial of a study, decoded into numbers. It computes nothing;
 * importance.c does. Entry point: store_importance_load.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_STORE_IMPORTANCE_H
#define HPOD_STORE_IMPORTANCE_H

#include <stddef.h>

#include "codec_study.h"
#include "err.h"

/* Read the complete trials of study s that have a value for objective
 * (0-based). On success *x is a new n x s->space->n_params array of
 * values as space_decode gives them, *y a new array of the n objective
 * values (free both with free()), and *n their count, possibly 0.
 * Errors: 500 "internal" when the query fails. */
int store_importance_load(const struct study *s, int objective, double **x, double **y, size_t *n,
                          struct err *e);

#endif
