/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host verdict and the shutdown sequence (design.md, "The state machine",
 * second half; protocol.md section 3, power arithmetic and shutdown sequence).
 * Pure: the per-UPS verdicts and the time in, actions for the daemon out. It
 * does no I/O: sending FSD, asking NUMLOGINS, notifying, writing the flag file
 * and powering off are all the daemon's, each asked for by one action.
 *
 * Call host_update() after every change of a UPS verdict (after each poll and
 * each monitor deadline), after every NUMLOGINS answer, and at
 * host_next_deadline(). Perform the actions in the order given.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_NEVER		UINT64_MAX
#define HOST_NUMLOGINS_INTERVAL 250000ULL /* usec between NUMLOGINS rounds, as upsmon */

/* The most actions one host_update() can return for n UPSes. */
#define HOST_ACTIONS_MAX(n) (4 * (n) + 5)

struct host_config {
	unsigned min_supplies; /* supplies that must have power; 0 = never shut down */
	uint64_t host_sync;    /* primary: most time to wait for secondaries to log out */
	uint64_t final_delay;  /* between the SHUTDOWN event and the power-off */
};

/*
 * One MONITOR entry as the host sees it. The daemon keeps an array of these
 * beside its monitors, fills the configuration fields once, and refreshes
 * critical/reason before each host_update().
 */
struct host_ups {
	unsigned power_value; /* power supplies this UPS feeds here; 0 = watch only */
	bool primary;	      /* we are its primary: we set FSD and wait for logins */
	bool critical;	      /* from monitor_critical() */
	const char *reason;   /* from monitor_critical(); static text, may be NULL */
	int numlogins;	      /* last NUMLOGINS answer while syncing; -1 = none or failed */
	bool was_critical;    /* kept by host.c, for the UPS_CRITICAL action */
};

enum host_state {
	HOST_STATE_WATCHING, /* enough supplies; nothing started */
	HOST_STATE_SYNC,     /* primary: FSD set, waiting for the secondaries to log out */
	HOST_STATE_FINAL,    /* SHUTDOWN notified, final-delay running */
	HOST_STATE_DONE,     /* flag and power-off asked for; nothing more, ever */
	_HOST_STATE_MAX
};

enum host_action_type {
	HOST_ACTION_UPS_CRITICAL,	  /* log that ups became critical, with reason */
	HOST_ACTION_SEND_FSD,		  /* send FSD <ups> */
	HOST_ACTION_QUERY_NUMLOGINS,	  /* send GET NUMLOGINS <ups>, store the answer */
	HOST_ACTION_NOTIFY_HOSTSYNC,	  /* notify SHUTDOWN_HOSTSYNC */
	HOST_ACTION_SYNC_DONE,		  /* log: no secondary is left logged in */
	HOST_ACTION_SYNC_EXPIRED,	  /* log: host-sync ran out with ups's logins left */
	HOST_ACTION_NOTIFY_SHUTDOWN,	  /* notify SHUTDOWN */
	HOST_ACTION_WRITE_POWERDOWN_FLAG, /* create the power-down flag file */
	HOST_ACTION_POWER_OFF,		  /* power the host off */
	_HOST_ACTION_MAX
};

struct host_action {
	enum host_action_type type;
	size_t ups;	    /* index into the host_ups array, for per-UPS actions */
	const char *reason; /* HOST_ACTION_UPS_CRITICAL only */
};

/* Plain data; set up with host_init(), nothing to free. */
struct host {
	struct host_config cfg;
	enum host_state state;
	uint64_t sync_start;	/* SYNC: when FSD was asked for */
	uint64_t next_query;	/* SYNC: next NUMLOGINS round */
	bool hostsync_notified; /* SHUTDOWN_HOSTSYNC goes out once */
	uint64_t final_at;	/* FINAL: when to power off */
	bool forced;		/* host_force(): shut down whatever the supply */
};

/* upsmon's defaults: MINSUPPLIES 1, HOSTSYNC 15 s, FINALDELAY 5 s. */
void host_config_init(struct host_config *cfg);

void host_init(struct host *h, const struct host_config *cfg);

/* Initialise one entry: not critical, no NUMLOGINS answer. */
void host_ups_init(struct host_ups *u, unsigned power_value, bool primary);

/* Sum of power_value over the UPSes that are not critical. */
unsigned host_supply(const struct host_ups *ups, size_t n);

/* The host verdict: the supply fell below min-supplies. */
bool host_power_short(const struct host *h, const struct host_ups *ups, size_t n);

/*
 * Advance the sequence to now and write the actions to perform into act.
 * Returns their number, or -ENOBUFS when max < HOST_ACTIONS_MAX(n) (then
 * nothing changed). Starts the sequence when the host is short of power.
 */
int host_update(struct host *h, struct host_ups *ups, size_t n, uint64_t now,
		struct host_action *act, size_t max);

/*
 * An administrator's forced shutdown (upsagent fsd, as upsmon -c fsd): the
 * next host_update() starts the sequence whatever the supply and
 * min-supplies say; a primary still sets FSD and waits for its
 * secondaries. Returns false when a sequence is under way already.
 */
bool host_force(struct host *h);

/* When host_update() must run next without any other input, or HOST_NEVER. */
uint64_t host_next_deadline(const struct host *h, uint64_t now);

const char *host_action_to_string(enum host_action_type t);
const char *host_state_to_string(enum host_state s);
