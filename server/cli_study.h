/* cli_study: the `hpod study ...` command-line client on libcurl:
 * create, list, show, leaderboard, watch, stop, resume, delete, against
 * any server (--server URL or HPOD_SERVER). Entry point: cli_study_main.
 * SPDX-License-Identifier: MIT */
#ifndef HPOD_CLI_STUDY_H
#define HPOD_CLI_STUDY_H

/* argv[0] is "study". Returns the process exit status: 0 ok, 1 the server
 * refused or failed, 2 bad usage. */
int cli_study_main(int argc, char **argv);

#endif
