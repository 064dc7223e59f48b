/* nn_train: the training run: split, epochs of shuffled mini-batches,
 * validation, early stopping, checkpoints and resume, divergence and
 * interruption. It reports each epoch through a callback and knows nothing
 * of flags or output formats (cli.c does). Entry point: nn_train_run.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_TRAIN_H
#define HPOD_NN_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_augment.h"
#include "nn_data.h"
#include "nn_err.h"
#include "nn_model.h"
#include "nn_optim.h"
#include "nn_sched.h"

struct nn_train_cfg {
    struct nn_model_cfg model;
    struct nn_optim optim; /* hyperparameters only; state is the run's */
    struct nn_sched sched;
    struct nn_aug aug;
    size_t batch_size;
    int epochs;
    uint64_t seed;
    double val_fraction;           /* share of the training set held out */
    int patience;                  /* epochs without improvement; 0 = never stop */
    double min_delta;              /* smallest change that counts as improvement */
    bool is_monitor_acc;           /* monitor val_accuracy (max), else val_loss */
    double clip;                   /* max global gradient norm; 0 = off */
    const char *checkpoint_path;   /* written after each epoch, or NULL */
    const char *resume_path;       /* checkpoint to continue from, or NULL */
    const char *save_weights_path; /* final parameters as raw floats */
    volatile sig_atomic_t *stop;   /* set by a signal handler, or NULL */
};

struct nn_epoch_report {
    int epoch;     /* 1-based */
    uint64_t step; /* optimiser updates so far */
    double train_loss, train_acc, val_loss, val_acc;
    double lr;        /* at the epoch's last update */
    double epoch_s;   /* this epoch's wall time, validation included */
    double elapsed_s; /* since the run started (this process) */
    bool is_best;
};

typedef void (*nn_epoch_fn)(const struct nn_epoch_report *r, void *ctx);

struct nn_train_result {
    bool is_diverged;            /* a loss became NaN or infinite */
    bool is_interrupted;         /* cfg->stop was set */
    bool is_stopped_early;       /* patience ran out */
    int epochs_run;              /* last completed epoch */
    struct nn_epoch_report best; /* epoch 0 if none completed */
    bool has_test;
    double test_loss, test_acc; /* of the best epoch's weights */
    uint32_t weights_crc;       /* CRC-32 of the final parameters */
    size_t n_params;
};

/* Train cfg's model on train (borrowed) and, when test is not NULL,
 * score the best epoch's weights on it. on_epoch(report, ctx) runs after
 * each epoch. Divergence and interruption are results, not errors.
 * Errors: NN_ERR_CKPT (resume file), NN_ERR_IO (checkpoint or weights
 * write). */
int nn_train_run(const struct nn_train_cfg *cfg, const struct nn_dataset *train,
                 const struct nn_dataset *test, nn_epoch_fn on_epoch, void *ctx,
                 struct nn_train_result *res, struct nn_err *e);

#endif
