/* webhook: notifies a study's optional `webhook` URL with a JSON POST when
 * the study finishes and when a trial becomes its new best. One thread
 * follows the event feed; deliveries are retried WEBHOOK_TRIES times with
 * a timeout each, then dropped with a log line.
 * Entry points: webhook_start, webhook_stop.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_WEBHOOK_H
#define HPOD_WEBHOOK_H

void webhook_start(void);
void webhook_stop(void);

#endif
