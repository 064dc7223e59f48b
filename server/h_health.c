/* h_health: the two probes. Readiness asks the database for the applied
 * migration version, so it fails while PostgreSQL is down or behind.
 * SPDX-License-Identifier: MIT */
#include "h_health.h"

#include "migrate.h"

void h_health_live(struct req *r) {
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void h_health_ready(struct req *r) {
    if (migrate_is_current()) {
        http_reply_json(r, 200, json_pack("{s:s, s:b}", "status", "ready", "database", 1));
        return;
    }
    struct err e;
    err_set(&e, 503, "not_ready", NULL, "the database is unreachable or not migrated");
    http_reply_error(r, &e);
}
