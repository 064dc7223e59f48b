/* events: the in-process feed of study and trial events behind the
 * server-sent event stream (GET /api/v1/studies/{id}/events). Publishers
 * are the store functions, after their transaction committed; readers
 * wait on it with a cursor. Entry points: events_publish_study,
 * events_publish_trial, events_stream_open, events_next and, for the
 * webhook, events_next_notable.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_EVENTS_H
#define HPOD_EVENTS_H

#include <jansson.h>
#include <stdint.h>

/* Publish {"type", "study", "seq"} for a study-level change. */
void events_publish_study(long long study_id, const char *type);

/* Publish {"type", "study", "seq", "trial": trial} (trial borrowed; its
 * number, state, values and step are what readers use). */
void events_publish_trial(long long study_id, const json_t *trial, const char *type);

/* As events_publish_trial, and the webhook hears of it too: for a trial
 * completed in a study that has a webhook (it may be a new best). Other
 * completions do not wake the webhook's thread. */
void events_publish_trial_notify(long long study_id, const json_t *trial, const char *type);

/* Open an event stream: from now on events are published with their
 * JSON. Returns the cursor of the latest event, to pass to events_next.
 * Every open is paired with one events_stream_close. */
uint64_t events_stream_open(void);
void events_stream_close(void);

/* Wait up to timeout_ms for the first event after *cursor that belongs to
 * study_id (0 = any). Returns a new string of its JSON and advances
 * *cursor, or NULL on timeout. A reader that fell behind the ring skips
 * what it lost. Only a reader with an open stream sees every event. */
char *events_next(long long study_id, uint64_t *cursor, int timeout_ms);

/* What the webhook needs of a notable event (study_done, or a trial
 * published with events_publish_trial_notify). */
struct events_note {
    long long study_id;
    int trial_number; /* -1 for study_done */
    int is_study_done;
};

/* Wait up to timeout_ms for the next notable event after *cursor; 1 and
 * *out filled when there is one, 0 on timeout. Start from events_head(). */
int events_next_notable(uint64_t *cursor, int timeout_ms, struct events_note *out);

/* Wake every waiting reader and make later waits return at once; called
 * before the HTTP server stops so event streams end. */
void events_close(void);
int events_is_closed(void);

/* The sequence number of the latest event (0 when none yet). */
uint64_t events_head(void);

#endif
