/* trialcmd: argv and environment building. Native trials get one --params
 * object: the study's fixed settings, then the trial's parameters (which
 * win), plus model, epochs, data, seed and threads. Command trials get
 * their {name} placeholders replaced and every parameter in the
 * environment as HPOD_PARAM_<NAME>, with HPOD_PARAMS holding the JSON.
 * SPDX-License-Identifier: MIT */
#include "trialcmd.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonout.h"
#include "mem.h"
#include "proc.h"

extern char **environ;

/* A parameter value as command-line text: strings raw, others as JSON. */
static char *value_text(const json_t *v) {
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    char *s = jsonout_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    return s ? s : xstrdup("");
}

size_t trialcmd_placeholder(const char *p) {
    if (p[0] != '{' || !(isalpha((unsigned char)p[1]) || p[1] == '_')) return 0;
    size_t n = 1;
    while (p[n + 1] && (isalnum((unsigned char)p[n + 1]) || strchr("_.-", p[n + 1]))) n++;
    return p[n + 1] == '}' && n < 120 ? n : 0;
}

/* Replace every {name} in arg; unknown names stay as written. */
static char *fill(const char *arg, const struct trialcmd_in *in, const char *params_json) {
    size_t cap = strlen(arg) + 64, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = arg; *p;) {
        size_t name_len = trialcmd_placeholder(p);
        const char *end = name_len ? p + name_len + 1 : NULL;
        char *sub = NULL;
        if (end) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)name_len, p + 1);
            const json_t *v = json_object_get(in->params, name);
            if (v)
                sub = value_text(v);
            else if (!strcmp(name, "trial"))
                sub = xasprintf("%d", in->number);
            else if (!strcmp(name, "study"))
                sub = xasprintf("%lld", in->study->id);
            else if (!strcmp(name, "threads"))
                sub = xasprintf("%d", in->threads);
            else if (!strcmp(name, "params"))
                sub = xstrdup(params_json);
        }
        size_t add = sub ? strlen(sub) : 1;
        if (len + add + 1 > cap) out = xrealloc(out, cap = (len + add + 1) * 2);
        if (sub) {
            memcpy(out + len, sub, add);
            p = end + 1;
        } else {
            out[len] = *p++;
        }
        len += add;
        free(sub);
    }
    out[len] = '\0';
    return out;
}

#define ENV_NAME_MAX (sizeof "HPOD_PARAM_" + SPACE_MAX_NAME_BYTES)

/* The environment variable that carries parameter `name` to a command
 * trial: HPOD_PARAM_ and the name in upper case, with every character
 * other than a letter, a digit or '_' as '_' (so that a shell can read it,
 * and '=' cannot end the name early). Names such as x and X, or a-b and
 * a_b, share one variable, so trialcmd_check refuses a study that has
 * both. */
static void env_name(const char *name, char *var, size_t n) {
    snprintf(var, n, "HPOD_PARAM_%s", name);
    for (char *c = var + 11; *c; c++) {
        *c = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
    }
}

/* Whether entries a and b ("NAME=value") set the same variable. */
static int same_name(const char *a, const char *b) {
    size_t n = strcspn(a, "=");
    return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* Drop every entry that a later one sets again, keeping the order: the
 * study's trainer.env and the trial's variables replace inherited ones
 * (getenv and most programs take the first of two). */
static void env_dedupe(char **env, size_t *k) {
    size_t kept = 0;
    for (size_t i = 0; i < *k; i++) {
        int is_replaced = 0;
        for (size_t j = i + 1; j < *k && !is_replaced; j++) is_replaced = same_name(env[i], env[j]);
        if (is_replaced)
            free(env[i]);
        else
            env[kept++] = env[i];
    }
    *k = kept;
}

static char **env_build(const struct trialcmd_in *in, const char *params_json) {
    size_t n_env = 0;
    while (environ[n_env]) n_env++;
    const json_t *extra = json_object_get(in->study->trainer, "env");
    size_t n = n_env + json_object_size(in->params) + json_object_size(extra) + 8;
    char **env = xcalloc(n, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) env[k++] = xstrdup(environ[i]);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)extra, key, v) env[k++] =
        xasprintf("%s=%s", key, json_string_value(v));
    json_object_foreach((json_t *)in->params, key, v) {
        char *text = value_text(v), var[ENV_NAME_MAX];
        env_name(key, var, sizeof var);
        env[k++] = xasprintf("%s=%s", var, text);
        free(text);
    }
    env[k++] = xasprintf("HPOD_PARAMS=%s", params_json);
    env[k++] = xasprintf("HPOD_TRIAL=%d", in->number);
    env[k++] = xasprintf("HPOD_STUDY=%lld", in->study->id);
    env[k++] = xasprintf("HPOD_THREADS=%d", in->threads);
    env_dedupe(env, &k);
    env[k] = NULL;
    return env;
}

static char **native_argv(const struct trialcmd_in *in) {
    const struct study *s = in->study;
    json_t *all = json_deep_copy(json_object_get(s->trainer, "fixed"));
    json_object_update(all, (json_t *)in->params);
    const char *dataset = json_string_value(json_object_get(s->trainer, "dataset"));
    if (!strcmp(dataset, "fashion-mnist")) dataset = TRIALCMD_FASHION_MNIST;
    if (!json_object_get(all, "seed")) {
        /* A different but reproducible initialisation for every trial:
         * trial N trains with the searcher's seed + N (documented in the
         * README so a user can retrain any trial exactly). */
        json_object_set_new(
            all, "seed",
            json_integer((json_int_t)((s->seed + (unsigned)in->number) % 2147483647ULL)));
    }
    char *pj = json_dumps(all, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char **argv = xcalloc(16, sizeof *argv);
    int k = 0;
    argv[k++] = xstrdup(in->train_bin);
    argv[k++] = xstrdup("--params");
    argv[k++] = pj;
    argv[k++] = xstrdup("--model");
    argv[k++] = xstrdup(json_string_value(json_object_get(s->trainer, "model")));
    argv[k++] = xstrdup("--epochs");
    argv[k++] =
        xasprintf("%lld", (long long)json_integer_value(json_object_get(s->trainer, "epochs")));
    argv[k++] = xstrdup("--data");
    argv[k++] = xstrdup(dataset);
    argv[k++] = xstrdup("--threads");
    argv[k++] = xasprintf("%d", in->threads);
    argv[k] = NULL;
    json_decref(all);
    return argv;
}

void trialcmd_build(const struct trialcmd_in *in, struct trialcmd *cmd) {
    char *pj = json_dumps(in->params, JSON_COMPACT | JSON_REAL_PRECISION(17));
    memset(cmd, 0, sizeof *cmd);
    cmd->envp = env_build(in, pj);
    if (in->study->trainer_kind == TRAINER_NATIVE) {
        cmd->argv = native_argv(in);
    } else {
        const json_t *argv = json_object_get(in->study->trainer, "argv");
        size_t n = json_array_size(argv);
        cmd->argv = xcalloc(n + 1, sizeof *cmd->argv);
        for (size_t i = 0; i < n; i++) {
            cmd->argv[i] = fill(json_string_value(json_array_get(argv, i)), in, pj);
        }
        cmd->cwd = json_string_value(json_object_get(in->study->trainer, "cwd"));
    }
    free(pj);
}

static void free_list(char **list) {
    for (char **p = list; p && *p; p++) free(*p);
    free(list);
}

void trialcmd_cleanup(struct trialcmd *cmd) {
    if (!cmd) return;
    free_list(cmd->argv);
    free_list(cmd->envp);
    memset(cmd, 0, sizeof *cmd);
}

/* ---- checking a study ----------------------------------------------------- */

/* Refuse two parameters that would reach a command trial in one variable,
 * where the later one would silently hide the other's value. */
static int check_env_names(const struct space *sp, struct err *e) {
    for (size_t i = 1; i < sp->n_params; i++) {
        char var[ENV_NAME_MAX];
        env_name(sp->params[i].name, var, sizeof var);
        for (size_t j = 0; j < i; j++) {
            char other[ENV_NAME_MAX];
            env_name(sp->params[j].name, other, sizeof other);
            if (strcmp(var, other) != 0) continue;
            char f[96];
            snprintf(f, sizeof f, "space.%s", sp->params[i].name);
            return err_set(e, 422, "bad_value", f,
                           "%s: %s and %s both become %s for the command trainer; "
                           "rename one",
                           f, sp->params[i].name, sp->params[j].name, var);
        }
    }
    return 0;
}

static int check_dataset(const struct study *s, struct err *e) {
    const char *dataset = json_string_value(json_object_get(s->trainer, "dataset"));
    const char *dir = strcmp(dataset, "fashion-mnist") ? dataset : TRIALCMD_FASHION_MNIST;
    char path[1200];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    if (access(path, R_OK) == 0) return 0;
    if (dir != dataset) {
        return err_set(e, 422, "bad_value", "trainer.dataset",
                       "trainer.dataset fashion-mnist is not installed (Debian package "
                       "dataset-fashion-mnist)");
    }
    return err_set(e, 422, "bad_value", "trainer.dataset",
                   "trainer.dataset must be a folder holding train-images-idx3-ubyte.gz "
                   "and the other MNIST-format files");
}

/* Parameters at their low bounds and first choices (or, is_high, their
 * high bounds and last choices), conditions applied. */
static json_t *corner_point(const struct space *sp, int is_high) {
    double *x = xcalloc(sp->n_params + 1, sizeof *x);
    for (size_t i = 0; i < sp->n_params; i++) {
        const struct space_param *p = &sp->params[i];
        if (p->kind == SPACE_CAT)
            x[i] = is_high ? (double)p->n_choices - 1 : 0;
        else
            x[i] = space_snap(p, is_high ? p->high : p->low);
    }
    space_deactivate(sp, x);
    json_t *point = space_encode(sp, x);
    free(x);
    return point;
}

/* The trainer's one-line complaint ("unknown flag --c") from its log. */
static void complaint(const char *log_path, char *out, size_t n) {
    snprintf(out, n, "it exited with an error");
    FILE *f = fopen(log_path, "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *m = strstr(line, "msg=\"");
        if (!m) continue;
        m += 5;
        m[strcspn(m, "\"\n")] = '\0';
        snprintf(out, n, "%s", m);
    }
    fclose(f);
}

/* The field a complaint is about: the parameter (in the checked point) or
 * fixed setting whose flag it names, else "trainer". */
static void field_of(const struct study *s, const json_t *point, const char *msg, char *field,
                     size_t n) {
    snprintf(field, n, "trainer");
    const char *flag = strstr(msg, "--");
    if (!flag) return;
    char name[64];
    size_t len = strcspn(flag + 2, " ,:'\"=");
    if (len >= sizeof name) return;
    snprintf(name, sizeof name, "%.*s", (int)len, flag + 2);
    for (char *c = name; *c; c++) {
        if (*c == '-') *c = '_';
    }
    if (json_object_get(point, name))
        snprintf(field, n, "space.%s", name);
    else if (json_object_get(json_object_get(s->trainer, "fixed"), name)) {
        snprintf(field, n, "trainer.fixed.%s", name);
    }
}

/* Run the trainer for one quick epoch at params; 422 naming the field it
 * refuses. */
static int dry_run(const struct study *s, const char *train_bin, json_t *params, struct err *e) {
    struct trialcmd_in in = {s, params, 0, 1, train_bin};
    struct trialcmd cmd;
    trialcmd_build(&in, &cmd);
    /* A few generated images for one epoch exercise every flag quickly. */
    char **argv = xcalloc(32, sizeof *argv);
    int k = 0;
    for (; cmd.argv[k]; k++) argv[k] = cmd.argv[k];
    char *extra[] = {"--epochs", "1", "--synthetic", "64", NULL};
    for (int i = 0; extra[i]; i++) argv[k++] = extra[i];
    char log_path[] = "/tmp/hpod-check-XXXXXX";
    int fd = mkstemp(log_path);
    int rc = 0;
    if (fd >= 0) {
        close(fd);
        int status = proc_run(argv, (uid_t)-1, (gid_t)-1, log_path);
        /* A run that diverged (3: a corner's learning rate may be too
         * high for 64 images) took every setting; that is all we ask. */
        if (status != 0 && status != 3) {
            char msg[160], field[96];
            complaint(log_path, msg, sizeof msg);
            field_of(s, params, msg, field, sizeof field);
            rc = err_set(e, 422, "bad_value", field, "%s: the trainer refuses it: %s", field, msg);
        }
        unlink(log_path);
    }
    free(argv);
    trialcmd_cleanup(&cmd);
    return rc;
}

int trialcmd_check(const struct study *s, const char *train_bin, struct err *e) {
    if (s->trainer_kind == TRAINER_COMMAND) return check_env_names(s->space, e);
    if (s->trainer_kind != TRAINER_NATIVE) return 0;
    if (check_dataset(s, e) != 0) return -1;
    /* Both corners of the space: the low one and the high one, where
     * architecture searches differ most (more layers need more widths). */
    int rc = 0;
    for (int is_high = 0; is_high <= 1 && rc == 0; is_high++) {
        json_t *params = corner_point(s->space, is_high);
        rc = dry_run(s, train_bin, params, e);
        json_decref(params);
    }
    return rc;
}
