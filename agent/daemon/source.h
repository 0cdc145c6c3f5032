/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a watch's readings come from: a UPS server (source-net.c), a script
 * (source-sim.c) or a UPS on this host's USB port (source-usb.c). A watch
 * owns one source and knows it only through these operations; a source
 * hands every outcome back through watch_result() (agent.h), a reading with
 * its variables or a failure with its reason.
 */
#pragma once

#include <stdbool.h>

struct watch;
struct source;

struct source_ops {
	/* Opens what the source reads from; 0 or -errno (logged). */
	int (*start)(struct source *s);
	/* The poll timer's tick: read now, or let an attempt under way report. */
	void (*poll)(struct source *s);
	/* monitor_wants_attempt(): an attempt now unless one is under way. NULL: poll. */
	void (*attempt)(struct source *s);
	/* For the status socket: "ready", "simulated", "open /dev/hidraw0"... */
	const char *(*state)(const struct source *s);
	/* FSD and GET NUMLOGINS to a UPS server; NULL where there is none. */
	void (*send_fsd)(struct source *s);
	void (*query_numlogins)(struct source *s);
	/* Ends the session with LOGOUT; whether there was one. NULL: none. */
	bool (*logout)(struct source *s);
	void (*free)(struct source *s);

	/* Sets up a session first, at the watch's slot (watch_slot()): the first
	 * poll comes one poll interval after that. */
	bool connects;
	/* Logs its own failures as they change: watch.c only sums up an outage. */
	bool says_failures;
};

/* The part every implementation embeds first. */
struct source {
	const struct source_ops *ops;
	struct watch *watch; /* the owner */
};

/* One per driver; the source is freed by ops->free(), which the watch calls. */
int source_net_new(struct watch *w, struct source **ret);
int source_sim_new(struct watch *w, struct source **ret);
int source_usb_new(struct watch *w, struct source **ret);
