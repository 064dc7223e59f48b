/* main: bin/hpod. Parses the command line, picks the database (external
 * via HPOD_DATABASE_URL or the embedded cluster), migrates, starts the
 * HTTP server and waits for SIGINT/SIGTERM. No request logic lives here.
 * Subcommands: serve, migrate, worker, study.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_study.h"
#include "client.h"
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
               "With HPOD_DATABASE_URL unset, hpod runs its own PostgreSQL under ./var/pg.\n"
               "HPOD_TOKEN, or the first line of the file HPOD_TOKEN_FILE names, is the\n"
               "bearer token: serve requires it on writes, worker and study send it.\n"
               "hpod worker --help and hpod study help describe those commands.\n");
}

/* Parse arg, the value of --flag, as a whole number from lo to hi into
 * *out. Otherwise say so on stderr and return -1 (strtol alone would take
 * "2x" as 2 and wrap numbers past INT_MAX). */
static int parse_int(const char *flag, const char *arg, int lo, int hi, int *out) {
    char *end = NULL;
    errno = 0;
    long v = isdigit((unsigned char)arg[0]) ? strtol(arg, &end, 10) : 0;
    if (!end || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "hpod: --%s must be a whole number from %d to %d, got '%s'\n", flag, lo, hi,
                arg);
        return -1;
    }
    *out = (int)v;
    return 0;
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
        switch (c) {
        case 'H': o->host = optarg; break;
        case 'p':
            if (parse_int("port", optarg, 0, 65535, &o->port) != 0) return -1;
            break;
        case 'w':
            if (parse_int("workers", optarg, 0, 256, &o->n_workers) != 0) return -1;
            break;
        case 'c':
            if (parse_int("cores", optarg, 1, 1024, &o->n_cores) != 0) return -1;
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
                       "HPOD_WORKER_NAME must have 1 to %d characters and no '/'", WORKER_NAME_MAX);
    if (open_database(o, pg, e) != 0) return -1;
    if (store_hold_name(name, e) != 0) return -1;
    char token[256];
    if (client_token_read(token, sizeof token, e) != 0) return -1;
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

#define WORKER_SLOTS_MAX 256

static void worker_usage(FILE *f) {
    fprintf(f,
            "usage: hpod worker --server URL [--slots N] [--cores N] [--name NAME]\n"
            "Runs trials of the server's native and command studies on this machine.\n"
            "  --server URL  the hpod server (default $HPOD_SERVER)\n"
            "  --slots N     trials run at once, 1-%d (default: the number of CPUs)\n"
            "  --cores N     cores the trials share, 1-1024 (default: the number of CPUs)\n"
            "  --name NAME   slots lease trials as NAME/0, NAME/1, ... (default: host-wPID)\n"
            "Every call carries HPOD_TOKEN, or the first line of the file HPOD_TOKEN_FILE\n"
            "names, as a bearer token. The worker retries a server it cannot reach; one\n"
            "that refuses it for good (no or a wrong token, a name it does not take)\n"
            "ends it with status 1. SIGINT or SIGTERM gives its trials back (status 0).\n",
            WORKER_SLOTS_MAX);
}

/* hpod worker's flags into cfg; 0, or the exit status (help, bad usage). */
static int worker_opts(int argc, char **argv, struct worker_cfg *cfg) {
    static const struct option longs[] = {
        {"server", required_argument, NULL, 's'}, {"slots", required_argument, NULL, 'n'},
        {"cores", required_argument, NULL, 'c'},  {"name", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "s:n:c:N:h", longs, NULL)) != -1;) {
        switch (c) {
        case 's': cfg->server = optarg; break;
        case 'n':
            if (parse_int("slots", optarg, 1, WORKER_SLOTS_MAX, &cfg->n_slots) != 0) return 2;
            break;
        case 'c':
            if (parse_int("cores", optarg, 1, 1024, &cfg->n_cores) != 0) return 2;
            break;
        case 'N': cfg->name = optarg; break;
        case 'h': worker_usage(stdout); return -1;
        default: worker_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hpod worker: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!cfg->server || !*cfg->server) {
        fprintf(stderr, "hpod worker: needs --server URL (or HPOD_SERVER)\n");
        return 2;
    }
    return 0;
}

/* hpod worker: flags, then worker_run until a stop signal or a refusal. */
static int worker_cli(int argc, char **argv) {
    int n_cpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n_cpu < 1) n_cpu = 1;
    int n_slots = n_cpu < WORKER_SLOTS_MAX ? n_cpu : WORKER_SLOTS_MAX;
    struct worker_cfg cfg = {getenv("HPOD_SERVER"), n_slots, n_cpu, NULL, NULL};
    int rc = worker_opts(argc, argv, &cfg);
    if (rc) return rc < 0 ? 0 : rc;

    if (client_token_check("hpod worker") != 0) return 2;
    char name[256], train_bin[PATH_MAX + 16];
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
