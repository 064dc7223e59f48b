/* http: the libmicrohttpd daemon, one struct req per request, and the only
 * code that writes replies (http_reply_json, http_reply_error, ...). Every
 * request gets an id, sent back in X-Request-Id and logged once.
 * Entry points: http_start, http_stop, the http_reply_* family.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_HTTP_H
#define HPOD_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Request bodies larger than this are refused with 413 "too_large". */
#define HTTP_BODY_MAX (1024 * 1024)
#define HTTP_MAX_CAPTURES 4

struct MHD_Connection;

struct req {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    char *body; /* NUL-terminated copy of the body, or NULL */
    size_t body_len;
    int is_too_large;
    char id[20];                             /* request id, hex */
    const char *captures[HTTP_MAX_CAPTURES]; /* {id}-style path segments */
    int n_captures;
    char allow[32]; /* the methods a 405 names in its Allow header */
    int status;     /* set by the reply */
    double t_start_ms;
};

struct http_cfg {
    const char *host;  /* address to bind, e.g. "127.0.0.1" */
    int port;          /* 0 picks a free port */
    const char *token; /* bearer token guarding writes, or NULL */
};

/* Start serving. Returns 0 and the bound port in *port_out. Errors: 500
 * "listen_failed" when the address cannot be bound. */
int http_start(const struct http_cfg *cfg, int *port_out, struct err *e);
void http_stop(void);

/* Replies. Each request gets exactly one. http_reply_json takes json. */
void http_reply_json(struct req *r, int status, json_t *json);
void http_reply_error(struct req *r, const struct err *e);
/* The usual end of a handler: json (taken) with status when not NULL,
 * else the error in e. */
void http_reply_result(struct req *r, int status, json_t *json, const struct err *e);
void http_reply_text(struct req *r, int status, const char *content_type, const char *text,
                     size_t len);
/* Reply with the file open on fd (taken: closed by the library). */
void http_reply_fd(struct req *r, int fd, size_t size, const char *content_type);
/* Reply with a stream produced by fn(cls, pos, buf, max) until it returns
 * a negative value; free_fn(cls) runs when the client goes away. Used for
 * server-sent events. */
typedef ssize_t (*http_stream_fn)(void *cls, uint64_t pos, char *buf, size_t max);
void http_reply_stream(struct req *r, const char *content_type, http_stream_fn fn, void *cls,
                       void (*free_fn)(void *));

/* A query-string argument, or NULL. Borrowed for the request's life. */
const char *http_query(const struct req *r, const char *key);

/* Parse the body as a JSON object. Errors: 415 "unsupported_media_type",
 * 400 "malformed_json", 400 "body_not_object". Returns a new reference. */
json_t *http_body_object(const struct req *r, struct err *e);

#endif
