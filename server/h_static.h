/* h_static: the dashboard's static files under web/, served at /.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_H_STATIC_H
#define HPOD_H_STATIC_H

#include "err.h"
#include "http.h"

/* Remember the web root (resolved once). Error 500 "web_missing". */
int h_static_init(const char *web_dir, struct err *e);

/* GET of any non-API path: the file under the web root, index.html for a
 * folder, 404 "not_found" for anything outside it (.., links). */
void h_static_get(struct req *r);

#endif
