/* client: a small libcurl JSON client for talking to an hpod server, used
 * by `hpod worker` and the `hpod study ...` commands. One handle per
 * thread (curl handles are not shared); the bearer token comes from
 * HPOD_TOKEN. Entry points: client_open, client_call, client_close.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CLIENT_H
#define HPOD_CLIENT_H

#include <jansson.h>

#include "err.h"

struct client;

/* A client for base_url ("http://host:port"). Free with client_close. */
struct client *client_open(const char *base_url);
void client_close(struct client *c);

/* method path (e.g. "/api/v1/studies") with body (borrowed, may be NULL).
 * Returns the HTTP status and sets *out to the parsed JSON reply (new
 * reference, or NULL). On a transport failure returns -1 and fills e with
 * 503 "server_unreachable". A 4xx/5xx reply fills e from its error body. */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
                json_t **out, struct err *e);

#endif
