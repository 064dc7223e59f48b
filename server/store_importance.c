/* store_importance: reads the complete trials that parameter importance is
 * estimated from. Params come back as JSON text and are decoded with the
 * study's space, so values that no longer fit the space become NaN.
 * SPDX-License-Identifier: MIT */
#include "store_importance.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "mem.h"
#include "store.h"

static const char *const SQL_COMPLETE_TRIALS = "SELECT params,"
                                               " \"values\"[$2::int]"
                                               " FROM trials"
                                               " WHERE study_id = $1"
                                               " AND state = 'complete'"
                                               " AND \"values\"[$2::int] IS NOT NULL"
                                               " ORDER BY number";

int store_importance_load(const struct study *s, int objective, double **x, double **y, size_t *n,
                          struct err *e) {
    char sid[24], obj[24];
    snprintf(sid, sizeof sid, "%lld", s->id);
    snprintf(obj, sizeof obj, "%d", objective + 1);
    const char *p[] = {sid, obj};
    PGconn *c = store_acquire();
    PGresult *r = store_exec(c, SQL_COMPLETE_TRIALS, 2, p, e);
    store_release(c);
    if (!r) return -1;

    size_t rows = (size_t)PQntuples(r), d = s->space->n_params;
    *x = xmalloc((rows * d + 1) * sizeof **x);
    *y = xmalloc((rows + 1) * sizeof **y);
    for (size_t i = 0; i < rows; i++) {
        json_t *params = json_loads(PQgetvalue(r, (int)i, 0), 0, NULL);
        space_decode(s->space, params, *x + i * d);
        json_decref(params);
        (*y)[i] = strtod(PQgetvalue(r, (int)i, 1), NULL);
    }
    *n = rows;
    PQclear(r);
    return 0;
}
