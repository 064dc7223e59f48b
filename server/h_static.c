/* h_static: file serving confined to the web root. The URL arrives already
 * percent-decoded from libmicrohttpd, so "%2e%2e" is seen as "..", and the
 * resolved real path must still lie inside the root, which also refuses
 * symbolic links that point outside.
 * SPDX-License-Identifier: MIT */
#include "h_static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char web_root[PATH_MAX];

int h_static_init(const char *web_dir, struct err *e) {
    if (!realpath(web_dir, web_root)) {
        return err_set(e, 500, "web_missing", NULL, "no dashboard folder at %s", web_dir);
    }
    return 0;
}

/* The type of a file the dashboard may serve, or NULL: only these kinds
 * are served, so build files under web/ (package.json, vendor.sh) are
 * not. */
static const char *mime_of(const char *path) {
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(dot, map[i][0]) == 0) return map[i][1];
    }
    return NULL;
}

static int has_dot_dot(const char *path) {
    for (const char *p = strstr(path, ".."); p; p = strstr(p + 1, "..")) {
        int starts = p == path || p[-1] == '/' || p[-1] == '\\';
        int ends = p[2] == '\0' || p[2] == '/' || p[2] == '\\';
        if (starts && ends) return 1;
    }
    return 0;
}

static void not_found(struct req *r) {
    struct err e;
    err_set(&e, 404, "not_found", NULL, "no file %s", r->path);
    http_reply_error(r, &e);
}

void h_static_get(struct req *r) {
    if (has_dot_dot(r->path) || strchr(r->path, '\\') || strstr(r->path, "/node_modules/")) {
        not_found(r);
        return;
    }
    char want[PATH_MAX + 64], real[PATH_MAX];
    snprintf(want, sizeof want, "%s%s", web_root, r->path);
    struct stat st;
    if (stat(want, &st) == 0 && S_ISDIR(st.st_mode)) {
        strncat(want, "/index.html", sizeof want - strlen(want) - 1);
    }
    size_t root_len = strlen(web_root);
    if (!realpath(want, real) || strncmp(real, web_root, root_len) != 0 ||
        (real[root_len] != '/' && real[root_len] != '\0')) {
        not_found(r);
        return;
    }
    const char *mime = mime_of(real);
    if (!mime) {
        not_found(r);
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        not_found(r);
        return;
    }
    http_reply_fd(r, fd, (size_t)st.st_size, mime);
}
