/* cli_study: human-readable views of the API for the terminal. It only
 * formats: every number it prints comes from the server's JSON, whose
 * shape it checks first, so that a reply from something other than hpod
 * is reported as such rather than printed as empty or missing fields.
 * SPDX-License-Identifier: MIT */
#include "cli_study.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "mem.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"

static void usage(FILE *f) {
    fprintf(f,
            "usage: hpod study create FILE|-      post a study definition (JSON)\n"
            "       hpod study list\n"
            "       hpod study show NAME\n"
            "       hpod study leaderboard NAME [--limit K]\n"
            "       hpod study watch NAME           progress until the study is done\n"
            "       hpod study stop|resume|delete NAME\n"
            "options: --server URL (default $HPOD_SERVER or %s)\n"
            "Every call carries HPOD_TOKEN, or the first line of the file HPOD_TOKEN_FILE\n"
            "names, as a bearer token (a server started with a token needs it on writes).\n",
            DEFAULT_SERVER);
}

static int fail(const struct err *e) {
    fprintf(stderr, "hpod: %s%s%s%s (%s)\n", e->msg, e->field[0] ? " [field " : "", e->field,
            e->field[0] ? "]" : "", e->code ? e->code : "error");
    return 1;
}

static int call(struct client *c, const char *method, const char *path, const json_t *body,
                json_t **out) {
    struct err e;
    err_clear(&e);
    int status = client_call(c, method, path, body, out, &e);
    if (status >= 200 && status < 300) return 0;
    return fail(&e);
}

/* Report that reply (taken, freed here) lacks what hpod would have sent. */
static int not_hpod(const struct client *c, json_t *reply) {
    struct err e;
    client_bad_reply(c, &e);
    json_decref(reply);
    return fail(&e);
}

/* Whether j has the fields of an API study that this file reads. */
static int is_study(json_t *j) {
    return json_unpack_ex(j, NULL, JSON_VALIDATE_ONLY, "{s:I, s:s, s:s, s:{}, s:{}}", "id", "name",
                          "state", "counts", "definition") == 0;
}

/* Whether j has the fields of a leaderboard trial that this file reads. */
static int is_ranked_trial(json_t *j) {
    return json_unpack_ex(j, NULL, JSON_VALIDATE_ONLY, "{s:I, s:[], s:{}}", "number", "values",
                          "params") == 0;
}

/* The array at key of reply when every element passes is_item, else NULL
 * (borrowed from reply). */
static json_t *checked_array(json_t *reply, const char *key, int (*is_item)(json_t *)) {
    json_t *a = json_object_get(reply, key);
    if (!json_is_array(a)) return NULL;
    size_t i;
    json_t *item;
    json_array_foreach(a, i, item) {
        if (!is_item(item)) return NULL;
    }
    return a;
}

/* A string field for a table cell; "-" when it is absent. */
static const char *cell(const json_t *j) {
    const char *s = json_string_value(j);
    return s ? s : "-";
}

static void print_value_list(const json_t *values) {
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) printf("%s%.6g", i ? "," : "", json_number_value(v));
}

/* One line of `study list`; s has passed is_study. */
static void print_study_line(const json_t *s) {
    const json_t *def = json_object_get(s, "definition");
    const json_t *counts = json_object_get(s, "counts");
    long long done = json_integer_value(json_object_get(counts, "complete")) +
                     json_integer_value(json_object_get(counts, "pruned")) +
                     json_integer_value(json_object_get(counts, "failed"));
    printf("%-6lld %-24s %-8s %-7s %5lld/%-5lld ",
           (long long)json_integer_value(json_object_get(s, "id")),
           json_string_value(json_object_get(s, "name")),
           json_string_value(json_object_get(s, "state")),
           cell(json_object_get(json_object_get(def, "searcher"), "name")), done,
           (long long)json_integer_value(
               json_object_get(json_object_get(def, "budget"), "max_trials")));
    const json_t *best = json_object_get(s, "best");
    if (json_is_object(best))
        print_value_list(json_object_get(best, "values"));
    else
        printf("-");
    printf("\n");
}

static int cmd_list(struct client *c) {
    json_t *out;
    if (call(c, "GET", "/api/v1/studies", NULL, &out)) return 1;
    const json_t *studies = checked_array(out, "studies", is_study);
    if (!studies) return not_hpod(c, out);
    printf("%-6s %-24s %-8s %-7s %11s  %s\n", "ID", "NAME", "STATE", "SEARCH", "DONE/BUDGET",
           "BEST");
    size_t i;
    json_t *s;
    json_array_foreach(studies, i, s) print_study_line(s);
    json_decref(out);
    return 0;
}

static int cmd_create(struct client *c, const char *file) {
    json_error_t je;
    json_t *body = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
    if (!body && je.line < 1) {
        fprintf(stderr, "hpod: %s: %s\n", file, je.text);
        return 2;
    }
    if (!body) {
        fprintf(stderr, "hpod: %s: %s (line %d)\n", file, je.text, je.line);
        return 2;
    }
    json_t *out;
    int rc = call(c, "POST", "/api/v1/studies", body, &out);
    json_decref(body);
    if (rc) return rc;
    if (!is_study(out)) return not_hpod(c, out);
    printf("created study %lld (%s)\n", (long long)json_integer_value(json_object_get(out, "id")),
           json_string_value(json_object_get(out, "name")));
    json_decref(out);
    return 0;
}

static int cmd_show(struct client *c, const char *name) {
    char path[300];
    snprintf(path, sizeof path, "/api/v1/studies/%s", name);
    json_t *out;
    if (call(c, "GET", path, NULL, &out)) return 1;
    if (!is_study(out)) return not_hpod(c, out);
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    puts(text);
    free(text);
    json_decref(out);
    return 0;
}

static int cmd_leaderboard(struct client *c, const char *name, int limit) {
    char path[300];
    snprintf(path, sizeof path, "/api/v1/studies/%s/leaderboard?limit=%d", name, limit);
    json_t *out;
    if (call(c, "GET", path, NULL, &out)) return 1;
    const json_t *trials = checked_array(out, "trials", is_ranked_trial);
    if (!trials) return not_hpod(c, out);
    printf("%-4s %-6s %-14s %s\n", "RANK", "TRIAL", "VALUES", "PARAMS");
    size_t i;
    json_t *t;
    json_array_foreach(trials, i, t) {
        printf("%-4zu %-6lld ", i + 1, (long long)json_integer_value(json_object_get(t, "number")));
        print_value_list(json_object_get(t, "values"));
        char *params =
            json_dumps(json_object_get(t, "params"), JSON_COMPACT | JSON_REAL_PRECISION(6));
        printf("  %s\n", params);
        free(params);
    }
    json_decref(out);
    return 0;
}

/* One progress line of `study watch`; s has passed is_study. */
static void print_progress(const json_t *s, int is_tty) {
    const json_t *counts = json_object_get(s, "counts");
    long long n[5];
    static const char *const keys[] = {"complete", "pruned", "failed", "running", "queued"};
    for (int i = 0; i < 5; i++) n[i] = json_integer_value(json_object_get(counts, keys[i]));
    long long budget = json_integer_value(
        json_object_get(json_object_get(json_object_get(s, "definition"), "budget"), "max_trials"));
    long long done = n[0] + n[1] + n[2];
    /* Clamped, so that counts outside 0..budget cannot write past bar. */
    long long shown = done < 0 ? 0 : done < budget ? done : budget;
    int width = 30, fill = budget > 0 ? (int)((double)width * (double)shown / (double)budget) : 0;
    char bar[64];
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(width - fill));
    bar[width] = '\0';
    printf("%s[%s] %lld/%lld  complete %lld  pruned %lld  failed %lld  running %lld  best ",
           is_tty ? "\r" : "", bar, done, budget, n[0], n[1], n[2], n[3]);
    const json_t *best = json_object_get(s, "best");
    if (json_is_object(best))
        print_value_list(json_object_get(best, "values"));
    else
        printf("-");
    printf(is_tty ? "   " : "\n");
    fflush(stdout);
}

static int cmd_watch(struct client *c, const char *name) {
    char path[300];
    snprintf(path, sizeof path, "/api/v1/studies/%s", name);
    int is_tty = isatty(1);
    for (;;) {
        json_t *s;
        if (call(c, "GET", path, NULL, &s)) return 1;
        if (!is_study(s)) return not_hpod(c, s);
        print_progress(s, is_tty);
        int is_done = !strcmp(json_string_value(json_object_get(s, "state")), "done");
        json_decref(s);
        if (is_done) break;
        sleep(1);
    }
    printf("\n");
    return 0;
}

static int cmd_action(struct client *c, const char *action, const char *name) {
    int is_delete = !strcmp(action, "delete");
    char path[300];
    snprintf(path, sizeof path, "/api/v1/studies/%s%s%s", name, is_delete ? "" : "/",
             is_delete ? "" : action);
    json_t *out;
    if (call(c, is_delete ? "DELETE" : "POST", path, NULL, &out)) return 1;
    /* A delete answers {"id", "deleted": true}; stop and resume the study. */
    int is_ok = is_delete ? json_is_true(json_object_get(out, "deleted")) : is_study(out);
    if (!is_ok) return not_hpod(c, out);
    printf("%s: %s\n", name,
           is_delete ? "deleted" : json_string_value(json_object_get(out, "state")));
    json_decref(out);
    return 0;
}

int cli_study_main(int argc, char **argv) {
    static const struct option longs[] = {{"server", required_argument, NULL, 's'},
                                          {"limit", required_argument, NULL, 'l'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *server = getenv("HPOD_SERVER");
    if (!server || !*server) server = DEFAULT_SERVER;
    int limit = 10;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "s:l:h", longs, NULL)) != -1;) {
        char *end = NULL;
        if (ch == 's') {
            server = optarg;
        } else if (ch == 'l') {
            limit = (int)strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > 10000) {
                fprintf(stderr, "hpod: --limit must be 1-10000, got '%s'\n", optarg);
                return 2;
            }
        } else {
            usage(ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : 2;
        }
    }
    const char *verb = optind < argc ? argv[optind] : NULL;
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    int needs_arg = verb && strcmp(verb, "list") != 0;
    if (verb && !strcmp(verb, "help")) {
        usage(stdout);
        return 0;
    }
    if (!verb || (needs_arg && !arg)) {
        usage(stderr);
        return 2;
    }
    /* A study is named by its id or name, both made of these characters;
     * anything else would be read as a different path. */
    if (needs_arg && strcmp(verb, "create") != 0 &&
        (!*arg ||
         strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") != strlen(arg) ||
         !strcmp(arg, ".") || !strcmp(arg, ".."))) {
        fprintf(stderr, "hpod: '%s' is not a study id or name\n", arg);
        return 2;
    }
    if (client_token_check("hpod") != 0) return 2;
    struct client *c = client_open(server);
    int rc;
    if (!strcmp(verb, "list"))
        rc = cmd_list(c);
    else if (!strcmp(verb, "create"))
        rc = cmd_create(c, arg);
    else if (!strcmp(verb, "show"))
        rc = cmd_show(c, arg);
    else if (!strcmp(verb, "leaderboard"))
        rc = cmd_leaderboard(c, arg, limit);
    else if (!strcmp(verb, "watch"))
        rc = cmd_watch(c, arg);
    else if (!strcmp(verb, "stop") || !strcmp(verb, "resume") || !strcmp(verb, "delete"))
        rc = cmd_action(c, verb, arg);
    else {
        usage(stderr);
        rc = 2;
    }
    client_close(c);
    return rc;
}
