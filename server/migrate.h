/* migrate: apply migrations/NNNN_<what>.sql in order, each in its own
 * transaction, recorded in schema_migrations with a SHA-256 checksum. An
 * applied file whose text changed stops start-up, naming the file.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_MIGRATE_H
#define HPOD_MIGRATE_H

#include "err.h"

/* Apply every pending migration found in dir. On success *latest is the
 * highest version known. Errors: 500 "migration_changed" (an applied
 * file was edited), 500 "migration_failed" (a file's SQL failed),
 * 500 "migration_missing" (no migrations folder). */
int migrate_run(const char *dir, int *latest, struct err *e);

/* Return 1 when the database holds the latest version that the last
 * migrate_run found on disk, 0 otherwise (or when unreachable). */
int migrate_is_current(void);

#endif
