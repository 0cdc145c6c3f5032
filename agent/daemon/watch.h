/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One watched UPS: its source (source.h), a poll every poll-interval, its
 * monitor, and the latest good reading. A watch knows its owner only
 * through the struct watch_env it was given when created, and reports
 * there: the monitor's events, each poll's end, NUMLOGINS answers.
 * watch_new() makes one; watch_free() frees it and its source.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "monitor.h"
#include "outage.h"
#include "source.h"
#include "status.h"
#include "varlist.h"

struct gate;
struct watch;

/* How a watch reports to its owner. Each gets the env's userdata. */
struct watch_owner_ops {
	/* Now, on CLOCK_MONOTONIC: the owner's clock, so that tests can set it. */
	uint64_t (*now)(void *userdata);
	/* The monitor's events of w, in order. */
	void (*events)(void *userdata, struct watch *w, const enum monitor_event *ev, size_t n);
	/* A poll of w ended; changed: it brought events or changed what status shows. */
	void (*poll_done)(void *userdata, struct watch *w, bool changed);
	/* How many are logged into w's UPS (NUMLOGINS; -1: no answer). decide:
	 * the host decides again now; false: at its next update (no recursion). */
	void (*numlogins)(void *userdata, struct watch *w, int n, bool decide);
	/* The clients of this daemon's server logged into w's UPS (served watches only). */
	unsigned (*served_logins)(void *userdata, const struct watch *w);
};

/* What every watch is given; the owner keeps it alive as long as its watches. */
struct watch_env {
	sd_event *event;
	const struct config *config; /* the owner's; every watch's config_ups is in it */
	struct gate **gates;	     /* source.h */
	const bool *stopping;	     /* source.h */
	const struct watch_owner_ops *ops;
	void *userdata;
};

struct watch {
	const struct watch_env *env;
	size_t index;		      /* the owner's number for it: its place in config->ups */
	const struct config_ups *ups; /* env->config owns it */
	bool served;   /* this daemon's server shares this UPS: its FSD latch is ours */
	char *upsname; /* UPSNAME for hooks: watch_upsname() */

	struct source *source; /* owned */
	struct source_env source_env;
	struct monitor monitor;
	sd_event_source *poll_timer; /* every poll-interval */
	uint64_t started;	     /* when watch_start() ran */
	struct outage outage;	     /* what has been said about the failure going on */

	/* The latest good reading: what the monitor got (before the FSD latch)
	 * and every variable the source read. Kept through failures: whoever
	 * serves vars judges their age by vars_time. */
	struct status_snapshot reading;
	struct varlist vars;
	uint64_t vars_time; /* CLOCK_MONOTONIC (env->ops->now); 0 = none yet */
	bool fsd_latched;   /* FSD set on this UPS, as upsd latches it: watch_latch_fsd() */
	bool forced;	    /* an administrator's upsagent fsd UPS: critical from now on */

	/* what the status socket shows */
	uint64_t last_poll; /* CLOCK_MONOTONIC of the last poll that ended */
	bool last_ok;
	char last_status[64];
	char last_error[256];

	/* what the metrics show */
	uint64_t poll_started;	/* CLOCK_MONOTONIC of the poll under way; 0 = none */
	uint64_t poll_duration; /* usec the last timed poll took, to its reading or failure */
	uint64_t polls_failed;	/* attempts that ended without a reading, since start */
};

/*
 * A watch of ups (in env->config), not started; *ret is freed with
 * watch_free(). served: this daemon's server shares the UPS, so that a FSD
 * for it is the latch of our own server. 0 or -errno.
 */
int watch_new(const struct watch_env *env, size_t index, const struct config_ups *ups, bool served,
	      struct watch **ret);
struct watch *watch_free(struct watch *w);
int watch_start(struct watch *w);
/* A reload: w takes over what old knew of the same UPS (monitor state, FSD latch, vars). */
void watch_carry(struct watch *w, const struct watch *old);
/* UPSNAME as upsmon gives it to NOTIFYCMD, in a new string the caller frees: NULL without memory.
 */
char *watch_upsname(const struct config_ups *u);

/* Sends FSD <ups> (primary) or GET NUMLOGINS <ups>; answers go to env->ops->numlogins. */
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
 * An attempt's outcome, as a source gives it: a reading (s and its
 * variables, which are copied) or NULL and why not (NULL: "poll failed").
 */
void watch_result(struct watch *w, const struct status_snapshot *s, const struct varlist *vars,
		  const char *error);
/*
 * FSD is set on w's UPS: from now on every reading carries FSD, to the monitor
 * and in ups.status ("FSD OB LB"), as upsd reports its latch. The latest
 * reading, if the last poll got one, is fed again so that FSD counts at once.
 */
void watch_latch_fsd(struct watch *w);
/* The latest good reading's variables and *when (may be NULL) it came; NULL if none yet. */
const struct varlist *watch_vars(const struct watch *w, uint64_t *when);
