/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-UPS state machine (design.md, "The state machine"). Pure: status
 * snapshots and a monotonic clock in, NUT-compatible events and a critical
 * verdict out. Time is always a parameter (CLOCK_MONOTONIC microseconds), never
 * read here, so the tests run whole outages in microseconds. No I/O, no
 * logging, no allocation: a struct monitor is plain data, owned by the caller.
 *
 * Calls, per UPS:
 *   - after every poll, monitor_update() with the snapshot; NULL when an
 *     attempt to reach the UPS failed (connect, TLS, login, poll timeout, ERR,
 *     DATA-STALE, ...) - only when an attempt has ended, not while one runs;
 *   - when monitor_next_deadline() comes, monitor_tick() with no snapshot;
 *     if monitor_wants_attempt() then says so and none is in flight, start
 *     one (a reconnect or a poll) at once;
 *   - then monitor_critical() for the host verdict.
 *
 * Dead-time: a UPS last seen on battery is lost only when dead-time has run
 * out since the last good reading *and* an attempt that ended at or after
 * that deadline has failed. An attempt in flight at the deadline is waited
 * for, as upsmon polls before it decides: a server back a moment before the
 * deadline never powers the host off.
 *
 * Timed rules count from the reading that started them and are decided at
 * their deadline: host-sync from the first critical reading (or from the
 * deadline of the timed rule that made it critical), not from the poll
 * before it.
 *
 * Durations: a duration d that started at t has run out at t + d (so OFF held
 * for off-duration 30 s is critical at exactly 30 s). MONITOR_NEVER as a
 * duration turns its rule off.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MONITOR_NEVER	   UINT64_MAX /* a duration that never runs out; "no deadline" */
#define MONITOR_EVENTS_MAX 24	      /* more than one call can ever produce */

/* NUT notify types (upsmon NOTIFYTYPE); names by monitor_event_to_string(). */
enum monitor_event {
	MONITOR_EVENT_ONLINE,
	MONITOR_EVENT_ONBATT,
	MONITOR_EVENT_LOWBATT,
	MONITOR_EVENT_FSD,
	MONITOR_EVENT_COMMOK,
	MONITOR_EVENT_COMMBAD,
	MONITOR_EVENT_NOCOMM,
	MONITOR_EVENT_REPLBATT,
	MONITOR_EVENT_CAL,
	MONITOR_EVENT_NOTCAL,
	MONITOR_EVENT_OFF,
	MONITOR_EVENT_NOTOFF,
	MONITOR_EVENT_BYPASS,
	MONITOR_EVENT_NOTBYPASS,
	MONITOR_EVENT_OVER,
	MONITOR_EVENT_NOTOVER,
	MONITOR_EVENT_TRIM,
	MONITOR_EVENT_NOTTRIM,
	MONITOR_EVENT_BOOST,
	MONITOR_EVENT_NOTBOOST,
	MONITOR_EVENT_ECO,
	MONITOR_EVENT_NOTECO,
	MONITOR_EVENT_ALARM,
	MONITOR_EVENT_NOTALARM,
	MONITOR_EVENT_OTHER,
	MONITOR_EVENT_NOTOTHER,
	_MONITOR_EVENT_MAX
};

/* Why a UPS is critical; MONITOR_REASON_NONE means it is not. */
enum monitor_reason {
	MONITOR_REASON_NONE,
	MONITOR_REASON_FSD,	    /* FSD set by the primary or the UPS */
	MONITOR_REASON_LOST_CAL,    /* comm lost, last known calibrating */
	MONITOR_REASON_LOST_BYPASS, /* comm lost, last known on bypass */
	MONITOR_REASON_LOST_OFF,    /* comm lost, last known off */
	MONITOR_REASON_LOST_ALARM,  /* comm lost, last known in alarm */
	MONITOR_REASON_LOST_OB,	    /* comm lost past dead-time, last known on battery */
	MONITOR_REASON_OFF,	    /* OFF held for off-duration */
	MONITOR_REASON_OB_LB,	    /* on battery and low battery (held ob-lb-duration) */
	MONITOR_REASON_CHARGE,	    /* on battery, battery.charge <= charge-low */
	MONITOR_REASON_RUNTIME,	    /* on battery, battery.runtime <= runtime-low */
	MONITOR_REASON_OB_MAX,	    /* on battery for on-battery-max */
	_MONITOR_REASON_MAX
};

struct monitor_config {
	uint64_t dead_time;	 /* comm loss while on battery: critical after this */
	uint64_t host_sync;	 /* secondary: time given to the primary to set FSD */
	uint64_t ob_lb_duration; /* OB+LB must hold this long; 0 = at once */
	uint64_t off_duration;	 /* OFF must hold this long; MONITOR_NEVER = ignore OFF */
	uint64_t on_battery_max; /* MONITOR_NEVER = no limit */
	uint64_t nocomm_warn;	 /* NOCOMM repeat period; 0 = no NOCOMM */
	uint64_t rb_warn;	 /* REPLBATT repeat period; 0 = only the first */
	double charge_low;	 /* percent; < 0 = off */
	double runtime_low;	 /* seconds; < 0 = off */
	bool secondary;		 /* MONITOR ... secondary: another host is primary */
};

enum monitor_comm {
	MONITOR_COMM_UNKNOWN, /* never polled */
	MONITOR_COMM_OK,
	MONITOR_COMM_LOST,
	_MONITOR_COMM_MAX
};

enum monitor_line {
	MONITOR_LINE_UNKNOWN, /* no OL or OB seen yet */
	MONITOR_LINE_OL,
	MONITOR_LINE_OB,
	_MONITOR_LINE_MAX
};

/* Plain data; set up with monitor_init(), nothing to free. Read-only outside monitor.c. */
struct monitor {
	struct monitor_config cfg;
	bool sole_login; /* the server reports NUMLOGINS = 1: no primary is watching */

	enum monitor_comm comm;
	enum monitor_line line;	     /* for ONLINE/ONBATT, which only fire on a change */
	bool heard;		     /* a poll brought data (not only WAIT) */
	struct status_snapshot last; /* the last data, kept through comm loss */

	uint64_t last_ok;      /* last successful poll */
	uint64_t last_fail;    /* last failed attempt; valid while comm is lost */
	uint64_t crit_since;   /* the reading has been critical since; MONITOR_NEVER: not */
	uint64_t ob_since;     /* these three are valid while last has the tokens */
	uint64_t ob_lb_since;
	uint64_t off_since;
	uint64_t nocomm_next; /* next NOCOMM, while comm is lost */
	uint64_t rb_last;     /* last REPLBATT */
	bool rb_warned;	      /* rb_last is valid */
};

/* upsmon's defaults; thresholds off, role primary. */
void monitor_config_init(struct monitor_config *cfg);

void monitor_init(struct monitor *m, const struct monitor_config *cfg);

/* Replace the configuration (SIGHUP) and keep the state. */
void monitor_set_config(struct monitor *m, const struct monitor_config *cfg);

/*
 * Feed one poll result: s is the snapshot, or NULL when the poll failed.
 * A snapshot with WAIT proves the server answers but brings no data: it
 * counts as communication, not as a reading. Also does monitor_tick()'s work.
 * Writes at most max events to ev (pass MONITOR_EVENTS_MAX to lose none) and
 * returns how many.
 */
size_t monitor_update(struct monitor *m, const struct status_snapshot *s, uint64_t now,
		      enum monitor_event *ev, size_t max);

/* Time passes without a poll: the NOCOMM and REPLBATT repeats that are due. */
size_t monitor_tick(struct monitor *m, uint64_t now, enum monitor_event *ev, size_t max);

/* The verdict at now, MONITOR_REASON_NONE when not critical. */
enum monitor_reason monitor_verdict(const struct monitor *m, uint64_t now);

/* The same as a predicate; *reason (if given) gets a text, or NULL. */
bool monitor_critical(const struct monitor *m, uint64_t now, const char **reason);

/*
 * The earliest time after now at which the verdict or a repeated event can
 * change without a new poll, or MONITOR_NEVER. Returns now itself when a
 * repeat is already due (monitor_tick() has not run yet).
 */
uint64_t monitor_next_deadline(const struct monitor *m, uint64_t now);

/*
 * A secondary is holding back a critical reading of its own for host-sync.
 * While this is true the daemon should ask GET NUMLOGINS for the UPS and pass
 * the answer to monitor_set_sole_login(): when it is 1, no primary is
 * watching and waiting would only burn battery.
 */
bool monitor_holding(const struct monitor *m, uint64_t now);

/* The answer to GET NUMLOGINS for this UPS: sole = it was 1. */
void monitor_set_sole_login(struct monitor *m, bool sole);

/*
 * Dead-time has run out on a UPS last known on battery and no attempt has
 * failed since: the verdict waits for one. The daemon starts one now unless
 * one is already in flight (its own timeouts bound the wait).
 */
bool monitor_wants_attempt(const struct monitor *m, uint64_t now);

/* Last known on battery (the daemon polls faster then, like POLLFREQALERT). */
bool monitor_on_battery(const struct monitor *m);

/* The timed rules whose deadlines the daemon shows (metrics, lib/metrics). */
enum monitor_timer {
	MONITOR_TIMER_DEAD_TIME,      /* comm lost while on battery */
	MONITOR_TIMER_ON_BATTERY_MAX, /* on battery */
	MONITOR_TIMER_OFF_DURATION,   /* OFF */
	MONITOR_TIMER_HOST_SYNC,      /* a secondary holding back a critical reading */
	_MONITOR_TIMER_MAX
};

/*
 * The deadline of each timed rule that is running at now (its condition
 * holds and the rule is on), MONITOR_NEVER for the others. A deadline may be
 * in the past: the rule ran out while its condition still holds.
 */
void monitor_timers(const struct monitor *m, uint64_t now, uint64_t out[_MONITOR_TIMER_MAX]);
/* "dead-time", "on-battery-max", ... as upsagent.conf names them; NULL out of range. */
const char *monitor_timer_to_string(enum monitor_timer t);

const char *monitor_event_to_string(enum monitor_event e);
const char *monitor_reason_to_string(enum monitor_reason r);
