/* proc: fork/exec helpers for short-lived administrative programs. The
 * child drops to the requested identity and unblocks every signal, because
 * the server blocks SIGINT/SIGTERM in all threads to sigwait on them.
 * SPDX-License-Identifier: MIT */
#include "proc.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int become(uid_t uid, gid_t gid) {
    if (uid == (uid_t)-1) return 0;
    if (setgroups(0, NULL) != 0 && getuid() == 0) return -1;
    if (setgid(gid) != 0) return -1;
    return setuid(uid);
}

static void child_setup(uid_t uid, gid_t gid, const char *log_path) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fd = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600)
                      : open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        if (log_path && uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) {
        dup2(nul, 0);
        close(nul);
    }
    if (become(uid, gid) != 0) _exit(126);
}

int proc_run(char *const argv[], uid_t uid, gid_t gid, const char *log_path) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        child_setup(uid, gid, log_path);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void stop_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void proc_block_stop_signals(void) {
    sigset_t set;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int proc_wait_stop_signal(void) {
    sigset_t set;
    stop_signals(&set);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

int proc_can_access(const char *path, uid_t uid, gid_t gid) {
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        if (become(uid, gid) != 0) _exit(1);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
