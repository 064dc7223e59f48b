/* main: bin/hpod. Parses the command line, picks the database (external
 * via HPOD_DATABASE_URL or the embedded cluster), migrates, starts the
 * HTTP server and waits for SIGINT/SIGTERM. No request logic lives here.
 * Subcommands: serve, migrate, worker, study.
 * SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_study.h"
#include "err.h"
#include "events.h"
#include "h_static.h"
#include "h_study.h"
#include "http.h"
#include "log.h"
#include "migrate.h"
#include "pgembed.h"
#include "proc.h"
#include "sched.h"
#include "store.h"
#include "webhook.h"
#include "worker.h"

#define DEFAULT_PORT 8080
#define DB_POOL_SIZE 16

struct opts {
    const char *host;
    int port;
    int n_workers;
    int n_cores;
    char root[PATH_MAX]; /* the folder holding migrations/ and web/ */
};

static void usage(FILE *f) {
    fprintf(f, "usage: hpod serve [--host ADDR] [--port N] [--workers N] [--cores N] [--root DIR]\n"
               "       hpod migrate [--root DIR]\n"
               "       hpod worker --server URL [--slots N] [--cores N] [--name NAME]\n"
               "       hpod study create|list|show|leaderboard|watch|stop|resume|delete ...\n"
               "\n"
               "With HPOD_DATABASE_URL unset, hpod runs its own PostgreSQL under ./var/pg.\n");
}

/* The install root is the folder above bin/, unless --root or HPOD_ROOT. */
static void default_root(char *out, size_t n) {
    const char *env = getenv("HPOD_ROOT");
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (env && *env) {
        snprintf(out, n, "%s", env);
    } else if (len > 0) {
        exe[len] = '\0';
        snprintf(out, n, "%s", dirname(dirname(exe)));
    } else {
        snprintf(out, n, ".");
    }
}

/* path of a program next to this one (bin/hpod -> bin/hpod-train). */
static void sibling_path(char *out, size_t n, const char *prog) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        snprintf(out, n, "%s", prog);
        return;
    }
    exe[len] = '\0';
    snprintf(out, n, "%s/%s", dirname(exe), prog);
}

#define WORKER_NAME_MAX 100

/* The name this server's workers lease under: HPOD_WORKER_NAME, or the
 * host name plus a hash of the working folder, so that a restarted server
 * recognises the trials it left running. */
static void worker_name(char *out, size_t n) {
    const char *env = getenv("HPOD_WORKER_NAME");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return;
    }
    char host[128] = "host", cwd[PATH_MAX] = ".";
    gethostname(host, sizeof host - 1);
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = cwd; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out, n, "%s-%08llx", host, h & 0xffffffffULL);
}

static int parse_opts(int argc, char **argv, struct opts *o) {
    static const struct option longs[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"workers", required_argument, NULL, 'w'},
        {"cores", required_argument, NULL, 'c'},
        {"root", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    o->host = "127.0.0.1";
    o->port = DEFAULT_PORT;
    o->n_workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
    o->n_cores = o->n_workers;
    default_root(o->root, sizeof o->root);
    for (int c; (c = getopt_long(argc, argv, "H:p:w:c:r:h", longs, NULL)) != -1;) {
        char *end = NULL;
        switch (c) {
        case 'H': o->host = optarg; break;
        case 'p':
            o->port = (int)strtol(optarg, &end, 10);
            if (*end || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "hpod: --port must be 0-65535, got '%s'\n", optarg);
                return -1;
            }
            break;
        case 'w':
            o->n_workers = (int)strtol(optarg, &end, 10);
            if (*end || o->n_workers < 0 || o->n_workers > 256) {
                fprintf(stderr, "hpod: --workers must be 0-256, got '%s'\n", optarg);
                return -1;
            }
            break;
        case 'c':
            o->n_cores = (int)strtol(optarg, &end, 10);
            if (*end || o->n_cores < 1 || o->n_cores > 1024) {
                fprintf(stderr, "hpod: --cores must be 1-1024, got '%s'\n", optarg);
                return -1;
            }
            break;
        case 'r': snprintf(o->root, sizeof o->root, "%s", optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    return 0;
}

/* Connect (starting the embedded cluster if needed) and migrate. */
static int open_database(const struct opts *o, struct pgembed *pg, struct err *e) {
    const char *url = getenv("HPOD_DATABASE_URL");
    char host[256];
    if (url && *url) {
        store_dsn_host(url, host, sizeof host);
        log_info("db", "database", "mode=external host=%s", host);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return err_set(e, 500, "db_embed", NULL, "no cwd");
        if (pgembed_start(pg, cwd, e) != 0) return -1;
        url = pg->dsn;
    }
    if (store_open(url, DB_POOL_SIZE, e) != 0) return -1;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/migrations", o->root);
    int latest = 0;
    if (migrate_run(dir, &latest, e) != 0) return -1;
    log_info("db", "migrated", "version=%d", latest);
    return 0;
}

/* The write token: HPOD_TOKEN, or the first line of the file named by
 * HPOD_TOKEN_FILE (so it need not sit in the environment); "" for none. */
static int read_token(char *out, size_t n, struct err *e) {
    const char *env = getenv("HPOD_TOKEN"), *path = getenv("HPOD_TOKEN_FILE");
    snprintf(out, n, "%s", env ? env : "");
    if (out[0] || !path || !*path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return err_set(e, 500, "token_file", NULL, "cannot read HPOD_TOKEN_FILE %s", path);
    if (!fgets(out, (int)n, f)) out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!out[0]) return err_set(e, 500, "token_file", NULL, "HPOD_TOKEN_FILE %s is empty", path);
    return 0;
}

static int serve(const struct opts *o, struct pgembed *pg, struct err *e) {
    char web[PATH_MAX + 8];
    snprintf(web, sizeof web, "%s/web", o->root);
    if (h_static_init(web, e) != 0) return -1;
    char name[256];
    worker_name(name, sizeof name);
    /* Slots lease as "<name>/<i>" within the API's 128 characters, and a
     * restart reclaims every lease under "<name>/": a '/' in the name would
     * let one server's prefix cover another's. */
    if (strlen(name) > WORKER_NAME_MAX || strchr(name, '/'))
        return err_set(e, 500, "bad_worker_name", NULL,
                       "HPOD_WORKER_NAME must have 1 to %d characters and no '/'",
                       WORKER_NAME_MAX);
    if (open_database(o, pg, e) != 0) return -1;
    if (store_hold_name(name, e) != 0) return -1;
    char token[256];
    if (read_token(token, sizeof token, e) != 0) return -1;
    struct http_cfg cfg = {.host = o->host, .port = o->port, .token = token[0] ? token : NULL};
    int port = 0;
    if (http_start(&cfg, &port, e) != 0) return -1;
    char train_bin[PATH_MAX + 16];
    sibling_path(train_bin, sizeof train_bin, "hpod-train");
    h_study_init(train_bin);
    struct sched_cfg sc = {o->n_workers, o->n_cores, train_bin, name};
    if (sched_start(&sc, e) != 0) {
        http_stop();
        return -1;
    }
    webhook_start();
    log_info("http", "listening", "url=http://%s:%d/ workers=%d", o->host, port, o->n_workers);
    int sig = proc_wait_stop_signal();
    log_info("main", "shutdown", "signal=%d", sig);
    events_close();
    http_stop();
    sched_stop();
    webhook_stop();
    return 0;
}

/* hpod worker: flags, then worker_run until a stop signal. */
static int worker_cli(int argc, char **argv) {
    static const struct option longs[] = {
        {"server", required_argument, NULL, 's'},
        {"slots", required_argument, NULL, 'n'},
        {"cores", required_argument, NULL, 'c'},
        {"name", required_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    int n_cpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    struct worker_cfg cfg = {getenv("HPOD_SERVER"), n_cpu, n_cpu, NULL, NULL};
    char name[256], train_bin[PATH_MAX + 16];
    for (int c; (c = getopt_long(argc, argv, "s:n:c:N:", longs, NULL)) != -1;) {
        if (c == 's')
            cfg.server = optarg;
        else if (c == 'n')
            cfg.n_slots = atoi(optarg);
        else if (c == 'c')
            cfg.n_cores = atoi(optarg);
        else if (c == 'N')
            cfg.name = optarg;
        else
            return 2;
    }
    if (!cfg.server || cfg.n_slots < 1 || cfg.n_slots > 256 || cfg.n_cores < 1) {
        fprintf(stderr, "hpod worker: needs --server URL, --slots 1-256 and --cores >= 1\n");
        return 2;
    }
    if (!cfg.name) {
        char host[128] = "host";
        gethostname(host, sizeof host - 1);
        snprintf(name, sizeof name, "%s-w%ld", host, (long)getpid());
        cfg.name = name;
    }
    sibling_path(train_bin, sizeof train_bin, "hpod-train");
    cfg.train_bin = train_bin;
    return worker_run(&cfg);
}

int main(int argc, char **argv) {
    log_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "study") == 0) return cli_study_main(argc - 1, argv + 1);
    if (strcmp(cmd, "worker") == 0) {
        proc_block_stop_signals();
        return worker_cli(argc - 1, argv + 1);
    }
    struct opts o;
    if (parse_opts(argc - 1, argv + 1, &o) != 0) return 2;

    /* Block the stop signals in every thread; the main thread sigwaits. */
    proc_block_stop_signals();

    struct err e;
    err_clear(&e);
    struct pgembed pg = {0};
    int rc;
    if (strcmp(cmd, "serve") == 0) {
        rc = serve(&o, &pg, &e);
    } else if (strcmp(cmd, "migrate") == 0) {
        rc = open_database(&o, &pg, &e);
    } else {
        fprintf(stderr, "hpod: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    if (rc != 0) {
        char quoted[sizeof e.msg];
        snprintf(quoted, sizeof quoted, "%s", e.msg);
        log_error("main", "fatal", "code=%s msg=\"%s\"", e.code ? e.code : "internal",
                  log_quotable(quoted));
        fprintf(stderr, "hpod: %s\n", e.msg);
    }
    /* An embedded cluster found running may serve another server from
     * this folder (one under another HPOD_WORKER_NAME, or the one whose
     * name this server found taken): leave it to that one. */
    if (pg.is_started && store_others_serving()) {
        log_info("db", "embedded_left_running", "reason=another server uses it");
        pg.is_started = 0;
    }
    store_close();
    pgembed_stop(&pg);
    return rc == 0 ? 0 : 1;
}
