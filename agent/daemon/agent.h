/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon: one struct agent owns the event loop, the configuration, one
 * watch per UPS, the host's shutdown sequence, the hooks, the server and the
 * status socket. Everything runs on one sd-event loop; nothing blocks it.
 * Each part it owns reports back through the ops table it was given when
 * created (watch_owner_ops, server_owner_ops, control_ops): none of them
 * calls the agent by name.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "exporter.h"
#include "hooks.h"
#include "host.h"
#include "notify.h"
#include "serve.h"
#include "watch.h"

struct control;
struct gate;
struct server;

struct agent {
	sd_event *event;
	struct config *config;
	const char *config_path;
	bool dry_run;

	struct watch_env watch_env; /* what every watch is given: watch.h */
	struct watch **watches;
	struct host_ups *host_ups;
	struct gate *gates; /* one per server host, kept across reloads: gate.h */
	size_t n_watches;
	struct host host;
	sd_event_source *deadline_timer; /* monitor and host deadlines */

	struct hooks *hooks;
	struct notify notify; /* what notify_event() is given: notify.h */
	bool power_off_requested;

	struct server *server; /* NULL without a serve section: serve.h */
	/* Sockets systemd passed: the server's, taken at start, and the
	 * exporter's (FileDescriptorName=metrics), kept so that the exporter,
	 * opened again at each reload, gets a copy each time. */
	struct serve_socket *serve_sockets;
	size_t n_serve_sockets;
	int *metrics_fds;
	size_t n_metrics_fds;
	struct control *control;   /* the status socket (not changed by a reload): control.h */
	struct exporter *exporter; /* NULL without a metrics section: exporter.h */

	uint64_t started;
	int exit_code;
	bool stopping; /* freeing everything: start no more sessions */
};

/*
 * The exit status of "upsagent run" when the configuration does not load
 * (sysexits' EX_CONFIG, which systemd shows as "78/CONFIG"): the unit's
 * RestartPreventExitStatus= names it, so that a broken file ends in
 * "failed" instead of restarting forever. Every other failure is 1.
 */
#define EXIT_CONFIG 78

/* Runs the daemon until SIGTERM; the exit status (EXIT_CONFIG, 1, 0). */
int agent_run(const char *config_path, bool dry_run);

/* agent-system.c, at start: systemd's sockets into serve_sockets and
 * metrics_fds (0 or -errno, logged), freed (and closed) by
 * agent_sockets_free(); RLIMIT_NOFILE raised to its hard limit. */
int agent_take_sockets(struct agent *a);
void agent_sockets_free(struct agent *a);
void agent_raise_fd_limit(void);

/* agent-status.c: what the status socket answers, as text or JSON, into f. */
void agent_status_write(const struct agent *a, FILE *f, bool json);
/* agent-metrics.c: the metrics exposition in fmt, into b, through the
 * exporter's cache c (metrics_render). 0 or -errno. */
int agent_metrics_render(const struct agent *a, struct metrics_buf *b, struct metrics_cache *c,
			 enum metrics_format fmt);
