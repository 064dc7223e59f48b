/* nn_train: one training run. Everything that must survive a restart
 * (counters, best metrics, RNG, optimiser moments, weights, running
 * statistics, best weights) is listed once in ckpt_parts, so save and
 * resume cannot drift apart. The epoch order is rebuilt from the split
 * and the saved RNG each epoch, which makes a resumed run replay the
 * uninterrupted one exactly. Entry point: nn_train_run.
 * SPDX-License-Identifier: MIT */
#include "nn_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_ckpt.h"
#include "nn_log.h"
#include "nn_loss.h"
#include "nn_mem.h"

#define STATE_VERSION 1u

/* A batch loss above this counts as divergence, like NaN. Chance level on
 * 10 classes is ln 10 = 2.3; Adam with an absurd lr (1e6) keeps losses
 * finite near 1e20 for many epochs, which would waste a trial. */
#define DIVERGED_LOSS 1e4

/* The counters a checkpoint carries; fixed-size fields only. */
struct run_state {
    uint32_t version;
    int32_t epoch;      /* epochs completed */
    int32_t bad_epochs; /* epochs since the monitored metric improved */
    int32_t pad;
    uint64_t step; /* optimiser updates */
    uint64_t optim_t;
    uint64_t rng[4];
    struct nn_epoch_report best;
};

struct run {
    const struct nn_train_cfg *cfg;
    struct nn_net net;
    struct nn_optim opt;
    struct nn_split split;
    uint32_t *order;     /* (n_train) this epoch's order */
    float *x;            /* (batch, 784) current inputs */
    uint8_t *y;          /* (batch) labels */
    float *dlogits;      /* (batch, 10) */
    float *best_params;  /* (n_params) weights of the best epoch */
    float *best_buffers; /* (n_buffers) */
    struct nn_rng rng;   /* shuffling, augmentation, dropout */
    struct run_state st;
    double t0;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_init(struct run *r, const struct nn_train_cfg *cfg,
                     const struct nn_dataset *train) {
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    r->t0 = now_s();
    struct nn_rng init;
    nn_rng_seed(&init, cfg->seed, 2);
    nn_net_init(&r->net, 1, train->h, train->w);
    nn_model_build(&r->net, &cfg->model);
    nn_net_finish(&r->net, cfg->batch_size, &init);

    r->opt = cfg->optim;
    nn_optim_init(&r->opt, r->net.n_params);
    nn_data_split(&r->split, train->n, cfg->val_fraction, cfg->seed);
    r->order = nn_xmalloc(r->split.n_train, sizeof *r->order);
    r->x = nn_xmalloc(cfg->batch_size, train->h * train->w * sizeof(float));
    r->y = nn_xmalloc(cfg->batch_size, 1);
    r->dlogits = nn_xmalloc(cfg->batch_size, NN_N_CLASSES * sizeof(float));
    r->best_params = nn_xmalloc(r->net.n_params, sizeof(float));
    r->best_buffers = nn_xmalloc(r->net.n_buffers, sizeof(float));
    nn_rng_seed(&r->rng, cfg->seed, 3);
    r->st.version = STATE_VERSION;
}

static void run_cleanup(struct run *r) {
    nn_net_cleanup(&r->net);
    nn_optim_cleanup(&r->opt);
    nn_data_split_cleanup(&r->split);
    free(r->order);
    free(r->x);
    free(r->y);
    free(r->dlogits);
    free(r->best_params);
    free(r->best_buffers);
}

/* The one list of what a checkpoint holds, in file order. */
static size_t ckpt_parts(struct run *r, struct nn_ckpt_part *p) {
    size_t np = r->net.n_params * sizeof(float);
    size_t nb = r->net.n_buffers * sizeof(float);
    size_t n = 0;
    p[n++] = (struct nn_ckpt_part){&r->st, sizeof r->st};
    p[n++] = (struct nn_ckpt_part){r->net.params, np};
    p[n++] = (struct nn_ckpt_part){r->net.buffers, nb};
    p[n++] = (struct nn_ckpt_part){r->opt.m, np};
    p[n++] = (struct nn_ckpt_part){r->opt.v, np};
    p[n++] = (struct nn_ckpt_part){r->best_params, np};
    p[n++] = (struct nn_ckpt_part){r->best_buffers, nb};
    return n;
}

static int save_checkpoint(struct run *r, struct nn_err *e) {
    memcpy(r->st.rng, r->rng.s, sizeof r->st.rng);
    r->st.optim_t = r->opt.t;
    struct nn_ckpt_part parts[8];
    size_t n = ckpt_parts(r, parts);
    return nn_ckpt_save(r->cfg->checkpoint_path, parts, n, e);
}

/* TODO: a checkpoint records sizes, not hyperparameters, so resuming with
 * a different lr, optimiser or seed but the same architecture is accepted
 * silently and no longer replays the original run. Storing a hash of the
 * flags in run_state and comparing it here would catch that. */
static int resume(struct run *r, struct nn_err *e) {
    struct nn_ckpt_part parts[8];
    size_t n = ckpt_parts(r, parts);
    if (nn_ckpt_load(r->cfg->resume_path, parts, n, e) < 0) return -1;
    if (r->st.version != STATE_VERSION) {
        return nn_err_set(e, NN_ERR_CKPT,
                          "checkpoint %s has version %u, "
                          "expected %u",
                          r->cfg->resume_path, r->st.version, STATE_VERSION);
    }
    memcpy(r->rng.s, r->st.rng, sizeof r->st.rng);
    r->opt.t = r->st.optim_t;
    nn_log_info("resumed", "path=%s epoch=%d step=%llu", r->cfg->resume_path, r->st.epoch,
                (unsigned long long)r->st.step);
    return 0;
}

/* Mean loss and accuracy of the current weights on images idx[0..n). */
static void evaluate(struct run *r, const struct nn_dataset *ds, const uint32_t *idx, size_t n,
                     double *loss, double *acc) {
    double sum = 0.0;
    size_t correct = 0, bs = r->cfg->batch_size;
    for (size_t b0 = 0; b0 < n; b0 += bs) {
        size_t nb = n - b0 < bs ? n - b0 : bs, ok;
        nn_data_batch(ds, idx + b0, nb, r->x, r->y, NULL, NULL);
        const float *z = nn_net_forward(&r->net, r->x, nb, false, NULL);
        sum += nn_loss_softmax_ce(z, r->y, nb, NN_N_CLASSES, NULL, &ok) * (double)nb;
        correct += ok;
    }
    *loss = n ? sum / (double)n : 0.0;
    *acc = n ? (double)correct / (double)n : 0.0;
}

enum epoch_end { EPOCH_DONE, EPOCH_DIVERGED, EPOCH_INTERRUPTED };

/* One pass over the shuffled training images; fills the train_* fields
 * and lr of rep. */
static enum epoch_end train_epoch(struct run *r, const struct nn_dataset *train,
                                  struct nn_epoch_report *rep) {
    const struct nn_train_cfg *cfg = r->cfg;
    size_t n = r->split.n_train, bs = cfg->batch_size;
    size_t n_steps = (n + bs - 1) / bs;
    memcpy(r->order, r->split.train, n * sizeof *r->order);
    nn_rng_shuffle(&r->rng, r->order, n);

    double sum = 0.0;
    size_t correct = 0;
    for (size_t i = 0; i < n_steps; i++) {
        if (cfg->stop && *cfg->stop) return EPOCH_INTERRUPTED;
        size_t b0 = i * bs, nb = n - b0 < bs ? n - b0 : bs, ok;
        nn_data_batch(train, r->order + b0, nb, r->x, r->y, &cfg->aug, &r->rng);
        const float *z = nn_net_forward(&r->net, r->x, nb, true, &r->rng);
        double loss = nn_loss_softmax_ce(z, r->y, nb, NN_N_CLASSES, r->dlogits, &ok);
        if (!isfinite(loss) || loss > DIVERGED_LOSS) return EPOCH_DIVERGED;
        sum += loss * (double)nb;
        correct += ok;

        nn_net_backward(&r->net, r->dlogits, nb);
        if (cfg->clip > 0) {
            nn_optim_clip(r->net.grads, r->net.n_params, cfg->clip);
        }
        double pos = (double)(rep->epoch - 1) + (double)i / (double)n_steps;
        rep->lr = nn_sched_lr(&cfg->sched, pos, 1.0 / (double)n_steps);
        nn_optim_step(&r->opt, r->net.params, r->net.grads, (float)rep->lr);
        r->st.step++;
    }
    rep->step = r->st.step;
    rep->train_loss = sum / (double)n;
    rep->train_acc = (double)correct / (double)n;
    return EPOCH_DONE;
}

/* Compare rep with the best so far; keep its weights when it is better
 * and count epochs without improvement otherwise. */
static void track_best(struct run *r, struct nn_epoch_report *rep) {
    const struct nn_train_cfg *cfg = r->cfg;
    const struct nn_epoch_report *b = &r->st.best;
    bool is_better;
    if (b->epoch == 0) {
        is_better = true;
    } else if (cfg->is_monitor_acc) {
        is_better = rep->val_acc > b->val_acc + cfg->min_delta;
    } else {
        is_better = rep->val_loss < b->val_loss - cfg->min_delta;
    }
    rep->is_best = is_better;
    if (!is_better) {
        r->st.bad_epochs++;
        return;
    }
    r->st.bad_epochs = 0;
    r->st.best = *rep;
    memcpy(r->best_params, r->net.params, r->net.n_params * sizeof(float));
    memcpy(r->best_buffers, r->net.buffers, r->net.n_buffers * sizeof(float));
}

static int save_weights(const char *path, const float *w, size_t n, struct nn_err *e) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        return nn_err_set(e, NN_ERR_IO, "cannot create weights file %s", path);
    }
    size_t put = fwrite(w, sizeof *w, n, f);
    if (fclose(f) != 0 || put != n) {
        return nn_err_set(e, NN_ERR_IO, "cannot write weights file %s", path);
    }
    return 0;
}

/* After the last epoch: fingerprint and save the final weights, then
 * score the best epoch's weights on the test set when there is one. */
static int finish(struct run *r, const struct nn_dataset *test, struct nn_train_result *res,
                  struct nn_err *e) {
    size_t np = r->net.n_params;
    res->weights_crc = nn_ckpt_crc(r->net.params, np * sizeof(float));
    const char *path = r->cfg->save_weights_path;
    if (path && save_weights(path, r->net.params, np, e) < 0) return -1;
    if (!test || r->st.best.epoch == 0) return 0;

    memcpy(r->net.params, r->best_params, np * sizeof(float));
    memcpy(r->net.buffers, r->best_buffers, r->net.n_buffers * sizeof(float));
    uint32_t *all = nn_xmalloc(test->n, sizeof *all);
    for (size_t i = 0; i < test->n; i++) all[i] = (uint32_t)i;
    evaluate(r, test, all, test->n, &res->test_loss, &res->test_acc);
    free(all);
    res->has_test = true;
    return 0;
}

/* The epoch loop; returns -1 only for errors (checkpoint writes). */
static int run_epochs(struct run *r, const struct nn_dataset *train, nn_epoch_fn on_epoch,
                      void *ctx, struct nn_train_result *res, struct nn_err *e) {
    const struct nn_train_cfg *cfg = r->cfg;
    for (int ep = r->st.epoch + 1; ep <= cfg->epochs; ep++) {
        double t_start = now_s();
        struct nn_epoch_report rep = {.epoch = ep};
        enum epoch_end end = train_epoch(r, train, &rep);
        if (end == EPOCH_DIVERGED) res->is_diverged = true;
        if (end == EPOCH_INTERRUPTED) res->is_interrupted = true;
        if (end != EPOCH_DONE) return 0;

        evaluate(r, train, r->split.val, r->split.n_val, &rep.val_loss, &rep.val_acc);
        if (!isfinite(rep.val_loss)) {
            res->is_diverged = true;
            return 0;
        }
        rep.epoch_s = now_s() - t_start;
        rep.elapsed_s = now_s() - r->t0;
        track_best(r, &rep);
        r->st.epoch = ep;
        res->epochs_run = ep;
        if (cfg->checkpoint_path && save_checkpoint(r, e) < 0) return -1;
        on_epoch(&rep, ctx);
        if (cfg->patience > 0 && r->st.bad_epochs >= cfg->patience) {
            res->is_stopped_early = true;
            return 0;
        }
    }
    return 0;
}

int nn_train_run(const struct nn_train_cfg *cfg, const struct nn_dataset *train,
                 const struct nn_dataset *test, nn_epoch_fn on_epoch, void *ctx,
                 struct nn_train_result *res, struct nn_err *e) {
    memset(res, 0, sizeof *res);
    struct run r;
    run_init(&r, cfg, train);
    res->n_params = r.net.n_params;
    nn_log_info("run_start", "params=%zu n_train=%zu n_val=%zu", r.net.n_params, r.split.n_train,
                r.split.n_val);

    int rc = cfg->resume_path ? resume(&r, e) : 0;
    res->epochs_run = r.st.epoch;
    if (rc == 0) rc = run_epochs(&r, train, on_epoch, ctx, res, e);
    res->best = r.st.best;
    if (rc == 0 && !res->is_diverged && !res->is_interrupted) {
        rc = finish(&r, test, res, e);
    }
    run_cleanup(&r);
    return rc;
}
