/* proc: run a helper program to completion, optionally as another user,
 * with its output appended to a log file. Used to drive PostgreSQL's
 * initdb and pg_ctl (trial processes are the runner's), and the stop-signal
 * handling shared by the server and the worker.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_PROC_H
#define HPOD_PROC_H

#include <sys/types.h>

/* Run argv (argv[0] an absolute path) and wait for it. When uid is not
 * (uid_t)-1 the child switches to uid/gid first. stdout and stderr are
 * appended to log_path when it is not NULL, else discarded. Returns the
 * exit status (0-255), or -1 if it could not start or died of a signal. */
int proc_run(char *const argv[], uid_t uid, gid_t gid, const char *log_path);

/* Return 1 when uid/gid may search (x) every directory up to path,
 * checked in a child that takes the identity; 0 otherwise. */
int proc_can_access(const char *path, uid_t uid, gid_t gid);

/* Block SIGINT and SIGTERM in the calling thread and every thread it
 * starts later, and ignore SIGPIPE; call before starting threads. */
void proc_block_stop_signals(void);

/* Wait for SIGINT or SIGTERM (blocked by proc_block_stop_signals) and
 * return which arrived. */
int proc_wait_stop_signal(void);

#endif
