/* test_nn_train: end-to-end behaviour of the training library on
 * synthetic data: a fixed-seed tiny run whose loss must fall below a
 * stated threshold, resume from a checkpoint giving the same weights as an
 * uninterrupted run, corrupt checkpoints refused, schedule shapes, and the
 * residual network training at all.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn_ckpt.h"
#include "nn_data.h"
#include "nn_sched.h"
#include "nn_train.h"
#include "suite_run.h"

/* Chance-level loss on 10 classes is ln 10 = 2.30; a working trainer gets
 * the synthetic bars below 0.5 in 3 epochs of 1200 images. */
#define TINY_RUN_MAX_LOSS 0.5

static struct nn_train_cfg tiny_cfg(void) {
    struct nn_train_cfg c = {0};
    c.model = (struct nn_model_cfg){
        .kind = NN_MODEL_MLP, .hidden = {32}, .n_hidden = 1, .act = NN_ACT_RELU, .dropout = 0.1f};
    c.optim = (struct nn_optim){.kind = NN_ADAM, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    c.sched = (struct nn_sched){.kind = NN_SCHED_CONSTANT, .lr = 1e-3};
    c.batch_size = 32;
    c.epochs = 3;
    c.seed = 42;
    c.val_fraction = 0.2;
    return c;
}

static double last_train_loss;
static void on_epoch(const struct nn_epoch_report *r, void *ctx) {
    (void)ctx;
    last_train_loss = r->train_loss;
}

START_TEST(test_tiny_run_loss_falls_below_threshold) {
    struct nn_dataset ds;
    nn_data_synthetic(&ds, 1500, 1);
    struct nn_train_cfg cfg = tiny_cfg();
    struct nn_train_result res;
    struct nn_err e = {0};
    ck_assert_int_eq(nn_train_run(&cfg, &ds, NULL, on_epoch, NULL, &res, &e), 0);
    printf("tiny run: final train loss %.4f (threshold %.2f), val acc %.3f\n", last_train_loss,
           TINY_RUN_MAX_LOSS, res.best.val_acc);
    ck_assert(last_train_loss < TINY_RUN_MAX_LOSS);
    ck_assert(res.best.val_acc > 0.9);
    nn_data_cleanup(&ds);
}
END_TEST

START_TEST(test_resume_gives_same_weights_as_uninterrupted_run) {
    struct nn_dataset ds;
    nn_data_synthetic(&ds, 600, 2);
    char path[] = "/tmp/test_nn_train_ckpt_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    struct nn_err e = {0};
    struct nn_train_result full, part, resumed;

    struct nn_train_cfg cfg = tiny_cfg();
    cfg.aug = (struct nn_aug){.shift_px = 2, .rotate_deg = 10};
    ck_assert_int_eq(nn_train_run(&cfg, &ds, NULL, on_epoch, NULL, &full, &e), 0);
    cfg.epochs = 1;
    cfg.checkpoint_path = path;
    ck_assert_int_eq(nn_train_run(&cfg, &ds, NULL, on_epoch, NULL, &part, &e), 0);
    cfg.epochs = 3;
    cfg.checkpoint_path = NULL;
    cfg.resume_path = path;
    ck_assert_int_eq(nn_train_run(&cfg, &ds, NULL, on_epoch, NULL, &resumed, &e), 0);
    printf("weights crc: full %08x resumed %08x\n", full.weights_crc, resumed.weights_crc);
    ck_assert_uint_eq(full.weights_crc, resumed.weights_crc);
    ck_assert_int_eq(full.best.epoch, resumed.best.epoch);
    unlink(path);
    nn_data_cleanup(&ds);
}
END_TEST

START_TEST(test_corrupt_checkpoint_is_refused) {
    char path[] = "/tmp/test_nn_ckpt_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    float w[256];
    for (int i = 0; i < 256; i++) w[i] = (float)i;
    struct nn_ckpt_part part = {w, sizeof w};
    struct nn_err e = {0};
    ck_assert_int_eq(nn_ckpt_save(path, &part, 1, &e), 0);
    ck_assert_int_eq(nn_ckpt_load(path, &part, 1, &e), 0);

    FILE *f = fopen(path, "r+b");
    fseek(f, 40, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
    ck_assert_int_eq(nn_ckpt_load(path, &part, 1, &e), -1);
    ck_assert_str_eq(e.code, NN_ERR_CKPT);

    struct nn_ckpt_part other = {w, sizeof w / 2};
    ck_assert_int_eq(nn_ckpt_load(path, &other, 1, &e), -1);
    unlink(path);
}
END_TEST

START_TEST(test_schedules_have_expected_shape) {
    struct nn_sched s = {
        .kind = NN_SCHED_STEP, .lr = 1.0, .gamma = 0.1, .step_epochs = 2, .total_epochs = 10};
    ck_assert(fabs(nn_sched_lr(&s, 1.5, 0.01) - 1.0) < 1e-12);
    ck_assert(fabs(nn_sched_lr(&s, 2.0, 0.01) - 0.1) < 1e-12);
    s.kind = NN_SCHED_COSINE;
    ck_assert(fabs(nn_sched_lr(&s, 5.0, 0.01) - 0.5) < 1e-9);
    s.kind = NN_SCHED_RESTARTS;
    s.restart_epochs = 2;
    s.restart_mult = 1;
    ck_assert(fabs(nn_sched_lr(&s, 2.0, 0.01) - 1.0) < 1e-9); // restart
    s.kind = NN_SCHED_CONSTANT;
    s.warmup_epochs = 2;
    ck_assert(fabs(nn_sched_lr(&s, 0.99, 0.01) - 0.5) < 1e-9);
}
END_TEST

START_TEST(test_resnet_learns_synthetic_data) {
    struct nn_dataset ds;
    nn_data_synthetic(&ds, 400, 3);
    struct nn_train_cfg cfg = tiny_cfg();
    cfg.model = (struct nn_model_cfg){.kind = NN_MODEL_RESNET, .depth = 1, .width = 4};
    cfg.epochs = 2;
    cfg.sched.lr = 3e-3;
    struct nn_train_result res;
    struct nn_err e = {0};
    ck_assert_int_eq(nn_train_run(&cfg, &ds, NULL, on_epoch, NULL, &res, &e), 0);
    printf("resnet: train loss %.3f val acc %.3f\n", last_train_loss, res.best.val_acc);
    ck_assert(last_train_loss < 1.5);
    nn_data_cleanup(&ds);
}
END_TEST

int main(void) {
    Suite *s = suite_create("nn_train");
    TCase *tc = tcase_create("runs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tiny_run_loss_falls_below_threshold);
    tcase_add_test(tc, test_resume_gives_same_weights_as_uninterrupted_run);
    tcase_add_test(tc, test_corrupt_checkpoint_is_refused);
    tcase_add_test(tc, test_schedules_have_expected_shape);
    tcase_add_test(tc, test_resnet_learns_synthetic_data);
    suite_add_tcase(s, tc);
    return suite_run(s);
}
