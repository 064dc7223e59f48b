/* client: libcurl easy handles with keep-alive, JSON in and out. Errors
 * returned by the server are copied into struct err unchanged, so callers
 * can act on their stable codes; a reply that is not hpod's JSON becomes
 * "bad_reply", so that no caller reads fields that are not there.
 * SPDX-License-Identifier: MIT */
#include "client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Replies larger than this are refused; the largest API replies (curves
 * of a big study) stay far below it. */
#define CLIENT_REPLY_MAX (256u * 1024 * 1024)

struct client {
    CURL *curl;
    char *base;
    char *url;   // of the last call, for messages
    long status; // of the last call, 0 when it reached no server
    struct curl_slist *headers;
    char *buf;
    size_t len;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg) {
    struct client *c = arg;
    size_t add = size * n;
    if (c->len + add > CLIENT_REPLY_MAX) return 0;
    c->buf = xrealloc(c->buf, c->len + add + 1);
    memcpy(c->buf + c->len, data, add);
    c->len += add;
    c->buf[c->len] = '\0';
    return add;
}

struct client *client_open(const char *base_url) {
    static int is_init;
    if (!is_init) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        is_init = 1;
    }
    struct client *c = xcalloc(1, sizeof *c);
    c->curl = curl_easy_init();
    c->base = xstrdup(base_url);
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/') c->base[--n] = '\0';
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    char token[256];
    if (client_token_read(token, sizeof token, NULL) == 0 && token[0]) {
        char *h = xasprintf("Authorization: Bearer %s", token);
        c->headers = curl_slist_append(c->headers, h);
        free(h);
    }
    return c;
}

void client_close(struct client *c) {
    if (!c) return;
    curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c->base);
    free(c->url);
    free(c->buf);
    free(c);
}

int client_token_read(char *out, size_t n, struct err *e) {
    const char *env = getenv("HPOD_TOKEN"), *path = getenv("HPOD_TOKEN_FILE");
    snprintf(out, n, "%s", env ? env : "");
    if (out[0] || !path || !*path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return err_set(e, 500, "token_file", NULL, "cannot read HPOD_TOKEN_FILE %s", path);
    if (!fgets(out, (int)n, f)) out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!out[0]) return err_set(e, 500, "token_file", NULL, "HPOD_TOKEN_FILE %s is empty", path);
    return 0;
}

int client_token_check(const char *prefix) {
    struct err e;
    err_clear(&e);
    char token[256];
    if (client_token_read(token, sizeof token, &e) == 0) return 0;
    fprintf(stderr, "%s: %s\n", prefix, e.msg);
    return -1;
}

int client_bad_reply(const struct client *c, struct err *e) {
    return err_set(e, 502, "bad_reply", NULL, "%s: the reply is not from an hpod server (HTTP %ld)",
                   c->url ? c->url : c->base, c->status);
}

/* Fill e from an error reply: hpod's {"error":{"code","message","field"}},
 * or "bad_reply" for anything else (a proxy's page, another service). */
static void error_from_reply(const struct client *c, const json_t *reply, struct err *e) {
    const json_t *er = json_object_get(reply, "error");
    const char *code = json_string_value(json_object_get(er, "code"));
    const char *msg = json_string_value(json_object_get(er, "message"));
    const char *field = json_string_value(json_object_get(er, "field"));
    if (!code) {
        client_bad_reply(c, e);
        e->http = (int)c->status;
        return;
    }
    /* codes are static strings in struct err; keep a copy per thread. */
    static __thread char code_buf[64];
    snprintf(code_buf, sizeof code_buf, "%s", code);
    err_set(e, (int)c->status, code_buf, field, "%s", msg ? msg : "the server answered an error");
}

int client_call(struct client *c, const char *method, const char *path, const json_t *body,
                json_t **out, struct err *e) {
    *out = NULL;
    c->len = 0;
    c->status = 0;
    free(c->url);
    c->url = xasprintf("%s%s", c->base, path);
    char *payload = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
    if (strcmp(method, "GET") && strcmp(method, "POST")) {
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, payload ? payload : "");
    }
    CURLcode rc = curl_easy_perform(c->curl);
    free(payload);
    if (rc != CURLE_OK) {
        return err_set(e, 503, "server_unreachable", NULL, "cannot reach %s: %s", c->base,
                       curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);

    /* Every reply of hpod's API, success or error, is one JSON object. */
    json_t *reply = c->len ? json_loadb(c->buf, c->len, JSON_DECODE_ANY, NULL) : NULL;
    if (!json_is_object(reply)) {
        json_decref(reply);
        reply = NULL;
    }
    if (c->status >= 400) {
        error_from_reply(c, reply, e);
        json_decref(reply);
        return (int)c->status;
    }
    /* A 2xx (or a 3xx, which is never followed) that carries no object is
     * not hpod's answer: report it as a gateway would, 502, so that callers
     * testing for success never take it for one. */
    if (!reply || c->status < 200 || c->status >= 300) {
        json_decref(reply);
        client_bad_reply(c, e);
        return 502;
    }
    *out = reply;
    return (int)c->status;
}
