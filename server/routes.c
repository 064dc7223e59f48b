/* routes: the route table and its matcher. Handlers are h_<res>_<action>
 * and live in h_<res>.c; each ends in exactly one http_reply_*.
 * SPDX-License-Identifier: MIT */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "h_health.h"
#include "h_importance.h"
#include "h_metrics.h"
#include "h_static.h"
#include "h_study.h"
#include "h_trial.h"

typedef void (*route_fn)(struct req *r);

struct route {
    const char *method;
    const char *pattern;
    route_fn fn;
};

static const struct route table[] = {
    {"GET", "/healthz", h_health_live},
    {"GET", "/readyz", h_health_ready},
    {"GET", "/metrics", h_metrics_get},
    {"POST", "/api/v1/studies", h_study_create},
    {"GET", "/api/v1/studies", h_study_list},
    {"GET", "/api/v1/studies/{id}", h_study_get},
    {"DELETE", "/api/v1/studies/{id}", h_study_delete},
    {"POST", "/api/v1/studies/{id}/stop", h_study_stop},
    {"POST", "/api/v1/studies/{id}/resume", h_study_resume},
    {"GET", "/api/v1/studies/{id}/leaderboard", h_study_leaderboard},
    {"GET", "/api/v1/studies/{id}/events", h_study_events},
    {"GET", "/api/v1/studies/{id}/curves", h_trial_curves},
    {"GET", "/api/v1/studies/{id}/importance", h_importance_get},
    {"POST", "/api/v1/studies/{id}/trials", h_trial_enqueue},
    {"GET", "/api/v1/studies/{id}/trials", h_trial_list},
    {"POST", "/api/v1/studies/{id}/trials/ask", h_trial_ask},
    {"GET", "/api/v1/studies/{id}/trials/{number}", h_trial_get},
    {"POST", "/api/v1/studies/{id}/trials/{number}/report", h_trial_report},
    {"POST", "/api/v1/studies/{id}/trials/{number}/heartbeat", h_trial_heartbeat},
    {"POST", "/api/v1/studies/{id}/trials/{number}/complete", h_trial_complete},
    {"POST", "/api/v1/studies/{id}/trials/{number}/fail", h_trial_fail},
    {"POST", "/api/v1/studies/{id}/trials/{number}/release", h_trial_release},
};

/* Match path against pattern segment by segment; {x} takes one non-empty
 * segment. Captures point into buf, a copy of the path cut at slashes. */
static int match(const char *pattern, const char *path, char *buf, size_t n, struct req *r) {
    if (pattern[0] != '/' || path[0] != '/' || strlen(path) >= n) return 0;
    strcpy(buf, path);
    r->n_captures = 0;
    const char *p = pattern + 1;
    char *s = buf + 1;
    for (;;) {
        size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
        char p_sep = p[pl], s_sep = s[sl];
        if (*p == '{') {
            if (sl == 0 || r->n_captures == HTTP_MAX_CAPTURES) return 0;
            r->captures[r->n_captures++] = s;
        } else if (pl != sl || strncmp(p, s, pl) != 0) {
            return 0;
        }
        if (!p_sep && !s_sep) return 1;
        if (!p_sep || !s_sep) return 0;
        s[sl] = '\0';
        p += pl + 1;
        s += sl + 1;
    }
}

/* Fill r->allow with the methods of the routes whose pattern matches r's
 * path with n_captures captures, as routes_dispatch chose them. */
static void allowed(struct req *r, int n_captures, char *buf, size_t n) {
    size_t len = 0;
    r->allow[0] = '\0';
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!match(table[i].pattern, r->path, buf, n, r) || r->n_captures != n_captures) continue;
        len += (size_t)snprintf(r->allow + len, sizeof r->allow - len, "%s%s", len ? ", " : "",
                                table[i].method);
        if (len >= sizeof r->allow) break;
    }
}

/* The route for r: among the patterns that match the path, those with the
 * fewest captures win (so /trials/ask is never read as trial "ask"); the
 * one of them with r's method is called, else 405. */
void routes_dispatch(struct req *r) {
    static __thread char buf[1024];
    int best_captures = HTTP_MAX_CAPTURES + 1;
    const struct route *hit = NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!match(table[i].pattern, r->path, buf, sizeof buf, r)) continue;
        int is_method = strcmp(table[i].method, r->method) == 0;
        if (r->n_captures < best_captures) {
            best_captures = r->n_captures;
            hit = is_method ? &table[i] : NULL;
        } else if (r->n_captures == best_captures && is_method) {
            hit = &table[i];
        }
    }
    struct err e;
    if (hit) {
        match(hit->pattern, r->path, buf, sizeof buf, r);
        hit->fn(r);
    } else if (best_captures <= HTTP_MAX_CAPTURES) {
        allowed(r, best_captures, buf, sizeof buf);
        err_set(&e, 405, "method_not_allowed", NULL, "%s is not allowed on %s; use %s", r->method,
                r->path, r->allow);
        http_reply_error(r, &e);
    } else if (strncmp(r->path, "/api/", 5) == 0 || strcmp(r->method, "GET") != 0) {
        err_set(&e, 404, "not_found", NULL, "no route %s %s", r->method, r->path);
        http_reply_error(r, &e);
    } else {
        h_static_get(r);
    }
}
