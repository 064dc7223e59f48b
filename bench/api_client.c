/* api_client: one client of bench/api_bench.py written in C on hpod's own
 * HTTP client (server/client.c, the libcurl code behind `hpod worker`). It
 * runs the bench's loop -- ask for a trial, report one value at step 0,
 * complete it -- from start_at until stop_at (Unix seconds), then prints
 * one JSON line: trials done, its CPU seconds and every ask's latency.
 * Usage: api_client URL STUDY_ID WORKER START_AT STOP_AT
 * SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "err.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The bench's objective, the same as api_bench.py's. */
static double objective(const json_t *p) {
    double x = json_number_value(json_object_get(p, "x"));
    double y = json_number_value(json_object_get(p, "y"));
    const char *k = json_string_value(json_object_get(p, "k"));
    return (x - 1) * (x - 1) + y + (k && strcmp(k, "a") == 0 ? 0.1 : 0.0);
}

/* POST body to path; 0 on a 2xx reply (kept in *out when out is given). */
static int post(struct client *c, const char *path, json_t *body, json_t **out) {
    struct err e;
    err_clear(&e);
    json_t *reply = NULL;
    int status = client_call(c, "POST", path, body, &reply, &e);
    json_decref(body);
    if (status < 200 || status >= 300) {
        fprintf(stderr, "api_client: POST %s: %d %s\n", path, status, e.msg);
        json_decref(reply);
        return -1;
    }
    if (out)
        *out = reply;
    else
        json_decref(reply);
    return 0;
}

/* One ask, report, complete cycle; the ask's latency goes to *ask_ms. */
static int cycle(struct client *c, const char *base, const char *worker, double *ask_ms) {
    char path[256];
    snprintf(path, sizeof path, "%s/ask", base);
    json_t *got = NULL;
    double t0 = clock_s(CLOCK_MONOTONIC);
    if (post(c, path, json_pack("{s:s}", "worker", worker), &got) != 0) return -1;
    *ask_ms = 1e3 * (clock_s(CLOCK_MONOTONIC) - t0);
    json_t *trial = json_array_get(json_object_get(got, "trials"), 0);
    if (!trial) {
        fprintf(stderr, "api_client: the ask returned no trial\n");
        json_decref(got);
        return -1;
    }
    long long number = json_integer_value(json_object_get(trial, "number"));
    double v = objective(json_object_get(trial, "params"));
    json_decref(got);
    snprintf(path, sizeof path, "%s/%lld/report", base, number);
    json_t *report = json_pack("{s:i, s:f, s:s}", "step", 0, "value", v, "worker", worker);
    if (post(c, path, report, NULL) != 0) return -1;
    snprintf(path, sizeof path, "%s/%lld/complete", base, number);
    return post(c, path, json_pack("{s:f, s:s}", "value", v, "worker", worker), NULL);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: api_client URL STUDY_ID WORKER START_AT STOP_AT\n");
        return 2;
    }
    const char *worker = argv[3];
    double start_at = atof(argv[4]), stop_at = atof(argv[5]);
    char base[128];
    snprintf(base, sizeof base, "/api/v1/studies/%s/trials", argv[2]);
    struct client *c = client_open(argv[1]);
    while (clock_s(CLOCK_REALTIME) < start_at) {
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }

    size_t n = 0, cap = 1024;
    double *ask_ms = malloc(cap * sizeof *ask_ms);
    double cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = 0;
    while (rc == 0 && clock_s(CLOCK_REALTIME) < stop_at) {
        if (n == cap) ask_ms = realloc(ask_ms, (cap *= 2) * sizeof *ask_ms);
        rc = cycle(c, base, worker, &ask_ms[n]);
        if (rc == 0) n++;
    }
    double cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

    printf("{\"n\": %zu, \"cpu_s\": %.3f, \"ask_ms\": [", n, cpu_s);
    for (size_t i = 0; i < n; i++) printf("%s%.4f", i ? "," : "", ask_ms[i]);
    printf("]}\n");
    free(ask_ms);
    client_close(c);
    return rc == 0 ? 0 : 1;
}
