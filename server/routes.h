/* routes: the one route table, method + path pattern -> handler. Patterns
 * use {name} for a captured segment. Unknown paths under /api answer 404
 * "not_found", a known path with another method 405 "method_not_allowed";
 * any other GET goes to the static dashboard files.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_ROUTES_H
#define HPOD_ROUTES_H

#include "http.h"

/* Find the handler for r->method and r->path, fill r->captures, call it. */
void routes_dispatch(struct req *r);

#endif
