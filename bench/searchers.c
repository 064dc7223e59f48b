/* searchers: hpod's searchers in an in-process ask/tell loop on the
 * benchmark problems that bench/searchers_optuna.py runs through Optuna.
 * It prints one line per run: problem, searcher, seed, the best value (or
 * hypervolume) after 25/50/100% of the budget, and ms per proposal; then
 * TPE's time per proposal near trials 100 and 1000. It does not compare;
 * bench/searchers_report.py does. Built by bench/searchers.sh, not make.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search/search.h"

/* ---- problems ------------------------------------------------------------ */

static double num(const json_t *p, const char *name) {
    return json_number_value(json_object_get(p, name));
}

static double branin(const json_t *p, double *f) {
    double x1 = num(p, "x1"), x2 = num(p, "x2");
    double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double a = x2 - b * x1 * x1 + c * x1 - 6;
    return f[0] = a * a + 10 * (1 - t) * cos(x1) + 10;
}

static double hartmann6(const json_t *p, double *f) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double q[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double x[6], sum = 0;
    for (int j = 0; j < 6; j++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", j);
        x[j] = num(p, name);
    }
    for (int i = 0; i < 4; i++) {
        double inner = 0;
        for (int j = 0; j < 6; j++) inner += a[i][j] * pow(x[j] - q[i][j] * 1e-4, 2);
        sum += alpha[i] * exp(-inner);
    }
    return f[0] = -sum;
}

static void vec5(const json_t *p, double *x) {
    for (int j = 0; j < 5; j++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", j);
        x[j] = num(p, name);
    }
}

static double rosenbrock(const json_t *p, double *f) {
    double x[5], s = 0;
    vec5(p, x);
    for (int i = 0; i < 4; i++) s += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return f[0] = s;
}

static double ackley(const json_t *p, double *f) {
    double x[5], s2 = 0, sc = 0;
    vec5(p, x);
    for (int i = 0; i < 5; i++) s2 += x[i] * x[i], sc += cos(2 * M_PI * x[i]);
    return f[0] = -20 * exp(-0.2 * sqrt(s2 / 5)) - exp(sc / 5) + 20 + M_E;
}

static double mixed(const json_t *p, double *f) {
    static const char *const names[4] = {"a", "b", "c", "d"};
    static const double offset[4] = {0.6, 0, 0.3, 1.0};
    const char *c = json_string_value(json_object_get(p, "opt"));
    double off = 0;
    for (int k = 0; k < 4; k++)
        if (strcmp(c, names[k]) == 0) off = offset[k];
    double lr = num(p, "lr"), n = num(p, "n");
    return f[0] = pow(log10(lr) + 2.5, 2) + pow((n - 7) / 4, 2) + off;
}

static double zdt1(const json_t *p, double *f) {
    double x[5], g = 0;
    vec5(p, x);
    for (int i = 1; i < 5; i++) g += x[i];
    g = 1 + 9 * g / 4;
    f[0] = x[0];
    f[1] = g * (1 - sqrt(x[0] / g));
    return f[0];
}

struct problem {
    const char *name;
    const char *space;
    int n_trials;
    int n_objectives;
    double (*eval)(const json_t *params, double *f);
};

#define X5(lo, hi)                                                                                 \
    "{\"x0\": {\"type\": \"float\", \"low\": " lo ", \"high\": " hi "},"                           \
    " \"x1\": {\"type\": \"float\", \"low\": " lo ", \"high\": " hi "},"                           \
    " \"x2\": {\"type\": \"float\", \"low\": " lo ", \"high\": " hi "},"                           \
    " \"x3\": {\"type\": \"float\", \"low\": " lo ", \"high\": " hi "},"                           \
    " \"x4\": {\"type\": \"float\", \"low\": " lo ", \"high\": " hi "}"

static const struct problem PROBLEMS[] = {
    {"branin",
     "{\"x1\": {\"type\": \"float\", \"low\": -5, \"high\": 10},"
     " \"x2\": {\"type\": \"float\", \"low\": 0, \"high\": 15}}",
     100, 1, branin},
    {"hartmann6", X5("0", "1") ", \"x5\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}", 200, 1,
     hartmann6},
    {"rosenbrock5", X5("-5", "10") "}", 200, 1, rosenbrock},
    {"ackley5", X5("-32.768", "32.768") "}", 200, 1, ackley},
    {"mixed",
     "{\"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
     " \"n\": {\"type\": \"int\", \"low\": 1, \"high\": 20},"
     " \"opt\": {\"type\": \"categorical\", \"choices\": [\"a\", \"b\", \"c\", \"d\"]}}",
     100, 1, mixed},
    {"zdt1", X5("0", "1") "}", 200, 2, zdt1},
};

/* ---- searchers under test --------------------------------------------------- */

struct entry {
    const char *label;
    const char *searcher;
    const char *options;
    int is_multi; // 1 = only on multi-objective problems, 2 = on both
};

static const struct entry ENTRIES[] = {
    {"random", "random", "{}", 2},
    {"tpe", "tpe", "{}", 0},
    {"tpe_mv", "tpe", "{\"multivariate\": true}", 0},
    {"gp", "gp", "{}", 0},
    {"cmaes", "cmaes", "{}", 0},
    {"nsga2", "nsga2", "{}", 1},
};

/* Hypervolume of the 2-D points f[n][2] against the reference (1.1, 11). */
static int cmp_first(const void *a, const void *b) {
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return (x > y) - (x < y);
}

static double hypervolume(const double *f, size_t n) {
    double *pts = malloc((n + 1) * 2 * sizeof *pts), r1 = 1.1, r2 = 11, hv = 0, prev = r2;
    memcpy(pts, f, n * 2 * sizeof *pts);
    qsort(pts, n, 2 * sizeof *pts, cmp_first);
    for (size_t i = 0; i < n; i++) {
        if (pts[2 * i] >= r1 || pts[2 * i + 1] >= prev) continue;
        hv += (r1 - pts[2 * i]) * (prev - pts[2 * i + 1]);
        prev = pts[2 * i + 1];
    }
    free(pts);
    return hv;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One sequential run; fills best[3] (value or hypervolume at 25/50/100%)
 * and ms[n_trials] (time of each proposal). */
static void run(const struct problem *pb, const struct entry *en, int seed, double *best,
                double *ms) {
    json_t *sj = json_loads(pb->space, 0, NULL);
    json_t *opts = json_loads(en->options, 0, NULL);
    struct space *s = NULL;
    struct err e;
    if (space_parse(sj, &s, &e) || search_check(en->searcher, opts, s, pb->n_objectives, &e)) {
        fprintf(stderr, "setup failed: %s %s\n", e.code, e.field);
        exit(1);
    }
    int n = pb->n_trials, m = pb->n_objectives, maximize[2] = {0, 0};
    struct search_trial *t = calloc((size_t)n, sizeof *t);
    double *vals = calloc((size_t)n * 2, sizeof *vals), cur = INFINITY;
    for (int i = 0; i < n; i++) {
        struct search_ctx c = {s, m, maximize, opts, (uint64_t)seed, t, (size_t)i, i};
        json_t *p;
        double t0 = now_ms();
        if (search_propose(en->searcher, &c, &p, &e) != 0) exit(1);
        ms[i] = now_ms() - t0;
        cur = fmin(cur, pb->eval(p, &vals[i * 2]));
        t[i] = (struct search_trial){i, SEARCH_COMPLETE, p, &vals[i * 2]};
        for (int q = 1; q <= 3; q++)
            if (i + 1 == (n * (q == 3 ? 4 : q)) / 4)
                best[q - 1] = m == 1 ? cur : hypervolume(vals, (size_t)i + 1);
    }
    for (int i = 0; i < n; i++) json_decref((json_t *)t[i].params);
    free(t);
    free(vals);
    space_free(s);
    json_decref(sj);
    json_decref(opts);
}

static void timing(void) {
    const struct problem *pb = &PROBLEMS[0];
    struct problem long_run = *pb;
    long_run.n_trials = 1000;
    double best[3], *ms = calloc(1000, sizeof *ms);
    run(&long_run, &ENTRIES[1], 1, best, ms);
    double at100 = 0, at1000 = 0;
    for (int i = 90; i < 110; i++) at100 += ms[i] / 20;
    for (int i = 980; i < 1000; i++) at1000 += ms[i] / 20;
    printf("timing hpod tpe ms_at_100=%.3f ms_at_1000=%.3f\n", at100, at1000);
    free(ms);
}

int main(int argc, char **argv) {
    int n_seeds = 20;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            n_seeds = 5;
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            n_seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
    }
    printf("# hpod searchers: %d seeds, sequential ask/tell, one process\n", n_seeds);
    for (size_t p = 0; p < sizeof PROBLEMS / sizeof PROBLEMS[0]; p++) {
        const struct problem *pb = &PROBLEMS[p];
        if (only && !strstr(only, pb->name)) continue;
        for (size_t k = 0; k < sizeof ENTRIES / sizeof ENTRIES[0]; k++) {
            const struct entry *en = &ENTRIES[k];
            int is_multi = pb->n_objectives > 1;
            if (en->is_multi != 2 && en->is_multi != is_multi) continue;
            for (int seed = 0; seed < n_seeds; seed++) {
                double best[3], *ms = calloc((size_t)pb->n_trials, sizeof *ms), total = 0;
                run(pb, en, seed, best, ms);
                for (int i = 0; i < pb->n_trials; i++) total += ms[i];
                printf("run hpod %s %s %d %.10g %.10g %.10g %.4f\n", pb->name, en->label, seed,
                       best[0], best[1], best[2], total / pb->n_trials);
                fflush(stdout);
                free(ms);
            }
        }
    }
    if (!only || strstr(only, "timing")) timing();
    return 0;
}
