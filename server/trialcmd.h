/* trialcmd: the command line and environment of one trial, from its
 * study and parameters: bin/hpod-train with --params for native studies,
 * the study's argv with {placeholders} filled for command studies.
 * Entry points: trialcmd_build, trialcmd_cleanup.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_TRIALCMD_H
#define HPOD_TRIALCMD_H

#include <jansson.h>
#include <stddef.h>

#include "codec_study.h"
#include "err.h"

#define TRIALCMD_FASHION_MNIST "/usr/share/datasets/fashion-mnist"

struct trialcmd {
    char **argv; /* NULL-terminated, owned */
    char **envp; /* NULL-terminated, owned */
    const char *cwd;
};

struct trialcmd_in {
    const struct study *study;
    const json_t *params;  /* the trial's parameters */
    int number;            /* the trial number */
    int threads;           /* threads the trial may use */
    const char *train_bin; /* path of bin/hpod-train */
};

/* When p starts a placeholder "{name}" (name: a letter or '_', then
 * letters, digits, '_', '.', '-'), return the length of name; else 0. */
size_t trialcmd_placeholder(const char *p);

/* Fill cmd (caller storage) for a native or command study. */
void trialcmd_build(const struct trialcmd_in *in, struct trialcmd *cmd);
void trialcmd_cleanup(struct trialcmd *cmd);

/* Check a native or command study before it is stored, so that a study
 * whose trials could never start, or would lose a parameter, is refused
 * instead of failing its whole budget. Native: the data set must exist,
 * and bin/hpod-train must accept the fixed settings with every parameter
 * at its low bound or first choice (a one-epoch run on a few generated
 * images). Command: no two parameters may map to one HPOD_PARAM_<NAME>
 * variable (x and X). Errors: 422 "bad_value" on "trainer.dataset", or
 * on the parameter or setting at fault ("space.x", "trainer.fixed.x",
 * else "trainer"). Stored studies are not re-checked when loaded. */
int trialcmd_check(const struct study *s, const char *train_bin, struct err *e);

#endif
