/* webhook: delivery of study notifications. Events come from events.c, so
 * a notification is sent by the server that handled the change.
 * TODO: deliveries live in memory; a server killed between a study's end
 * and the POST never sends it. An outbox table written in the same
 * transaction as the change would make delivery at-least-once.
 * SPDX-License-Identifier: MIT */
#include "webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_study.h"
#include "events.h"
#include "jsonout.h"
#include "log.h"
#include "store_study.h"

#define WEBHOOK_TRIES 3
#define WEBHOOK_TIMEOUT_S 5L

static pthread_t thread;
static atomic_int is_running;

static size_t discard(char *p, size_t size, size_t n, void *arg) {
    (void)p;
    (void)arg;
    return size * n;
}

/* Abort a transfer once the server is stopping (libcurl calls this about
 * once a second while it waits), so that a slow receiver cannot hold up
 * shutdown. */
static int on_progress(void *arg, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total,
                       curl_off_t ul_now) {
    (void)arg;
    (void)dl_total;
    (void)dl_now;
    (void)ul_total;
    (void)ul_now;
    return !atomic_load(&is_running);
}

/* Sleep s seconds, or less when the server stops meanwhile. */
static void pause_s(int s) {
    for (int i = 0; i < 10 * s && atomic_load(&is_running); i++) usleep(100000);
}

static void deliver(const char *url, long long study_id, const json_t *payload) {
    char *body = jsonout_dumps(payload, JSON_COMPACT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    long status = 0;
    for (int attempt = 1; attempt <= WEBHOOK_TRIES && atomic_load(&is_running); attempt++) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, WEBHOOK_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) break;
        log_warn("webhook", "delivery_failed", "study=%lld attempt=%d status=%ld", study_id,
                 attempt, status);
        pause_s(attempt);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(body);
}

/* Decide whether a notable event deserves a notification. */
static void consider(const struct events_note *ev) {
    char key[24];
    snprintf(key, sizeof key, "%lld", ev->study_id);
    struct err e;
    struct study s;
    if (store_study_load(key, &s, &e) != 0 || !s.webhook) {
        store_study_release(&s);
        return;
    }
    json_t *study = store_study_get(key, &e);
    const json_t *best = json_object_get(study, "best");
    int is_new_best = !ev->is_study_done && json_is_object(best) &&
                      json_integer_value(json_object_get(best, "number")) == ev->trial_number;
    if (study && (ev->is_study_done || is_new_best)) {
        json_t *payload = json_pack("{s:s, s:I, s:s, s:O}", "event",
                                    ev->is_study_done ? "study_done" : "new_best", "study",
                                    (json_int_t)ev->study_id, "name", s.name, "best", best);
        deliver(s.webhook, ev->study_id, payload);
        json_decref(payload);
    }
    json_decref(study);
    store_study_release(&s);
}

static void *webhook_main(void *arg) {
    (void)arg;
    uint64_t cursor = events_head();
    while (atomic_load(&is_running) && !events_is_closed()) {
        struct events_note ev;
        if (events_next_notable(&cursor, 1000, &ev)) consider(&ev);
    }
    return NULL;
}

void webhook_start(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atomic_store(&is_running, 1);
    pthread_create(&thread, NULL, webhook_main, NULL);
}

void webhook_stop(void) {
    if (!atomic_load(&is_running)) return;
    atomic_store(&is_running, 0);
    pthread_join(thread, NULL);
}
