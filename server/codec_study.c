/* codec_study: validation and normalisation of study definitions. The
 * space, searcher and pruner are checked by their own modules (space.c,
 * search/, prune/); this file checks the envelope and the budget, trainer
 * and recovery settings, and fills every default so the stored definition
 * says exactly what runs.
 * SPDX-License-Identifier: MIT */
#include "codec_study.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "trialcmd.h"
#include "prune/prune.h"
#include "search/search.h"

static const char *const TOP_KEYS[] = {"name",        "objectives", "space",       "searcher",
                                       "pruner",      "budget",     "trainer",     "on_lost",
                                       "max_retries", "webhook",    "description", NULL};

/* 1 when s is one of `first` then any of letters, digits, '.', '_', '-'.
 * (A character test, not a regex: studies are parsed on every trial call.) */
static int is_name(const char *s, const char *first) {
    if (!*s || !(isalnum((unsigned char)*s) || strchr(first, *s))) return 0;
    for (s++; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s)) return 0;
    }
    return 1;
}

static int parse_name(struct study *s, struct err *e) {
    if (codec_str(s->def, "", "name", CODEC_STUDY_NAME_MAX, NULL, 1, &s->name, e) != 0) return -1;
    if (!is_name(s->name, "")) {
        return err_set(e, 422, "bad_value", "name",
                       "name must start with a letter or digit and use only letters, "
                       "digits, '.', '_' and '-'");
    }
    if (strspn(s->name, "0123456789") == strlen(s->name)) {
        /* Routes take a study's id or name; a name of digits would be
         * read as someone else's id. */
        return err_set(e, 422, "bad_value", "name", "name must not be all digits");
    }
    const char *desc;
    return codec_str(s->def, "", "description", 2000, NULL, 0, &desc, e);
}

static int parse_objective(struct study *s, json_t *o, int i, struct err *e) {
    static const char *const keys[] = {"name", "goal", NULL};
    char path[64];
    snprintf(path, sizeof path, "objectives[%d]", i);
    if (!json_is_object(o)) return err_set(e, 422, "bad_type", path, "%s must be an object", path);
    if (codec_keys(o, path, keys, e) != 0) return -1;
    const char *name, *goal;
    if (codec_str(o, path, "name", 63, NULL, 1, &name, e) != 0) return -1;
    if (codec_str(o, path, "goal", 16, NULL, 1, &goal, e) != 0) return -1;
    char f[96];
    if (!is_name(name, "_") || isdigit((unsigned char)name[0])) {
        codec_path(f, sizeof f, path, "name");
        return err_set(e, 422, "bad_value", f, "%s must be a metric name (letters, digits, _ . -)",
                       f);
    }
    if (strcmp(goal, "minimize") != 0 && strcmp(goal, "maximize") != 0) {
        codec_path(f, sizeof f, path, "goal");
        return err_set(e, 422, "bad_value", f, "%s must be \"minimize\" or \"maximize\"", f);
    }
    for (int j = 0; j < i; j++) {
        if (strcmp(s->objective[j], name) == 0) {
            codec_path(f, sizeof f, path, "name");
            return err_set(e, 422, "bad_value", f, "%s repeats objective \"%s\"", f, name);
        }
    }
    s->objective[i] = name;
    s->maximize[i] = goal[1] == 'a';
    return 0;
}

static int parse_objectives(struct study *s, struct err *e) {
    json_t *arr = json_object_get(s->def, "objectives");
    if (!arr) return err_set(e, 422, "missing_field", "objectives", "objectives is required");
    if (!json_is_array(arr)) {
        return err_set(e, 422, "bad_type", "objectives", "objectives must be an array");
    }
    size_t n = json_array_size(arr);
    if (n < 1 || n > STUDY_MAX_OBJECTIVES) {
        return err_set(e, 422, "bad_range", "objectives", "objectives must list 1 to %d objectives",
                       STUDY_MAX_OBJECTIVES);
    }
    s->n_objectives = (int)n;
    for (size_t i = 0; i < n; i++) {
        if (parse_objective(s, json_array_get(arr, i), (int)i, e) != 0) return -1;
    }
    return 0;
}

/* 1 when every parent named in param's "when" is already in placed. */
static int parents_placed(const json_t *param, const json_t *placed) {
    const json_t *when = json_object_get(param, "when");
    const char *parent;
    const json_t *v;
    json_object_foreach((json_t *)when, parent, v) {
        if (!json_object_get(placed, parent)) return 0;
    }
    return 1;
}

/* Return a new space object with parents before their children, so that
 * a condition may name a parameter declared after it (JSON objects are
 * unordered to many clients) while space_parse checks conditions in one
 * pass. Params that can never be placed (a missing parent, a cycle) go
 * last, where space_parse reports them. */
static json_t *parents_first(const json_t *space) {
    json_t *out = json_object();
    for (size_t added = 1; added;) {
        added = 0;
        const char *name;
        json_t *p;
        json_object_foreach((json_t *)space, name, p) {
            if (json_object_get(out, name) || !parents_placed(p, out)) continue;
            json_object_set(out, name, p); /* borrows p: a new reference */
            added++;
        }
    }
    const char *name;
    json_t *p;
    json_object_foreach((json_t *)space, name, p) {
        if (!json_object_get(out, name)) json_object_set(out, name, p);
    }
    return out;
}

static int parse_space(struct study *s, struct err *e) {
    json_t *sp = json_object_get(s->def, "space");
    if (!sp) return err_set(e, 422, "missing_field", "space", "space is required");
    if (!json_is_object(sp)) return space_parse(sp, &s->space, e);
    json_t *ordered = parents_first(sp);
    json_object_set_new(s->def, "space", ordered);
    return space_parse(ordered, &s->space, e);
}

/* Set obj[key] = dflt when absent (steals dflt) and return obj[key]. */
static json_t *with_default(json_t *obj, const char *key, json_t *dflt) {
    if (!json_object_get(obj, key))
        json_object_set_new(obj, key, dflt);
    else
        json_decref(dflt);
    return json_object_get(obj, key);
}

static json_t *section(struct study *s, const char *key, json_t *dflt, struct err *e) {
    json_t *v = with_default(s->def, key, dflt);
    if (json_is_object(v)) return v;
    err_set(e, 422, "bad_type", key, "%s must be an object", key);
    return NULL;
}

static int parse_searcher(struct study *s, struct err *e) {
    static const char *const keys[] = {"name", "seed", "options", NULL};
    json_t *o = section(s, "searcher", json_object(), e);
    if (!o || codec_keys(o, "searcher", keys, e) != 0) return -1;
    /* Without a name: TPE for one objective, NSGA-II for several, as
     * Optuna picks its default sampler. */
    with_default(o, "name", json_string(s->n_objectives > 1 ? "nsga2" : "tpe"));
    if (codec_str(o, "searcher", "name", 32, NULL, 1, &s->searcher, e) != 0) return -1;
    long long seed;
    if (codec_int(o, "searcher", "seed", 0, 9007199254740991LL, 0, 0, &seed, e) != 0) return -1;
    json_object_set_new(o, "seed", json_integer(seed));
    s->seed = (uint64_t)seed;
    json_t *opts = with_default(o, "options", json_object());
    if (!json_is_object(opts)) {
        return err_set(e, 422, "bad_type", "searcher.options",
                       "searcher.options must be an object");
    }
    s->searcher_options = opts;
    return search_check(s->searcher, opts, s->space, s->n_objectives, e);
}

static int parse_pruner(struct study *s, struct err *e) {
    static const char *const keys[] = {"name", "options", NULL};
    json_t *o = json_object_get(s->def, "pruner");
    if (!o || json_is_null(o)) {
        json_object_set_new(s->def, "pruner", json_pack("{s:s, s:{}}", "name", "none", "options"));
    }
    o = section(s, "pruner", json_object(), e);
    if (!o || codec_keys(o, "pruner", keys, e) != 0) return -1;
    if (codec_str(o, "pruner", "name", 32, NULL, 1, &s->pruner, e) != 0) return -1;
    json_t *opts = with_default(o, "options", json_object());
    if (!json_is_object(opts)) {
        return err_set(e, 422, "bad_type", "pruner.options", "pruner.options must be an object");
    }
    s->pruner_options = opts;
    return prune_check(s->pruner, opts, e);
}

/* Store a parsed number back so the definition carries every default. */
static void put_num(json_t *o, const char *key, double v, int is_int) {
    json_object_set_new(o, key, is_int ? json_integer((json_int_t)v) : json_real(v));
}

static int parse_budget(struct study *s, struct err *e) {
    static const char *const keys[] = {"max_trials",      "parallel", "timeout_s",
                                       "trial_timeout_s", "lease_s",  NULL};
    json_t *o = section(s, "budget", json_object(), e);
    if (!o || codec_keys(o, "budget", keys, e) != 0) return -1;
    if (codec_int(o, "budget", "max_trials", 1, 1000000, 20, 0, &s->max_trials, e) != 0 ||
        codec_int(o, "budget", "parallel", 1, 256, 1, 0, &s->parallel, e) != 0 ||
        codec_num(o, "budget", "timeout_s", 0, 1e8, 0, 0, &s->timeout_s, e) != 0 ||
        codec_num(o, "budget", "trial_timeout_s", 0, 1e8, 0, 0, &s->trial_timeout_s, e) != 0 ||
        codec_num(o, "budget", "lease_s", 1, 86400, 60, 0, &s->lease_s, e) != 0) {
        return -1;
    }
    put_num(o, "max_trials", (double)s->max_trials, 1);
    put_num(o, "parallel", (double)s->parallel, 1);
    put_num(o, "lease_s", s->lease_s, 0);
    if (s->timeout_s > 0) put_num(o, "timeout_s", s->timeout_s, 0);
    if (s->trial_timeout_s > 0) put_num(o, "trial_timeout_s", s->trial_timeout_s, 0);
    return 0;
}

/* Every {name} in a command argument must be a parameter or a built-in.
 * Only braces around a parameter-like name are placeholders, so JSON or
 * shell text in an argument passes through untouched. */
static int check_placeholders(const struct study *s, const char *arg, const char *f,
                              struct err *e) {
    for (const char *p = strchr(arg, '{'); p; p = strchr(p + 1, '{')) {
        size_t len = trialcmd_placeholder(p);
        if (!len) continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)len, p + 1);
        int is_builtin = !strcmp(name, "trial") || !strcmp(name, "study") ||
                         !strcmp(name, "threads") || !strcmp(name, "params");
        if (!is_builtin && space_find(s->space, name) < 0) {
            return err_set(e, 422, "bad_value", f,
                           "%s uses {%s}, which is neither a parameter nor one of "
                           "{trial} {study} {threads} {params}",
                           f, name);
        }
    }
    return 0;
}

static int parse_command(struct study *s, json_t *t, struct err *e) {
    static const char *const keys[] = {"kind", "argv", "env", "cwd", NULL};
    if (codec_keys(t, "trainer", keys, e) != 0) return -1;
    json_t *argv = json_object_get(t, "argv");
    if (!argv) return err_set(e, 422, "missing_field", "trainer.argv", "trainer.argv is required");
    if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > 256) {
        return err_set(e, 422, "bad_type", "trainer.argv",
                       "trainer.argv must be an array of 1 to 256 strings");
    }
    size_t i;
    json_t *a;
    json_array_foreach(argv, i, a) {
        char f[64];
        snprintf(f, sizeof f, "trainer.argv[%zu]", i);
        if (!json_is_string(a)) return err_set(e, 422, "bad_type", f, "%s must be a string", f);
        if (check_placeholders(s, json_string_value(a), f, e) != 0) return -1;
    }
    json_t *env = with_default(t, "env", json_object());
    const char *k;
    json_t *v;
    if (!json_is_object(env))
        return err_set(e, 422, "bad_type", "trainer.env", "trainer.env must be an object");
    json_object_foreach(env, k, v) {
        char f[96];
        codec_path(f, sizeof f, "trainer.env", k);
        if (!*k || strchr(k, '=')) {
            return err_set(e, 422, "bad_value", f,
                           "%s: a variable name must be non-empty "
                           "and hold no '='",
                           f);
        }
        if (!json_is_string(v)) return err_set(e, 422, "bad_type", f, "%s must be a string", f);
    }
    const char *cwd;
    return codec_str(t, "trainer", "cwd", 1024, NULL, 0, &cwd, e);
}

static int parse_native(json_t *t, struct err *e) {
    static const char *const keys[] = {"kind", "model", "dataset", "epochs", "fixed", NULL};
    if (codec_keys(t, "trainer", keys, e) != 0) return -1;
    const char *model, *dataset;
    long long epochs;
    with_default(t, "model", json_string("mlp"));
    with_default(t, "dataset", json_string("fashion-mnist"));
    if (codec_str(t, "trainer", "model", 16, NULL, 1, &model, e) != 0) return -1;
    if (strcmp(model, "mlp") && strcmp(model, "cnn") && strcmp(model, "resnet")) {
        return err_set(e, 422, "bad_value", "trainer.model",
                       "trainer.model must be \"mlp\", \"cnn\" or \"resnet\"");
    }
    if (codec_str(t, "trainer", "dataset", 1024, NULL, 1, &dataset, e) != 0) return -1;
    if (codec_int(t, "trainer", "epochs", 1, 1000, 10, 0, &epochs, e) != 0) return -1;
    json_object_set_new(t, "epochs", json_integer(epochs));
    json_t *fixed = with_default(t, "fixed", json_object());
    if (!json_is_object(fixed)) {
        return err_set(e, 422, "bad_type", "trainer.fixed", "trainer.fixed must be an object");
    }
    return 0;
}

static int parse_trainer(struct study *s, struct err *e) {
    json_t *t = section(s, "trainer", json_pack("{s:s}", "kind", "external"), e);
    if (!t) return -1;
    const char *kind;
    if (codec_str(t, "trainer", "kind", 16, NULL, 1, &kind, e) != 0) return -1;
    s->trainer = t;
    if (strcmp(kind, "native") == 0) {
        s->trainer_kind = TRAINER_NATIVE;
        return parse_native(t, e);
    }
    if (strcmp(kind, "command") == 0) {
        s->trainer_kind = TRAINER_COMMAND;
        return parse_command(s, t, e);
    }
    if (strcmp(kind, "external") == 0) {
        static const char *const keys[] = {"kind", NULL};
        s->trainer_kind = TRAINER_EXTERNAL;
        return codec_keys(t, "trainer", keys, e);
    }
    return err_set(e, 422, "bad_value", "trainer.kind",
                   "trainer.kind must be \"native\", \"command\" or \"external\"");
}

static int parse_recovery(struct study *s, struct err *e) {
    const char *on_lost;
    long long retries;
    if (codec_str(s->def, "", "on_lost", 8, "retry", 0, &on_lost, e) != 0) return -1;
    if (strcmp(on_lost, "retry") && strcmp(on_lost, "fail")) {
        return err_set(e, 422, "bad_value", "on_lost", "on_lost must be \"retry\" or \"fail\"");
    }
    s->on_lost = on_lost[0] == 'r' ? ON_LOST_RETRY : ON_LOST_FAIL;
    json_object_set_new(s->def, "on_lost", json_string(on_lost));
    if (codec_int(s->def, "", "max_retries", 0, 100, 3, 0, &retries, e) != 0) return -1;
    s->max_retries = (int)retries;
    json_object_set_new(s->def, "max_retries", json_integer(retries));
    if (codec_str(s->def, "", "webhook", 2000, NULL, 0, &s->webhook, e) != 0) return -1;
    if (s->webhook && strncmp(s->webhook, "http://", 7) && strncmp(s->webhook, "https://", 8)) {
        return err_set(e, 422, "bad_value", "webhook",
                       "webhook must be an http:// or https:// URL");
    }
    return 0;
}

static int parse_all(struct study *s, struct err *e) {
    if (codec_keys(s->def, "", TOP_KEYS, e) != 0) return -1;
    if (parse_name(s, e) != 0 || parse_objectives(s, e) != 0 || parse_space(s, e) != 0) return -1;
    if (parse_searcher(s, e) != 0 || parse_pruner(s, e) != 0) return -1;
    if (parse_budget(s, e) != 0 || parse_trainer(s, e) != 0) return -1;
    return parse_recovery(s, e);
}

int codec_study_parse(const json_t *body, struct study *s, struct err *e) {
    memset(s, 0, sizeof *s);
    s->def = json_deep_copy(body);
    return parse_all(s, e);
}

int codec_study_load(long long id, const json_t *def, struct study *s, struct err *e) {
    int rc = codec_study_parse(def, s, e);
    s->id = id;
    return rc;
}

void codec_study_cleanup(struct study *s) {
    if (!s) return;
    space_free(s->space);
    json_decref(s->def);
    memset(s, 0, sizeof *s);
}

int codec_study_key_ok(const char *key) {
    return strlen(key) <= CODEC_STUDY_NAME_MAX && is_name(key, "");
}

int codec_study_objective(const struct study *s, const char *name) {
    for (int i = 0; i < s->n_objectives; i++) {
        if (strcmp(s->objective[i], name) == 0) return i;
    }
    return -1;
}
