/* http: libmicrohttpd glue. A thread per connection keeps handlers simple
 * (they may block on the database) and lets server-sent event streams
 * wait on a condition variable. Routing itself is routes.c's job; this
 * file accumulates bodies, checks tokens on writes, and writes replies.
 * SPDX-License-Identifier: MIT */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "log.h"
#include "mem.h"
#include "routes.h"

static struct MHD_Daemon *daemon_handle;
static const char *write_token;
static atomic_ullong request_seq;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void queue(struct req *r, int status, struct MHD_Response *resp) {
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* RFC 6750: a refused bearer token says which scheme to use. */
    if (status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    /* RFC 9110: a 405 lists the methods the resource has. */
    if (status == 405 && r->allow[0]) MHD_add_response_header(resp, "Allow", r->allow);
    r->status = status;
    MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
}

void http_reply_text(struct req *r, int status, const char *content_type, const char *text,
                     size_t len) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", content_type);
    queue(r, status, resp);
}

void http_reply_json(struct req *r, int status, json_t *json) {
    char *s = json ? jsonout_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!s) {
        /* A reply that could not be built (no memory, or text that is not
         * UTF-8 slipped into it) still answers, rather than taking the
         * server down. */
        log_warn("http", "reply_unbuildable", "req=%s status=%d", r->id, status);
        status = 500;
        s = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":\"the server failed\","
                    "\"field\":null}}");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    queue(r, status, resp);
}

void http_reply_error(struct req *r, const struct err *e) {
    int status = e && e->http ? e->http : 500;
    const char *code = e && e->code ? e->code : "internal";
    const char *msg = e && e->msg[0] ? e->msg : "the server failed";
    json_t *body = json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message", msg, "field",
                             e && e->field[0] ? json_string(e->field) : json_null());
    if (status >= 500) {
        log_warn("http", "server_error", "req=%s code=%s", r->id, code);
    }
    http_reply_json(r, status, body);
}

void http_reply_result(struct req *r, int status, json_t *json, const struct err *e) {
    if (json)
        http_reply_json(r, status, json);
    else
        http_reply_error(r, e);
}

/* The dashboard's policy: only its own origin, no framing. The page also
 * carries it in a meta tag; only the header can forbid framing. */
#define HTTP_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "                   \
    "frame-ancestors 'none'"

void http_reply_fd(struct req *r, int fd, size_t size, const char *content_type) {
    struct MHD_Response *resp = MHD_create_response_from_fd(size, fd);
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Content-Security-Policy", HTTP_CSP);
    queue(r, 200, resp);
}

void http_reply_stream(struct req *r, const char *content_type, http_stream_fn fn, void *cls,
                       void (*free_fn)(void *)) {
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 64 * 1024, (MHD_ContentReaderCallback)fn, cls, free_fn);
    MHD_add_response_header(resp, "Content-Type", content_type);
    queue(r, 200, resp);
}

const char *http_query(const struct req *r, const char *key) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

json_t *http_body_object(const struct req *r, struct err *e) {
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    /* Media types compare case-insensitively; parameters (charset) follow
     * a ';'. */
    size_t ct_len = ct ? strcspn(ct, "; \t") : 0;
    if (ct && (ct_len != 16 || strncasecmp(ct, "application/json", 16) != 0)) {
        err_set(e, 415, "unsupported_media_type", NULL, "Content-Type must be application/json");
        return NULL;
    }
    /* No body at all reads as {}: every field then gets its default or a
     * missing_field error that names it. */
    if (r->body_len == 0) return json_object();
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        err_set(e, 400, "malformed_json", NULL, "body is not valid JSON: %s (line %d)", je.text,
                je.line);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        err_set(e, 400, "body_not_object", NULL, "body must be a JSON object");
        return NULL;
    }
    return j;
}

/* Constant-time comparison so the token cannot be guessed byte by byte. */
static int token_matches(const char *given, const char *want) {
    size_t n = strlen(want), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++) {
        diff |= (unsigned char)(want[i] ^ (i < m ? given[i] : 0));
    }
    return diff == 0;
}

static int is_authorized(struct req *r) {
    if (!write_token) return 1;
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) return 1;
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    /* The scheme name is case-insensitive (RFC 7235). */
    return h && strncasecmp(h, "Bearer ", 7) == 0 && token_matches(h + 7, write_token);
}

/* Most query parameters one request may carry; no route reads more than
 * a handful. */
#define HTTP_QUERY_MAX 32

struct query_scan {
    const char *keys[HTTP_QUERY_MAX];
    size_t n;
    struct err *e;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size) {
    (void)kind;
    struct query_scan *q = cls;
    if (key_size == 0 && !value) return MHD_YES; /* an empty segment: "?&&limit=3" */
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        err_set(q->e, 400, "bad_query", key, "%s holds a NUL byte", key);
        return MHD_NO;
    }
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->keys[i], key) == 0) {
            err_set(q->e, 400, "bad_query", key, "%s is given more than once", key);
            return MHD_NO;
        }
    }
    if (q->n == HTTP_QUERY_MAX) {
        err_set(q->e, 400, "bad_query", key, "%s is past the limit of %d query parameters", key,
                HTTP_QUERY_MAX);
        return MHD_NO;
    }
    q->keys[q->n++] = key;
    return MHD_YES;
}

/* Refuse a query string that handlers would read wrongly: a parameter
 * given twice (only the first would count), or one cut short by a NUL. */
static int query_check(const struct req *r, struct err *e) {
    struct query_scan q = {.e = e};
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &q);
    return e->http ? -1 : 0;
}

static void dispatch(struct req *r) {
    struct err e;
    err_clear(&e);
    if (r->is_too_large) {
        err_set(&e, 413, "too_large", NULL, "request body exceeds %d bytes", HTTP_BODY_MAX);
        http_reply_error(r, &e);
    } else if (!is_authorized(r)) {
        err_set(&e, 401, "unauthorized", NULL, "this write needs a valid bearer token");
        http_reply_error(r, &e);
    } else if (query_check(r, &e) != 0) {
        http_reply_error(r, &e);
    } else {
        routes_dispatch(r);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    (void)cls;
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->conn = conn;
        r->method = method;
        r->path = url;
        r->t_start_ms = now_ms();
        snprintf(r->id, sizeof r->id, "%08x%04llx", (unsigned)time(NULL),
                 (unsigned long long)(atomic_fetch_add(&request_seq, 1) & 0xffff));
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->is_too_large && r->body_len + *upload_size > HTTP_BODY_MAX) {
            r->is_too_large = 1;
        }
        if (!r->is_too_large) {
            r->body = xrealloc(r->body, r->body_len + *upload_size + 1);
            memcpy(r->body + r->body_len, upload, *upload_size);
            r->body_len += *upload_size;
            r->body[r->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    dispatch(r);
    return MHD_YES;
}

static void on_complete(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *con_cls;
    if (!r) return;
    log_info("http", "request", "req=%s method=%s path=%s status=%d dur_ms=%.1f", r->id, r->method,
             r->path, r->status, now_ms() - r->t_start_ms);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages ("Failed to bind to port 0") become log
 * lines like every other, instead of bare text on stderr. */
static void on_library_message(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[300];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_warn("http", "library", "msg=\"%s\"", log_quotable(msg));
}

int http_start(const struct http_cfg *cfg, int *port_out, struct err *e) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1) {
        return err_set(e, 500, "listen_failed", "host", "bad listen address %s", cfg->host);
    }
    write_token = cfg->token;
    /* poll(), not select(): select cannot watch descriptors past 1023,
     * which a busy server with its database pool can reach. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    /* The logger comes first, so that it hears about the other options. */
    daemon_handle = MHD_start_daemon(
        flags, 0, NULL, NULL, &on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_library_message,
        NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, &on_complete, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
        MHD_OPTION_END);
    if (!daemon_handle) {
        return err_set(e, 500, "listen_failed", "port", "cannot listen on %s:%d", cfg->host,
                       cfg->port);
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : cfg->port;
    return 0;
}

void http_stop(void) {
    if (daemon_handle) MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
}
