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

struct agent;
struct usb_watch;
struct server;

/* One UPS being watched: its session (net), script (sim) or device (usb), its monitor. */
struct watch {
	struct agent *agent;
	size_t index;		      /* into agent::watches and agent::host_ups */
	const struct config_ups *ups; /* agent::config owns it */
	char *upsname;		      /* UPSNAME for hooks: "ups@server[:port]" as upsmon has it */

	struct monitor monitor;
	sd_event_source *poll_timer; /* every poll-interval */
	uint64_t started;	     /* sim: when the script began */

	/* net */
	struct tls_creds *creds;
	struct conn *conn;
	sd_event_source *reconnect_timer;
	unsigned failures; /* consecutive failed sessions, for the backoff */
	struct outage outage; /* what has been said about the failure going on */
	struct gate *gate; /* set-ups to this server, a few at a time */
	bool gate_held;	   /* this session's set-up is under way */
	bool gate_queued;  /* waiting for its turn to set up */
	struct watch *gate_next;

	struct usb_watch *usb; /* usb: watch-usb.c */

	/* the poll in flight */
	bool polling;
	unsigned awaiting;
	bool poll_failed;
	char *status, *charge, *runtime, *alarm;

	/* what the control socket shows */
	uint64_t last_poll; /* CLOCK_MONOTONIC of the last poll that ended */
	bool last_ok;
	char last_status[64];
	char last_error[256];
	bool numlogins_pending;
};

struct agent {
	sd_event *event;
	struct config *config;
	const char *config_path;
	bool dry_run;

	struct watch **watches;
	struct host_ups *host_ups;
	struct gate *gates; /* one per server host, kept across reloads */
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
/* Sends FSD <ups> (primary) or GET NUMLOGINS <ups>; answers go back through agent_update. */
void watch_send_fsd(struct watch *w);
void watch_query_numlogins(struct watch *w);
/* monitor_wants_attempt(): poll or reconnect now, unless an attempt is under way. */
void watch_attempt(struct watch *w);
const char *watch_state(const struct watch *w);
/* A poll's outcome for the monitor: a snapshot, or NULL and why not. */
void watch_result(struct watch *w, const struct status_snapshot *s, const char *error);

/* gate.c: session set-ups let in GATE_SETUPS_MAX at a time per server. */
#define GATE_SETUPS_MAX 16
struct gate;
int gate_find(struct gate **list, const char *server, struct gate **ret);
void gate_free_all(struct gate *list);
/* True: go ahead (leave when the set-up ends); false: w waits in line. */
bool gate_enter(struct gate *g, struct watch *w);
/* Ends w's turn or its wait; then gate_admit() until NULL gives the next ones. */
void gate_leave(struct gate *g, struct watch *w);
struct watch *gate_admit(struct gate *g);

/* watch-usb.c: driver = "usb" */
int usb_watch_start(struct watch *w);
void usb_watch_poll(struct watch *w);
struct usb_watch *usb_watch_free(struct usb_watch *u);
const char *usb_watch_state(const struct watch *w);

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
