/* nn_par: one process-wide pool of worker threads that runs a parallel
 * loop over numbered tasks, with the caller as thread 0. Threads claim
 * tasks as they go, so which thread runs a task varies from run to run:
 * a task's arithmetic must depend on its number only, and the thread
 * number only picks scratch memory. It does not nest or queue loops.
 * Entry points: nn_par_start, nn_par_stop, nn_par_threads, nn_par_run,
 * nn_par_range.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_NN_PAR_H
#define HPOD_NN_PAR_H

#include <stddef.h>

/* Upper bound on threads; nn_par_start clamps to it. */
#define NN_PAR_MAX_THREADS 64

/* Run task number `task` (of n_tasks) on thread `thread` (0-based). */
typedef void (*nn_par_fn)(void *ctx, size_t task, size_t thread);

/* Start n_threads - 1 workers (none for n_threads <= 1). Call once before
 * any nn_par_run and before sizing per-thread buffers; stop with
 * nn_par_stop. Without it every loop runs on the caller. */
void nn_par_start(int n_threads);

/* Join the workers; later loops run on the caller alone. */
void nn_par_stop(void);

/* Threads loops run on: the started count, or 1. */
size_t nn_par_threads(void);

/* Call fn(ctx, task, thread) for every task in [0, n_tasks), each once on
 * some thread in [0, nn_par_threads()), and return when all are done.
 * Not reentrant: fn must not call nn_par_run. */
void nn_par_run(nn_par_fn fn, void *ctx, size_t n_tasks);

/* Part `part` of n_parts of [0, n): *lo and *hi, with every cut but the
 * last a multiple of `align` so vector loops and sgemm panels stay whole. */
void nn_par_range(size_t n, size_t part, size_t n_parts, size_t align, size_t *lo, size_t *hi);

#endif
