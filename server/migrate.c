/* migrate: the migration runner. Checksums are computed by PostgreSQL's
 * sha256() so no hashing code lives here. A session advisory lock makes
 * concurrent start-ups of several servers apply each file once.
 * SPDX-License-Identifier: MIT */
#include "migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "store.h"

/* Any fixed number works; it only has to be the same for every server. */
#define MIGRATE_LOCK_KEY "7366412"

/* Highest version found by the last migrate_run, for readiness checks. */
static int known_latest;

struct mig {
    int version;
    char name[256];
};

static int by_version(const void *a, const void *b) {
    return ((const struct mig *)a)->version - ((const struct mig *)b)->version;
}

static int is_migration_name(const char *n) {
    size_t len = strlen(n);
    return len > 9 && n[0] >= '0' && n[0] <= '9' && n[4] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

/* Fill *out with a new array of the migration files of dir, sorted by
 * version; the caller frees it. */
static int list_files(const char *dir, struct mig **out, int *n_out, struct err *e) {
    DIR *d = opendir(dir);
    if (!d) return err_set(e, 500, "migration_missing", NULL, "no migrations folder at %s", dir);
    struct mig *list = NULL;
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!is_migration_name(de->d_name)) continue;
        list = xrealloc(list, (size_t)(n + 1) * sizeof *list);
        list[n].version = atoi(de->d_name);
        snprintf(list[n].name, sizeof list[n].name, "%s", de->d_name);
        n++;
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof *list, by_version);
    *n_out = n;
    *out = list;
    return 0;
}

/* Returns the file's text as a new string, or NULL. */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (size_t got; (got = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (cap - len < 2) buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static const char *const SQL_TABLE = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                     " version integer PRIMARY KEY,"
                                     " name text NOT NULL,"
                                     " checksum text NOT NULL,"
                                     " applied_at timestamptz NOT NULL DEFAULT now())";

static const char *const SQL_CHECK =
    "SELECT checksum = encode(sha256(convert_to($2, 'UTF8')), 'hex')"
    " FROM schema_migrations WHERE version = $1";

static const char *const SQL_RECORD =
    "INSERT INTO schema_migrations (version, name, checksum)"
    " VALUES ($1, $3, encode(sha256(convert_to($2, 'UTF8')), 'hex'))";

/* Apply one file unless already applied with the same text. */
static int apply_one(PGconn *c, const char *dir, const struct mig *m, struct err *e) {
    char path[800], version[16];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    snprintf(version, sizeof version, "%d", m->version);
    char *text = read_text(path);
    if (!text) return err_set(e, 500, "migration_missing", NULL, "cannot read %s", path);

    const char *params[] = {version, text, m->name};
    int rc = -1;
    PGresult *r = store_exec(c, SQL_CHECK, 2, params, e);
    if (!r) goto out;
    if (PQntuples(r) == 1) {
        rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0
                 ? 0
                 : err_set(e, 500, "migration_changed", NULL,
                           "migration %s was changed after it was applied; restore it "
                           "and add a new migration instead",
                           m->name);
        PQclear(r);
        goto out;
    }
    PQclear(r);

    /* The file runs as one transaction together with its record. */
    r = PQexec(c, "BEGIN");
    PQclear(r);
    r = PQexec(c, text);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        store_fail(c, r, NULL);
        err_set(e, 500, "migration_failed", NULL, "migration %s failed: %.120s", m->name,
                PQresultErrorMessage(r));
        PQclear(r);
        PQclear(PQexec(c, "ROLLBACK"));
        goto out;
    }
    PQclear(r);
    r = store_exec(c, SQL_RECORD, 3, params, e);
    if (!r) {
        PQclear(PQexec(c, "ROLLBACK"));
        goto out;
    }
    PQclear(r);
    r = store_exec(c, "COMMIT", 0, NULL, e);
    if (!r) goto out;
    PQclear(r);
    log_info("db", "migration_applied", "version=%d name=%s", m->version, m->name);
    rc = 0;
out:
    free(text);
    return rc;
}

int migrate_run(const char *dir, int *latest, struct err *e) {
    int n = 0;
    struct mig *list = NULL;
    if (list_files(dir, &list, &n, e) != 0) return -1;
    PGconn *c = store_acquire();
    int rc = 0;
    PGresult *r = store_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, e);
    if (!r) {
        rc = -1;
        goto out;
    }
    PQclear(r);
    r = store_exec(c, SQL_TABLE, 0, NULL, e);
    if (!r) rc = -1;
    PQclear(r);
    for (int i = 0; rc == 0 && i < n; i++) rc = apply_one(c, dir, &list[i], e);
    PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
out:
    store_release(c);
    *latest = n ? list[n - 1].version : 0;
    known_latest = *latest;
    free(list);
    return rc;
}

int migrate_is_current(void) {
    PGconn *c = store_acquire();
    PGresult *r =
        store_exec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, NULL);
    int ok = r && PQntuples(r) == 1 && atoi(PQgetvalue(r, 0, 0)) == known_latest;
    PQclear(r);
    store_release(c);
    return ok;
}
