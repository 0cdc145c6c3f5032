/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon: one struct agent owns the event loop, the configuration, one
 * watch per UPS, the host's shutdown sequence, the hooks and the control
 * socket. Everything runs on one sd-event loop; nothing blocks it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "conn.h"
#include "hooks.h"
#include "host.h"
#include "monitor.h"
#include "outage.h"
#include "shutdown.h"
#include "status.h"
#include "varlist.h"

struct agent;
struct gate;
struct server;
struct source;

/* One UPS being watched: where its readings come from (source.h), its monitor. */
struct watch {
	struct agent *agent;
	size_t index;		      /* into agent::watches and agent::host_ups */
	const struct config_ups *ups; /* agent::config owns it */
	char *upsname;		      /* UPSNAME for hooks: "ups@server[:port]" as upsmon has it */

	struct source *source; /* owned */
	struct monitor monitor;
	sd_event_source *poll_timer; /* every poll-interval */
	uint64_t started;	     /* when watch_start() ran */
	struct outage outage;	     /* what has been said about the failure going on */

	/* The latest good reading: what the monitor got (before the FSD latch)
	 * and every variable the source read. Kept through failures: whoever
	 * serves vars judges their age by vars_time. */
	struct status_snapshot reading;
	struct varlist vars;
	uint64_t vars_time; /* CLOCK_MONOTONIC (agent_now()); 0 = none yet */
	bool fsd_latched;   /* FSD set on this UPS, as upsd latches it: watch_latch_fsd() */

	/* what the control socket shows */
	uint64_t last_poll; /* CLOCK_MONOTONIC of the last poll that ended */
	bool last_ok;
	char last_status[64];
	char last_error[256];
};

struct agent {
	sd_event *event;
	struct config *config;
	const char *config_path;
	bool dry_run;

	struct watch **watches;
	struct host_ups *host_ups;
	struct gate *gates; /* one per server host, kept across reloads: gate.h */
	size_t n_watches;
	struct host host;
	sd_event_source *deadline_timer; /* monitor and host deadlines */

	struct hooks *hooks;
	bool power_off_requested;

	struct server *server; /* serve.c: NULL without a serve section */

	int control_fd;
	char *control_path; /* the status socket: not changed by a reload */
	sd_event_source *control_source;

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

/* agent.c */
int agent_run(const char *config_path, bool dry_run);
/*
 * Reads the configuration again (SIGHUP, or "reload" on the control
 * socket): a file that fails to validate is refused and the running
 * configuration stays. Logs why; returns 0 or -errno (-EBUSY during a
 * shutdown, -EINVAL for a file that does not load).
 */
int agent_reload(struct agent *a);
void agent_update(struct agent *a);
/* After a poll of w; changed: it brought events or changed what status shows. */
void agent_poll_done(struct agent *a, struct watch *w, bool changed);
void agent_events(struct agent *a, struct watch *w, const enum monitor_event *ev, size_t n);
uint64_t agent_now(const struct agent *a);

/* watch.c */
int watch_new(struct agent *a, size_t index, const struct config_ups *ups, struct watch **ret);
struct watch *watch_free(struct watch *w);
int watch_start(struct watch *w);
/* A reload: w takes over what old knew of the same UPS (monitor state, FSD latch, vars). */
void watch_carry(struct watch *w, const struct watch *old);
/* Sends FSD <ups> (primary) or GET NUMLOGINS <ups>; answers go back through agent_update. */
void watch_send_fsd(struct watch *w);
void watch_query_numlogins(struct watch *w);
/* Ends w's session (LOGOUT) and its polls; whether there was a session. */
bool watch_logout(struct watch *w);
/* monitor_wants_attempt(): poll or reconnect now, unless an attempt is under way. */
void watch_attempt(struct watch *w);
const char *watch_state(const struct watch *w);
/* This watch's place in one poll interval: when a session connects, usec after start. */
uint64_t watch_slot(const struct watch *w);
/*
 * An attempt's outcome, from the source: a reading (s and its variables,
 * which are copied) or NULL and why not (NULL: "poll failed").
 */
void watch_result(struct watch *w, const struct status_snapshot *s, const struct varlist *vars,
		  const char *error);
/* A session is up (what: "connected to ..."): said once, with the outage it ends. */
void watch_say_connected(struct watch *w, const char *what);
/* The answer to GET NUMLOGINS for w's UPS, -1 when there was none. */
void watch_numlogins(struct watch *w, int n);
/*
 * FSD is set on w's UPS: from now on every reading carries FSD, to the monitor
 * and in ups.status ("FSD OB LB"), as upsd reports its latch. The latest
 * reading, if the last poll got one, is fed again so that FSD counts at once.
 */
void watch_latch_fsd(struct watch *w);
/* The latest good reading's variables and *when (may be NULL) it came; NULL if none yet. */
const struct varlist *watch_vars(const struct watch *w, uint64_t *when);

/* notify.c: events to the log and to the hooks. An event is a monitor_event,
 * CONFIG_EVENT_SHUTDOWN or CONFIG_EVENT_SHUTDOWN_HOSTSYNC (the bits of
 * config_hook::events). w is NULL for the host's own events. */
void notify_event(struct agent *a, struct watch *w, unsigned event);
const char *notify_event_name(unsigned event);
int notify_event_from_string(const char *name); /* case-sensitive, as the config */
int notify_test_event(const char *config_path, const char *event, const char *ups);

/* control.c: the status socket */
int control_open(struct agent *a);
void control_close(struct agent *a);
