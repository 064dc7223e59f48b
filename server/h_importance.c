/* h_importance: replies with the parameter importance of one study,
 * computed by importance.c from the trials store_importance reads. The
 * estimate is recomputed on every request; nothing is cached.
 * SPDX-License-Identifier: MIT */
#include "h_importance.h"

#include <stdlib.h>
#include <string.h>

#include "importance.h"
#include "mem.h"
#include "store_importance.h"
#include "store_study.h"

struct ranked {
    const char *param;
    double share;
    size_t order; // declaration order, to break ties the same way each time
};

static int cmp_ranked(const void *a, const void *b) {
    const struct ranked *x = a, *y = b;
    if (x->share != y->share) return x->share < y->share ? 1 : -1;
    return (x->order > y->order) - (x->order < y->order);
}

/* The reply body: shares sorted high to low. Borrows s and share. */
static json_t *importance_json(const struct study *s, int objective, const double *share,
                               size_t n_trials) {
    size_t d = s->space->n_params;
    struct ranked *rk = xmalloc((d + 1) * sizeof *rk);
    for (size_t i = 0; i < d; i++) rk[i] = (struct ranked){s->space->params[i].name, share[i], i};
    qsort(rk, d, sizeof *rk, cmp_ranked);
    json_t *list = json_array();
    for (size_t i = 0; i < d; i++) {
        json_array_append_new(
            list, json_pack("{s:s, s:f}", "param", rk[i].param, "importance", rk[i].share));
    }
    free(rk);
    return json_pack("{s:o, s:s, s:s, s:I}", "importance", list, "method", IMPORTANCE_METHOD,
                     "objective", s->objective[objective], "n_trials", (json_int_t)n_trials);
}

void h_importance_get(struct req *r) {
    struct err e;
    err_clear(&e);
    struct study s = {0};
    json_t *out = NULL;
    if (store_study_load(r->captures[0], &s, &e) != 0) goto out;
    const char *name = http_query(r, "objective");
    int k = name ? codec_study_objective(&s, name) : 0;
    if (k < 0) {
        err_set(&e, 400, "bad_query", "objective", "objective must name an objective");
        goto out;
    }
    double *x = NULL, *y = NULL;
    size_t n = 0;
    if (store_importance_load(&s, k, &x, &y, &n, &e) != 0) goto out;
    double *share = xmalloc((s.space->n_params + 1) * sizeof *share);
    importance_compute(s.space, x, y, n, share);
    out = importance_json(&s, k, share, n);
    free(share);
    free(y);
    free(x);
out:
    http_reply_result(r, 200, out, &e);
    store_study_release(&s);
}
