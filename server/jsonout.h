/* jsonout: JSON text for replies, events and webhooks in which every
 * number reads back as the double it came from, with as few digits as the
 * data allows. Entry point: jsonout_dumps.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_JSONOUT_H
#define HPOD_JSONOUT_H

#include <jansson.h>

/* json_dumps(j, flags) at 16 significant digits, or at 17 when some real
 * in j needs them to round-trip. Returns a new string (free), or NULL
 * when Jansson fails. flags must not carry JSON_REAL_PRECISION. */
char *jsonout_dumps(const json_t *j, size_t flags);

#endif
