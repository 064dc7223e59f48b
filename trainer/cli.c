/* cli: bin/hpod-train, the trainer process the scheduler runs. It parses
 * flags (and --params JSON), loads data, runs nn_train_run and speaks the
 * JSON-lines protocol on stdout; logs go to stderr in logfmt. It holds no
 * training logic. Exit statuses: 0 done, 1 internal or write error,
 * 2 bad input (flag, value, data file, checkpoint), 3 diverged, 143
 * stopped by SIGTERM.
 *
 * --params takes one JSON object whose keys are flag names with '_' for
 * '-' ("batch_size"), applied where it stands: later flags override it.
 * Values may be strings, numbers or booleans; "hidden" and "channels" may
 * be arrays or "256,128" strings. To search depth a study may instead send
 * "n_layers" with "width_1" ... "width_N" (a missing width_i falls back to
 * "units"), or "units" alone to give every hidden layer the same width.
 * SPDX-License-Identifier: MIT */
#include <cblas.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_data.h"
#include "nn_err.h"
#include "nn_log.h"
#include "nn_par.h"
#include "nn_train.h"

#define EXIT_BAD_INPUT 2
#define EXIT_DIVERGED 3
#define EXIT_SIGTERM 143 // 128 + SIGTERM, what a shell reports
#define MAX_LAYER_KEYS 16

struct cli {
    struct nn_train_cfg cfg;
    const char *data_dir;
    size_t limit_train;
    size_t synthetic; /* generated images instead of files; 0 = off */
    bool is_test;
    bool has_hidden; /* --hidden given (else the model's default) */
    bool has_dropout;
    const char *print_metric; /* --print, or NULL for JSON lines */
    int threads;
    long n_layers;                     /* --params n_layers, or 0 */
    size_t widths[MAX_LAYER_KEYS + 1]; /* width_1.. from --params */
    size_t units;
    char *owned[64]; /* strings copied out of --params JSON */
    size_t n_owned;
};

static volatile sig_atomic_t stop_flag;

static void on_sigterm(int sig) {
    (void)sig;
    stop_flag = 1;
}

static const struct option options[] = {
    {"data", required_argument, 0, 0},
    {"model", required_argument, 0, 0},
    {"hidden", required_argument, 0, 0},
    {"channels", required_argument, 0, 0},
    {"kernel", required_argument, 0, 0},
    {"activation", required_argument, 0, 0},
    {"dropout", required_argument, 0, 0},
    {"batch-norm", no_argument, 0, 0},
    {"depth", required_argument, 0, 0},
    {"width", required_argument, 0, 0},
    {"lr", required_argument, 0, 0},
    {"min-lr", required_argument, 0, 0},
    {"batch-size", required_argument, 0, 0},
    {"optimizer", required_argument, 0, 0},
    {"momentum", required_argument, 0, 0},
    {"beta1", required_argument, 0, 0},
    {"beta2", required_argument, 0, 0},
    {"weight-decay", required_argument, 0, 0},
    {"schedule", required_argument, 0, 0},
    {"gamma", required_argument, 0, 0},
    {"step-epochs", required_argument, 0, 0},
    {"restart-epochs", required_argument, 0, 0},
    {"restart-mult", required_argument, 0, 0},
    {"warmup-epochs", required_argument, 0, 0},
    {"clip", required_argument, 0, 0},
    {"epochs", required_argument, 0, 0},
    {"seed", required_argument, 0, 0},
    {"val-fraction", required_argument, 0, 0},
    {"patience", required_argument, 0, 0},
    {"min-delta", required_argument, 0, 0},
    {"monitor", required_argument, 0, 0},
    {"shift", required_argument, 0, 0},
    {"rotate", required_argument, 0, 0},
    {"flip", no_argument, 0, 0},
    {"threads", required_argument, 0, 0},
    {"limit-train", required_argument, 0, 0},
    {"synthetic", required_argument, 0, 0},
    {"test", no_argument, 0, 0},
    {"checkpoint", required_argument, 0, 0},
    {"resume", required_argument, 0, 0},
    {"save-weights", required_argument, 0, 0},
    {"print", required_argument, 0, 0},
    {"params", required_argument, 0, 0},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static void defaults(struct cli *c) {
    memset(c, 0, sizeof *c);
    struct nn_train_cfg *t = &c->cfg;
    c->data_dir = "/usr/share/datasets/fashion-mnist";
    c->threads = 1;
    t->model = (struct nn_model_cfg){.kind = NN_MODEL_MLP,
                                     .hidden = {256, 128},
                                     .n_hidden = 2,
                                     .channels = {32, 64},
                                     .n_channels = 2,
                                     .kernel = 5,
                                     .act = NN_ACT_RELU,
                                     .depth = 2,
                                     .width = 16};
    t->optim = (struct nn_optim){
        .kind = NN_ADAM, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    t->sched = (struct nn_sched){.kind = NN_SCHED_CONSTANT,
                                 .lr = 1e-3,
                                 .gamma = 0.1,
                                 .step_epochs = 10,
                                 .restart_epochs = 2,
                                 .restart_mult = 2};
    t->batch_size = 128;
    t->epochs = 10;
    t->seed = 1;
    t->val_fraction = 1.0 / 6.0;
    t->stop = &stop_flag;
}

struct range {
    double lo, hi;
    bool is_lo_open, is_hi_open; /* exclude the bound itself */
};

static int parse_real(const char *flag, const char *v, struct range r, double *out,
                      struct nn_err *e) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || !isfinite(x)) {
        return nn_err_set(e, NN_ERR_INPUT, "--%s needs a number, got '%s'", flag, v);
    }
    bool is_low = r.is_lo_open ? x <= r.lo : x < r.lo;
    bool is_high = r.is_hi_open ? x >= r.hi : x > r.hi;
    if (is_low || is_high) {
        return nn_err_set(e, NN_ERR_INPUT,
                          "--%s must be in %s%g, %g%s, "
                          "got %s",
                          flag, r.is_lo_open ? "(" : "[", r.lo, r.hi, r.is_hi_open ? ")" : "]", v);
    }
    *out = x;
    return 0;
}

static int parse_int(const char *flag, const char *v, double lo, double hi, long *out,
                     struct nn_err *e) {
    double x;
    struct range r = {lo, hi, false, false};
    if (parse_real(flag, v, r, &x, e) < 0) return -1;
    if (x != floor(x)) {
        return nn_err_set(e, NN_ERR_INPUT,
                          "--%s must be a whole number, "
                          "got %s",
                          flag, v);
    }
    *out = (long)x;
    return 0;
}

/* Parse "256,128" into out (at most NN_MAX_WIDTHS values in [1, 65536]). */
static int parse_list(const char *flag, const char *v, size_t *out, size_t *n_out,
                      struct nn_err *e) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long x;
        if (n == NN_MAX_WIDTHS) {
            return nn_err_set(e, NN_ERR_INPUT,
                              "--%s takes at most %d "
                              "values",
                              flag, NN_MAX_WIDTHS);
        }
        if (parse_int(flag, tok, 1, 65536, &x, e) < 0) return -1;
        out[n++] = (size_t)x;
    }
    /* strtok_r skips empty fields, so count them from the commas: "" and
     * "256,,128" are mistakes, not shorter lists. */
    size_t n_commas = 0;
    for (const char *p = v; *p; p++) n_commas += *p == ',';
    if (n == 0 || n != n_commas + 1) {
        return nn_err_set(e, NN_ERR_INPUT,
                          "--%s must be a comma-separated list of "
                          "positive integers, got '%s'",
                          flag, v);
    }
    *n_out = n;
    return 0;
}

static int parse_enum(const char *flag, const char *v, int (*parse)(const char *, int *), int *out,
                      struct nn_err *e) {
    if (parse(v, out) < 0) {
        return nn_err_set(e, NN_ERR_INPUT, "--%s: unknown value '%s'", flag, v);
    }
    return 0;
}

/* The nn_*_parse functions take their own enum types; these adapters give
 * them one signature for parse_enum. */
static int model_of(const char *s, int *o) {
    return nn_model_parse(s, (enum nn_model_kind *)o);
}
static int act_of(const char *s, int *o) {
    return nn_act_parse(s, (enum nn_act *)o);
}
static int optim_of(const char *s, int *o) {
    return nn_optim_parse(s, (enum nn_optim_kind *)o);
}
static int sched_of(const char *s, int *o) {
    return nn_sched_parse(s, (enum nn_sched_kind *)o);
}
static int monitor_of(const char *s, int *o) {
    if (strcmp(s, "val_loss") == 0)
        *o = 0;
    else if (strcmp(s, "val_accuracy") == 0)
        *o = 1;
    else
        return -1;
    return 0;
}

/* A no_argument flag given as a JSON value may say "0"/"false". */
static bool is_true(const char *v) {
    return !v || !(strcmp(v, "0") == 0 || strcmp(v, "false") == 0);
}

/* Model flags; returns 1 when name was one of them, 0 when not, -1 on a
 * bad value. */
static int set_model(struct cli *c, const char *name, const char *v, struct nn_err *e) {
    struct nn_model_cfg *m = &c->cfg.model;
    double x = 0;
    long n = 0;
    int k = 0, rc = 0;
    if (!strcmp(name, "model")) {
        rc = parse_enum(name, v, model_of, &k, e);
        m->kind = (enum nn_model_kind)k;
    } else if (!strcmp(name, "hidden")) {
        rc = parse_list(name, v, m->hidden, &m->n_hidden, e);
        c->has_hidden = true;
    } else if (!strcmp(name, "channels")) {
        rc = parse_list(name, v, m->channels, &m->n_channels, e);
        if (rc == 0 && m->n_channels == 0) {
            rc = nn_err_set(e, NN_ERR_INPUT, "--channels needs a value");
        }
    } else if (!strcmp(name, "kernel")) {
        rc = parse_int(name, v, 1, 11, &n, e);
        if (rc == 0 && n % 2 == 0) {
            rc = nn_err_set(e, NN_ERR_INPUT, "--kernel must be odd");
        }
        m->kernel = (size_t)n;
    } else if (!strcmp(name, "activation")) {
        rc = parse_enum(name, v, act_of, &k, e);
        m->act = (enum nn_act)k;
    } else if (!strcmp(name, "dropout")) {
        rc = parse_real(name, v, (struct range){0, 1, false, true}, &x, e);
        m->dropout = (float)x;
        c->has_dropout = true;
    } else if (!strcmp(name, "batch-norm")) {
        m->is_batch_norm = is_true(v);
    } else if (!strcmp(name, "depth")) {
        rc = parse_int(name, v, 1, 16, &n, e);
        m->depth = (size_t)n;
    } else if (!strcmp(name, "width")) {
        rc = parse_int(name, v, 1, 512, &n, e);
        m->width = (size_t)n;
    } else {
        return 0;
    }
    return rc < 0 ? -1 : 1;
}

/* Optimiser and schedule flags; returns as set_model. */
static int set_optim(struct cli *c, const char *name, const char *v, struct nn_err *e) {
    struct nn_optim *o = &c->cfg.optim;
    struct nn_sched *s = &c->cfg.sched;
    const struct range positive = {0, 1e3, true, false};
    const struct range unit_open = {0, 1, false, true};
    double x = 0;
    long n = 0;
    int k = 0, rc = 0;
    if (!strcmp(name, "lr")) {
        rc = parse_real(name, v, (struct range){0, 1e9, true, false}, &x, e);
        s->lr = x;
    } else if (!strcmp(name, "min-lr")) {
        rc = parse_real(name, v, (struct range){0, 1e9, false, false}, &x, e);
        s->min_lr = x;
    } else if (!strcmp(name, "optimizer")) {
        rc = parse_enum(name, v, optim_of, &k, e);
        o->kind = (enum nn_optim_kind)k;
    } else if (!strcmp(name, "momentum")) {
        rc = parse_real(name, v, unit_open, &x, e);
        o->momentum = (float)x;
    } else if (!strcmp(name, "beta1") || !strcmp(name, "beta2")) {
        rc = parse_real(name, v, unit_open, &x, e);
        *(name[4] == '1' ? &o->beta1 : &o->beta2) = (float)x;
    } else if (!strcmp(name, "weight-decay")) {
        rc = parse_real(name, v, (struct range){0, 10, false, false}, &x, e);
        o->weight_decay = (float)x;
    } else if (!strcmp(name, "schedule")) {
        rc = parse_enum(name, v, sched_of, &k, e);
        s->kind = (enum nn_sched_kind)k;
    } else if (!strcmp(name, "gamma")) {
        rc = parse_real(name, v, positive, &x, e);
        s->gamma = x;
    } else if (!strcmp(name, "step-epochs")) {
        rc = parse_int(name, v, 1, 1e6, &n, e);
        s->step_epochs = (int)n;
    } else if (!strcmp(name, "restart-epochs")) {
        rc = parse_int(name, v, 1, 1e6, &n, e);
        s->restart_epochs = (int)n;
    } else if (!strcmp(name, "restart-mult")) {
        rc = parse_int(name, v, 1, 100, &n, e);
        s->restart_mult = (int)n;
    } else if (!strcmp(name, "warmup-epochs")) {
        rc = parse_real(name, v, (struct range){0, 1e6, false, false}, &x, e);
        s->warmup_epochs = x;
    } else if (!strcmp(name, "clip")) {
        rc = parse_real(name, v, (struct range){0, 1e9, false, false}, &x, e);
        c->cfg.clip = x;
    } else {
        return 0;
    }
    return rc < 0 ? -1 : 1;
}

/* Run, data and output flags; returns as set_model. */
static int set_run(struct cli *c, const char *name, const char *v, struct nn_err *e) {
    struct nn_train_cfg *t = &c->cfg;
    double x = 0;
    long n = 0;
    int k = 0, rc = 0;
    if (!strcmp(name, "batch-size")) {
        rc = parse_int(name, v, 1, 65536, &n, e);
        t->batch_size = (size_t)n;
    } else if (!strcmp(name, "epochs")) {
        rc = parse_int(name, v, 1, 100000, &n, e);
        t->epochs = (int)n;
    } else if (!strcmp(name, "seed")) {
        rc = parse_int(name, v, 0, 9007199254740992.0, &n, e);
        t->seed = (uint64_t)n;
    } else if (!strcmp(name, "val-fraction")) {
        rc = parse_real(name, v, (struct range){0, 1, true, true}, &x, e);
        t->val_fraction = x;
    } else if (!strcmp(name, "patience")) {
        rc = parse_int(name, v, 0, 100000, &n, e);
        t->patience = (int)n;
    } else if (!strcmp(name, "min-delta")) {
        rc = parse_real(name, v, (struct range){0, 1e9, false, false}, &x, e);
        t->min_delta = x;
    } else if (!strcmp(name, "monitor")) {
        rc = parse_enum(name, v, monitor_of, &k, e);
        t->is_monitor_acc = k == 1;
    } else if (!strcmp(name, "shift")) {
        rc = parse_int(name, v, 0, 8, &n, e);
        t->aug.shift_px = (int)n;
    } else if (!strcmp(name, "rotate")) {
        rc = parse_real(name, v, (struct range){0, 90, false, false}, &x, e);
        t->aug.rotate_deg = (float)x;
    } else if (!strcmp(name, "flip")) {
        t->aug.is_flip = is_true(v);
    } else if (!strcmp(name, "threads")) {
        rc = parse_int(name, v, 1, 256, &n, e);
        c->threads = (int)n;
    } else if (!strcmp(name, "limit-train")) {
        rc = parse_int(name, v, 0, 1e8, &n, e);
        c->limit_train = (size_t)n;
    } else if (!strcmp(name, "synthetic")) {
        rc = parse_int(name, v, 0, 1e7, &n, e);
        c->synthetic = (size_t)n;
    } else if (!strcmp(name, "test")) {
        c->is_test = is_true(v);
    } else if (!strcmp(name, "data")) {
        c->data_dir = v;
    } else if (!strcmp(name, "checkpoint")) {
        t->checkpoint_path = v;
    } else if (!strcmp(name, "resume")) {
        t->resume_path = v;
    } else if (!strcmp(name, "save-weights")) {
        t->save_weights_path = v;
    } else if (!strcmp(name, "print")) {
        c->print_metric = v;
    } else {
        return 0;
    }
    return rc < 0 ? -1 : 1;
}

static int set_option(struct cli *c, const char *name, const char *v, struct nn_err *e) {
    int rc = set_model(c, name, v, e);
    if (rc == 0) rc = set_optim(c, name, v, e);
    if (rc == 0) rc = set_run(c, name, v, e);
    if (rc == 0) {
        return nn_err_set(e, NN_ERR_INPUT, "unknown flag --%s", name);
    }
    return rc < 0 ? -1 : 0;
}

/* Render a JSON value as the flag text it stands for into buf. */
static int json_to_text(const char *key, const json_t *v, char *buf, size_t cap, struct nn_err *e) {
    if (json_is_string(v)) {
        snprintf(buf, cap, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, cap, "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(buf, cap, "%s", json_is_true(v) ? "1" : "0");
    } else if (json_is_array(v)) {
        size_t i, off = 0;
        json_t *item;
        buf[0] = '\0';
        json_array_foreach(v, i, item) {
            if (!json_is_integer(item) || off + 24 > cap) {
                return nn_err_set(e, NN_ERR_INPUT,
                                  "--params: %s must be "
                                  "a list of whole numbers",
                                  key);
            }
            off += (size_t)snprintf(buf + off, cap - off, "%s%lld", i ? "," : "",
                                    (long long)json_integer_value(item));
        }
    } else {
        return nn_err_set(e, NN_ERR_INPUT,
                          "--params: %s has an unusable "
                          "value",
                          key);
    }
    return 0;
}

/* n_layers, units and width_N describe the hidden widths one by one. */
static int set_layer_key(struct cli *c, const char *key, const char *v, struct nn_err *e) {
    long n;
    if (!strcmp(key, "n_layers")) {
        if (parse_int("n_layers", v, 1, MAX_LAYER_KEYS, &n, e) < 0) return -1;
        c->n_layers = n;
    } else if (!strcmp(key, "units")) {
        if (parse_int("units", v, 1, 65536, &n, e) < 0) return -1;
        c->units = (size_t)n;
    } else {
        long i;
        if (parse_int(key, key + 6, 1, MAX_LAYER_KEYS, &i, e) < 0) return -1;
        if (parse_int(key, v, 1, 65536, &n, e) < 0) return -1;
        c->widths[i] = (size_t)n;
    }
    return 0;
}

static int apply_params(struct cli *c, const char *text, struct nn_err *e) {
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return nn_err_set(e, NN_ERR_INPUT,
                          "--params is not a JSON object "
                          "(%s)",
                          root ? "wrong type" : jerr.text);
    }
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, key, v) {
        char val[512], name[64];
        if ((rc = json_to_text(key, v, val, sizeof val, e)) < 0) break;
        if (!strcmp(key, "n_layers") || !strcmp(key, "units") || !strncmp(key, "width_", 6)) {
            if ((rc = set_layer_key(c, key, val, e)) < 0) break;
            continue;
        }
        snprintf(name, sizeof name, "%s", key);
        for (char *p = name; *p; p++) *p = *p == '_' ? '-' : *p;
        if (c->n_owned == sizeof c->owned / sizeof *c->owned) {
            rc = nn_err_set(e, NN_ERR_INPUT, "--params has too many keys");
            break;
        }
        char *copy = strdup(val);
        c->owned[c->n_owned++] = copy;
        if ((rc = set_option(c, name, copy, e)) < 0) break;
    }
    json_decref(root);
    return rc;
}

/* Turn n_layers / width_N / units into the hidden list. */
static int resolve_layers(struct cli *c, struct nn_err *e) {
    struct nn_model_cfg *m = &c->cfg.model;
    if (c->n_layers == 0) {
        if (c->units == 0) return 0;
        for (size_t i = 0; i < m->n_hidden; i++) m->hidden[i] = c->units;
        return 0;
    }
    m->n_hidden = (size_t)c->n_layers;
    for (long i = 1; i <= c->n_layers; i++) {
        size_t w = c->widths[i] ? c->widths[i] : c->units;
        if (w == 0) {
            return nn_err_set(e, NN_ERR_INPUT,
                              "--params: n_layers is %ld "
                              "but width_%ld and units are missing",
                              c->n_layers, i);
        }
        m->hidden[i - 1] = w;
    }
    c->has_hidden = true;
    return 0;
}

static void usage(void) {
    fputs("usage: hpod-train [--model mlp|cnn|resnet] [--hidden 256,128] "
          "[--lr X] [--batch-size N]\n"
          "  [--optimizer sgd|momentum|nesterov|adam|adamw] [--epochs N] "
          "[--seed S] [--params JSON] ...\n"
          "  see the comment at the top of trainer/cli.c for every flag\n",
          stderr);
}

/* Parse argv in order, so flags after --params override it. */
static int parse_args(struct cli *c, int argc, char **argv, struct nn_err *e) {
    opterr = 0; // we print one line of our own
    int idx = 0, ch;
    while ((ch = getopt_long(argc, argv, "h", options, &idx)) != -1) {
        if (ch == 'h') {
            usage();
            exit(0);
        }
        if (ch == '?') {
            const char *bad = argv[optind - 1];
            return nn_err_set(e, NN_ERR_INPUT,
                              "unknown flag or missing "
                              "value: %s",
                              bad);
        }
        const char *name = options[idx].name;
        int rc =
            !strcmp(name, "params") ? apply_params(c, optarg, e) : set_option(c, name, optarg, e);
        if (rc < 0) return -1;
    }
    if (optind < argc) {
        return nn_err_set(e, NN_ERR_INPUT, "unexpected argument '%s'", argv[optind]);
    }
    return resolve_layers(c, e);
}

/* The model defaults that depend on the model: the CNN's classifier is
 * 1024 units with dropout 0.5 unless the flags said otherwise. */
static void apply_model_defaults(struct cli *c) {
    struct nn_model_cfg *m = &c->cfg.model;
    if (m->kind == NN_MODEL_CNN && !c->has_hidden) {
        m->hidden[0] = 1024;
        m->n_hidden = 1;
    }
    if (m->kind == NN_MODEL_CNN && !c->has_dropout) m->dropout = 0.5f;
    c->cfg.sched.total_epochs = c->cfg.epochs;
}

static const char *metric_names[] = {"val_accuracy",  "val_loss",  "train_loss", "train_accuracy",
                                     "test_accuracy", "test_loss", "best_epoch", NULL};

static int check_print(const struct cli *c, struct nn_err *e) {
    if (!c->print_metric) return 0;
    for (int i = 0; metric_names[i]; i++) {
        if (!strcmp(c->print_metric, metric_names[i])) {
            if (i >= 4 && i <= 5 && !c->is_test) break;
            return 0;
        }
    }
    return nn_err_set(e, NN_ERR_INPUT,
                      "--print: unknown metric '%s' "
                      "(test_* needs --test)",
                      c->print_metric);
}

static void print_epoch(const struct nn_epoch_report *r, void *ctx) {
    const struct cli *c = ctx;
    nn_log_info("epoch_end",
                "epoch=%d train_loss=%.4f val_loss=%.4f "
                "val_accuracy=%.4f epoch_s=%.2f",
                r->epoch, r->train_loss, r->val_loss, r->val_acc, r->epoch_s);
    if (c->print_metric) return;
    /* "step" is the epoch so that learning curves of trials with
     * different batch sizes line up for the pruners; "batches" counts
     * optimizer steps. */
    printf("{\"step\":%d,\"epoch\":%d,\"batches\":%llu,\"train_loss\":%.6f,"
           "\"train_accuracy\":%.6f,\"val_loss\":%.6f,"
           "\"val_accuracy\":%.6f,\"lr\":%.6g,\"epoch_s\":%.3f,"
           "\"elapsed_s\":%.3f}\n",
           r->epoch, r->epoch, (unsigned long long)r->step, r->train_loss, r->train_acc,
           r->val_loss, r->val_acc, r->lr, r->epoch_s, r->elapsed_s);
    fflush(stdout);
}

static double metric_value(const struct nn_train_result *res, const char *name) {
    const struct nn_epoch_report *b = &res->best;
    if (!strcmp(name, "val_loss")) return b->val_loss;
    if (!strcmp(name, "train_loss")) return b->train_loss;
    if (!strcmp(name, "train_accuracy")) return b->train_acc;
    if (!strcmp(name, "test_accuracy")) return res->test_acc;
    if (!strcmp(name, "test_loss")) return res->test_loss;
    if (!strcmp(name, "best_epoch")) return b->epoch;
    return b->val_acc;
}

static void print_final(const struct cli *c, const struct nn_train_result *r, double elapsed_s) {
    if (c->print_metric) {
        printf("%.6g\n", r->is_diverged ? NAN : metric_value(r, c->print_metric));
        fflush(stdout);
        return;
    }
    const struct nn_epoch_report *b = &r->best;
    printf("{\"final\":true,\"diverged\":%s,\"interrupted\":%s,"
           "\"stopped_early\":%s,\"epochs_run\":%d,",
           r->is_diverged ? "true" : "false", r->is_interrupted ? "true" : "false",
           r->is_stopped_early ? "true" : "false", r->epochs_run);
    if (b->epoch > 0) {
        printf("\"best_epoch\":%d,\"train_loss\":%.6f,\"train_accuracy\":%.6f,"
               "\"val_loss\":%.6f,\"val_accuracy\":%.6f,",
               b->epoch, b->train_loss, b->train_acc, b->val_loss, b->val_acc);
    } else {
        /* No epoch finished (it diverged in the first): there is no best
         * epoch, and zeros would read as real metrics. */
        printf("\"best_epoch\":null,\"train_loss\":null,\"train_accuracy\":null,"
               "\"val_loss\":null,\"val_accuracy\":null,");
    }
    if (r->has_test) {
        printf("\"test_loss\":%.6f,\"test_accuracy\":%.6f,", r->test_loss, r->test_acc);
    }
    printf("\"n_params\":%zu,\"weights_crc\":\"%08x\",\"elapsed_s\":%.3f}\n", r->n_params,
           r->weights_crc, elapsed_s);
    fflush(stdout);
}

static int load_data(const struct cli *c, struct nn_dataset *train, struct nn_dataset *test,
                     struct nn_err *e) {
    if (c->synthetic) {
        nn_data_synthetic(train, c->synthetic, c->cfg.seed);
        if (c->is_test) nn_data_synthetic(test, c->synthetic / 6 + 1, 7777);
        return 0;
    }
    if (nn_data_load(train, c->data_dir, "train", c->limit_train, e) < 0) {
        return -1;
    }
    if (c->is_test && nn_data_load(test, c->data_dir, "t10k", 0, e) < 0) {
        nn_data_cleanup(train);
        return -1;
    }
    return 0;
}

static int exit_error(const struct nn_err *e) {
    bool is_input = e->code && (!strcmp(e->code, NN_ERR_INPUT) || !strcmp(e->code, NN_ERR_CKPT));
    nn_log_error(e->code ? e->code : "error", "msg=\"%s\"", e->msg);
    return is_input ? EXIT_BAD_INPUT : 1;
}

static void cleanup(struct cli *c) {
    for (size_t i = 0; i < c->n_owned; i++) free(c->owned[i]);
}

int main(int argc, char **argv) {
    struct cli c;
    struct nn_err e = {0};
    defaults(&c);
    if (parse_args(&c, argc, argv, &e) < 0 || check_print(&c, &e) < 0) {
        cleanup(&c);
        return exit_error(&e);
    }
    apply_model_defaults(&c);
    signal(SIGTERM, on_sigterm);

    struct nn_dataset train = {0}, test = {0};
    if (load_data(&c, &train, &test, &e) < 0) {
        cleanup(&c);
        return exit_error(&e);
    }
    /* nn_par's threads split every layer; OpenBLAS threads on top of
     * them would compete for the same cores, so sgemm stays on one. */
    openblas_set_num_threads(1);
    nn_par_start(c.threads);
    struct nn_train_result res;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = nn_train_run(&c.cfg, &train, c.is_test ? &test : NULL, print_epoch, &c, &res, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    nn_data_cleanup(&train);
    nn_data_cleanup(&test);
    int status = 0;
    if (rc < 0) {
        status = exit_error(&e);
    } else {
        double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        print_final(&c, &res, dt);
        if (ferror(stdout) || fflush(stdout) != 0) {
            /* The protocol is the trainer's only output: losing it is a
             * failure even when training went well. */
            nn_log_error("write_failed", "msg=\"cannot write to stdout\"");
            status = 1;
        } else if (res.is_diverged) {
            nn_log_error("diverged", "epoch=%d", res.epochs_run + 1);
            status = EXIT_DIVERGED;
        } else if (res.is_interrupted) {
            nn_log_warn("interrupted", "epoch=%d", res.epochs_run);
            status = EXIT_SIGTERM;
        } else {
            nn_log_info("run_end", "best_epoch=%d val_accuracy=%.4f", res.best.epoch,
                        res.best.val_acc);
        }
    }
    nn_par_stop();
    cleanup(&c);
    return status;
}
