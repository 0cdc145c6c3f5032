/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events to the log, to the notify hooks and to wall, with the environment
 * upsmon gives its NOTIFYCMD (NOTIFYTYPE, UPSNAME) so that existing scripts
 * keep working, plus UPSAGENT_* extras. An event is a monitor_event,
 * CONFIG_EVENT_SHUTDOWN or CONFIG_EVENT_SHUTDOWN_HOSTSYNC (the bits of
 * config_hook::events).
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "hooks.h"

/* What notify_event() works with; the caller owns all of it. */
struct notify {
	const struct config *config; /* the hooks and the wall events */
	struct hooks *hooks;	     /* runs them: hooks.h */
	bool dry_run;
};

/* The UPS an event is about, as the hooks and the journal name it. */
struct notify_ups {
	const char *name;    /* its ups section */
	const char *upsname; /* UPSNAME */
	const char *status;  /* its latest ups.status */
};

/* u is NULL for the host's own events (SHUTDOWN, SHUTDOWN_HOSTSYNC). */
void notify_event(const struct notify *n, const struct notify_ups *u, unsigned event);
const char *notify_event_name(unsigned event);
int notify_event_from_string(const char *name); /* case-sensitive, as the config */
