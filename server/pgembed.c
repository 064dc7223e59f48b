/* pgembed: initdb, pg_ctl start/stop for the embedded cluster. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to the `postgres`
 * user (HPOD_PG_USER overrides). When that user cannot reach the working
 * folder (a clone under /root, say), the cluster lives under
 * /var/lib/hpod/<hash of the folder> and var/pg is a symlink to it.
 * Servers started from one folder at once take turns on var/pg.lock.
 * SPDX-License-Identifier: MIT */
#include "pgembed.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

#define PG_BIN_DEFAULT "/usr/lib/postgresql/15/bin"

/* A Unix socket path must fit sockaddr_un (108 bytes) including the file
 * name ".s.PGSQL.5432"; keep a margin. */
#define SOCK_DIR_MAX 90

static unsigned long long fnv1a(const char *s) {
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int mkdir_owned(const char *path, const struct pgembed *pg) {
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
    if (pg->uid != (uid_t)-1 && chown(path, pg->uid, pg->gid) != 0) return -1;
    return 0;
}

static int pick_identity(struct pgembed *pg, struct err *e) {
    pg->uid = (uid_t)-1;
    pg->gid = (gid_t)-1;
    if (geteuid() != 0) return 0;
    const char *name = getenv("HPOD_PG_USER");
    if (!name || !*name) name = "postgres";
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        return err_set(e, 500, "db_embed", NULL,
                       "running as root needs an unprivileged user '%s' to own "
                       "the embedded PostgreSQL (set HPOD_PG_USER)",
                       name);
    }
    pg->uid = pw->pw_uid;
    pg->gid = pw->pw_gid;
    return 0;
}

/* Serialise servers started from one folder at the same moment: without
 * it both run initdb on one data folder, or both pg_ctl start, and the
 * loser exits. The lock file sits in var/, beside var/pg, so it also
 * covers creating the var/pg link. Returns the open file (closing it
 * releases the lock), or -1 with 500 "db_embed". */
static int lock_folder(const char *workdir, struct err *e) {
    char var[380], path[400];
    if ((size_t)snprintf(var, sizeof var, "%s/var", workdir) >= sizeof var - 8) {
        return err_set(e, 500, "db_embed", NULL, "working folder path is too long");
    }
    snprintf(path, sizeof path, "%s/pg.lock", var);
    if (mkdir(var, 0755) != 0 && errno != EEXIST) {
        return err_set(e, 500, "db_embed", NULL, "cannot create %s: %s", var, strerror(errno));
    }
    /* O_CLOEXEC: PostgreSQL, started from here, must not inherit the lock
     * and hold it for as long as it runs. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return err_set(e, 500, "db_embed", NULL, "cannot open %s: %s", path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    log_info("db", "embedded_wait", "lock=%s", path);
    int rc;
    do {
        rc = flock(fd, LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        close(fd);
        return err_set(e, 500, "db_embed", NULL, "cannot lock %s: %s", path, strerror(errno));
    }
    return fd;
}

/* Decide where the cluster's files live and create the folders. */
static int place_cluster(struct pgembed *pg, const char *workdir, struct err *e) {
    char var[380], link[400], base[400];
    if ((size_t)snprintf(var, sizeof var, "%s/var", workdir) >= sizeof var - 8) {
        return err_set(e, 500, "db_embed", NULL, "working folder path is too long");
    }
    snprintf(link, sizeof link, "%s/pg", var);
    if (mkdir(var, 0755) != 0 && errno != EEXIST) {
        return err_set(e, 500, "db_embed", NULL, "cannot create %s: %s", var, strerror(errno));
    }
    snprintf(base, sizeof base, "%s", link);
    if (pg->uid != (uid_t)-1 && !proc_can_access(var, pg->uid, pg->gid)) {
        /* The cluster's user cannot traverse the working folder. */
        if (mkdir("/var/lib/hpod", 0755) != 0 && errno != EEXIST) {
            return err_set(e, 500, "db_embed", NULL, "cannot create /var/lib/hpod");
        }
        snprintf(base, sizeof base, "/var/lib/hpod/pg-%016llx", fnv1a(workdir));
        struct stat st;
        if (lstat(link, &st) != 0 && symlink(base, link) != 0) {
            return err_set(e, 500, "db_embed", NULL, "cannot link %s", link);
        }
    }
    if (mkdir_owned(base, pg) != 0) {
        return err_set(e, 500, "db_embed", NULL, "cannot create %s: %s", base, strerror(errno));
    }
    snprintf(pg->data_dir, sizeof pg->data_dir, "%s/data", base);
    snprintf(pg->log_path, sizeof pg->log_path, "%s/postgres.log", base);
    snprintf(pg->sock_dir, sizeof pg->sock_dir, "%s/run", base);
    if (strlen(pg->sock_dir) > SOCK_DIR_MAX) {
        snprintf(pg->sock_dir, sizeof pg->sock_dir, "/tmp/hpod-pg-%016llx", fnv1a(workdir));
    }
    if (mkdir_owned(pg->sock_dir, pg) != 0) {
        return err_set(e, 500, "db_embed", NULL, "cannot create %s", pg->sock_dir);
    }
    return 0;
}

static const char *pg_bin(void) {
    const char *b = getenv("HPOD_PG_BIN");
    return b && *b ? b : PG_BIN_DEFAULT;
}

static int run_pg(struct pgembed *pg, char *const argv[]) {
    return proc_run(argv, pg->uid, pg->gid, pg->log_path);
}

static int init_cluster(struct pgembed *pg, struct err *e) {
    char version[600];
    snprintf(version, sizeof version, "%s/PG_VERSION", pg->data_dir);
    if (access(version, F_OK) == 0) return 0;
    char exe[600];
    snprintf(exe, sizeof exe, "%s/initdb", pg_bin());
    char *argv[] = {exe,    "-D",         pg->data_dir,        "-U", "hpod", "--auth=trust", "-E",
                    "UTF8", "--locale=C", "--no-instructions", NULL};
    log_info("db", "initdb", "data=%s", pg->data_dir);
    if (run_pg(pg, argv) != 0) {
        return err_set(e, 500, "db_embed", NULL, "initdb failed; see %s", pg->log_path);
    }
    return 0;
}

static int is_running(struct pgembed *pg) {
    char exe[600];
    snprintf(exe, sizeof exe, "%s/pg_ctl", pg_bin());
    char *argv[] = {exe, "status", "-D", pg->data_dir, NULL};
    return run_pg(pg, argv) == 0;
}

static int start_cluster(struct pgembed *pg, struct err *e) {
    if (is_running(pg)) {
        log_info("db", "embedded_reused", "data=%s", pg->data_dir);
        pg->is_started = 1;
        return 0;
    }
    char exe[600], opts[800];
    snprintf(exe, sizeof exe, "%s/pg_ctl", pg_bin());
    snprintf(opts, sizeof opts,
             "-c listen_addresses='' -k %s -c unix_socket_permissions=0700 "
             "-c max_connections=200",
             pg->sock_dir);
    char *argv[] = {exe,          "start", "-w",         "-t", "60", "-D",
                    pg->data_dir, "-l",    pg->log_path, "-o", opts, NULL};
    if (run_pg(pg, argv) != 0) {
        return err_set(e, 500, "db_embed", NULL, "PostgreSQL did not start; see %s", pg->log_path);
    }
    pg->is_started = 1;
    return 0;
}

/* Create the hpod database once, connected to the maintenance database. */
static int ensure_database(struct pgembed *pg, struct err *e) {
    char dsn[700];
    snprintf(dsn, sizeof dsn, "host=%s user=hpod dbname=postgres", pg->sock_dir);
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return err_set(e, 500, "db_embed", NULL, "cannot connect to the embedded PostgreSQL");
    }
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'hpod'");
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    int rc = 0;
    if (!exists) {
        r = PQexec(c, "CREATE DATABASE hpod");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = err_set(e, 500, "db_embed", NULL, "cannot create database hpod");
        }
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

/* Place, create and start the cluster and its database. The caller holds
 * the folder lock, so another server from this folder either did all of
 * this already or waits until this one has. */
static int prepare_cluster(struct pgembed *pg, const char *workdir, struct err *e) {
    if (place_cluster(pg, workdir, e) != 0) return -1;
    if (init_cluster(pg, e) != 0) return -1;
    if (start_cluster(pg, e) != 0) return -1;
    return ensure_database(pg, e);
}

int pgembed_start(struct pgembed *pg, const char *workdir, struct err *e) {
    memset(pg, 0, sizeof *pg);
    if (pick_identity(pg, e) != 0) return -1;
    int lock_fd = lock_folder(workdir, e);
    if (lock_fd < 0) return -1;
    int rc = prepare_cluster(pg, workdir, e);
    close(lock_fd);
    if (rc != 0) return -1;
    snprintf(pg->dsn, sizeof pg->dsn, "host=%s user=hpod dbname=hpod", pg->sock_dir);
    log_info("db", "database", "mode=embedded data=%s socket=%s", pg->data_dir, pg->sock_dir);
    return 0;
}

void pgembed_stop(struct pgembed *pg) {
    if (!pg || !pg->is_started) return;
    char exe[600];
    snprintf(exe, sizeof exe, "%s/pg_ctl", pg_bin());
    char *argv[] = {exe, "stop", "-w", "-m", "fast", "-D", pg->data_dir, NULL};
    int rc = run_pg(pg, argv);
    log_info("db", "embedded_stopped", "status=%d", rc);
    pg->is_started = 0;
}
