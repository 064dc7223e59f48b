/* nn_par: the worker pool behind nn_par.h. Workers sleep on a condition
 * variable between loops; each loop bumps a generation counter, wakes them
 * all, and every thread, the caller included, claims tasks from a shared
 * counter until none are left, so a thread the OS delays on a busy
 * machine holds up only the task it is in. The caller then waits until
 * every worker has reported back. A loop costs a few microseconds of
 * wake-up, which is why callers hand it whole chunks of a layer.
 * SPDX-License-Identifier: MIT */
#include "nn_par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t workers[NN_PAR_MAX_THREADS];
    size_t n_threads;  /* including the caller */
    unsigned long gen; /* loops started so far */
    size_t n_busy;     /* workers still in the current loop */
    bool is_stopping;
    nn_par_fn fn; /* the current loop */
    void *ctx;
    size_t n_tasks;
    atomic_size_t next; /* next unclaimed task */
};

static struct pool pool = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .n_threads = 1,
};

static void run_share(size_t thread) {
    size_t i;
    while ((i = atomic_fetch_add(&pool.next, 1)) < pool.n_tasks) {
        pool.fn(pool.ctx, i, thread);
    }
}

static void *worker(void *arg) {
    size_t thread = (size_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.gen == seen && !pool.is_stopping) {
            pthread_cond_wait(&pool.wake, &pool.mu);
        }
        if (pool.is_stopping) break;
        seen = pool.gen;
        pthread_mutex_unlock(&pool.mu);
        run_share(thread);
        pthread_mutex_lock(&pool.mu);
        if (--pool.n_busy == 0) pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

void nn_par_start(int n_threads) {
    size_t n = n_threads < 1 ? 1 : (size_t)n_threads;
    if (n > NN_PAR_MAX_THREADS) n = NN_PAR_MAX_THREADS;
    pool.is_stopping = false;
    pool.n_threads = n;
    for (size_t t = 1; t < n; t++) {
        /* A pool that cannot start its workers runs with fewer. */
        if (pthread_create(&pool.workers[t], NULL, worker, (void *)t)) {
            pool.n_threads = t;
            break;
        }
    }
}

void nn_par_stop(void) {
    pthread_mutex_lock(&pool.mu);
    pool.is_stopping = true;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
    for (size_t t = 1; t < pool.n_threads; t++) {
        pthread_join(pool.workers[t], NULL);
    }
    pool.n_threads = 1;
}

size_t nn_par_threads(void) {
    return pool.n_threads;
}

void nn_par_run(nn_par_fn fn, void *ctx, size_t n_tasks) {
    if (pool.n_threads == 1 || n_tasks < 2) {
        for (size_t i = 0; i < n_tasks; i++) fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n_tasks = n_tasks;
    atomic_store(&pool.next, 0);
    pool.n_busy = pool.n_threads - 1;
    pool.gen++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);

    run_share(0);

    pthread_mutex_lock(&pool.mu);
    while (pool.n_busy > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

void nn_par_range(size_t n, size_t part, size_t n_parts, size_t align, size_t *lo, size_t *hi) {
    size_t step = (n + n_parts - 1) / n_parts;
    step = (step + align - 1) / align * align;
    *lo = part * step < n ? part * step : n;
    *hi = (part + 1) * step < n ? (part + 1) * step : n;
}
