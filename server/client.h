/* client: a small libcurl JSON client for talking to an hpod server, used
 * by `hpod worker` and the `hpod study ...` commands. One handle per
 * thread (curl handles are not shared). It also reads the bearer token
 * (HPOD_TOKEN or HPOD_TOKEN_FILE), for itself and for `hpod serve`.
 * Entry points: client_open, client_call, client_close, client_token_read,
 * client_token_check.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CLIENT_H
#define HPOD_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct client;

/* The bearer token, the same for the server and its clients: HPOD_TOKEN,
 * or else the first line of the file HPOD_TOKEN_FILE names (so that it
 * need not sit in the environment). Writes it to out ("" for none).
 * Fails with 500 "token_file" when that file cannot be read or its first
 * line is empty. */
int client_token_read(char *out, size_t n, struct err *e);

/* For programs about to open clients: 0 when the token, if any, can be
 * read; else prints why on stderr after prefix and returns -1. The client
 * itself would just send no token, and the server's 401 hide the cause. */
int client_token_check(const char *prefix);

/* A client for base_url ("http://host:port") that sends the token of
 * client_token_read with every call. A token file that cannot be read
 * sends none: programs call client_token_check first to report that.
 * Free with client_close. */
struct client *client_open(const char *base_url);
void client_close(struct client *c);

/* method path (e.g. "/api/v1/studies") with body (borrowed, may be NULL).
 * Returns the HTTP status and sets *out to the parsed JSON object of a
 * 2xx reply (new reference), else NULL. On a transport failure returns -1
 * and fills e with 503 "server_unreachable". A 4xx/5xx reply fills e
 * from its error body, or with "bad_reply" when that body is not hpod's.
 * Any other reply without a JSON object (a web page answering 200, an
 * unfollowed redirect) returns 502 and fills e with "bad_reply". */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
                json_t **out, struct err *e);

/* Fill e with 502 "bad_reply" naming the URL and status of c's last call,
 * whose reply does not have the shape hpod gives. For callers that find
 * a field missing. Returns -1. */
int client_bad_reply(const struct client *c, struct err *e);

#endif
