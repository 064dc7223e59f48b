/* trialcmd: argv and environment building. Native trials get one --params
 * object: the study's fixed settings, then the trial's parameters (which
 * win), plus model, epochs, data, seed and threads. Command trials get
 * their {name} placeholders replaced and every parameter in the
 * environment as HPOD_PARAM_<NAME>, with HPOD_PARAMS holding the JSON.
 * SPDX-License-Identifier: MIT */
#include "trialcmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

extern char **environ;

/* A parameter value as command-line text: strings raw, others as JSON. */
static char *value_text(const json_t *v) {
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(16));
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
            if (v) sub = value_text(v);
            else if (!strcmp(name, "trial")) sub = xasprintf("%d", in->number);
            else if (!strcmp(name, "study")) sub = xasprintf("%lld", in->study->id);
            else if (!strcmp(name, "threads")) sub = xasprintf("%d", in->threads);
            else if (!strcmp(name, "params")) sub = xstrdup(params_json);
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
    json_object_foreach((json_t *)extra, key, v) env[k++] = xasprintf("%s=%s", key, json_string_value(v));
    json_object_foreach((json_t *)in->params, key, v) {
        char *text = value_text(v);
        char *e = xasprintf("HPOD_PARAM_%s=%s", key, text);
        for (char *c = e + 11; *c && *c != '='; c++) *c = (char)toupper((unsigned char)*c);
        env[k++] = e;
        free(text);
    }
    env[k++] = xasprintf("HPOD_PARAMS=%s", params_json);
    env[k++] = xasprintf("HPOD_TRIAL=%d", in->number);
    env[k++] = xasprintf("HPOD_STUDY=%lld", in->study->id);
    env[k++] = xasprintf("HPOD_THREADS=%d", in->threads);
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
        json_object_set_new(all, "seed", json_integer((json_int_t)((s->seed + (unsigned)in->number) %
                                                                   2147483647ULL)));
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
    argv[k++] = xasprintf("%lld", (long long)json_integer_value(json_object_get(s->trainer, "epochs")));
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
