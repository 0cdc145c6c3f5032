/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One watched UPS: its source (a session to its server, a script or a USB
 * device: source.h), a poll every poll-interval, and the results fed to its
 * monitor. A source that is down, slow or silent only ever delays its own
 * watch: every wait is a timer on the shared loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "source.h"
#include "watch.h"

/* Poll timers need no precision finer than this; coarse timers batch wake-ups. */
#define POLL_ACCURACY (10 * USEC_PER_MSEC)

static int (*const source_new[_CONFIG_DRIVER_MAX])(const struct source_env *env,
						   struct source **ret) = {
    [CONFIG_DRIVER_NET] = source_net_new,
    [CONFIG_DRIVER_SIM] = source_sim_new,
    [CONFIG_DRIVER_USB] = source_usb_new,
};

char *watch_upsname(const struct config_ups *u)
{
	char *name = NULL;
	int r;

	if (u->upsname) /* as written in upsmon.conf's MONITOR line: old hooks match it */
		r = asprintf(&name, "%s", u->upsname);
	else if (u->driver != CONFIG_DRIVER_NET)
		r = asprintf(&name, "%s", u->name);
	else if (u->port == 3493)
		r = asprintf(&name, "%s@%s", u->ups, u->server);
	else if (strchr(u->server, ':'))
		r = asprintf(&name, "%s@[%s]:%u", u->ups, u->server, u->port);
	else
		r = asprintf(&name, "%s@%s:%u", u->ups, u->server, u->port);
	return r < 0 ? NULL : name;
}

/* ---- what the source says ------------------------------------------------- */

static void on_source_result(void *userdata, const struct status_snapshot *s,
			     const struct varlist *vars, const char *error)
{
	watch_result(userdata, s, vars, error);
}

static void watch_say_connected(struct watch *w, const char *what);

static void on_source_connected(void *userdata, const char *what)
{
	watch_say_connected(userdata, what);
}

static void on_source_numlogins(void *userdata, int n)
{
	struct watch *w = userdata;

	/* Nobody but this host (counted when it logged in): no primary watches
	 * this UPS. */
	monitor_set_sole_login(&w->monitor, n == (w->ups->user ? 1 : 0));
	w->env->ops->numlogins(w->env->userdata, w, n, /* decide= */ true);
}

static bool on_source_alarm(void *userdata)
{
	const struct watch *w = userdata;

	return status_has(&w->monitor.last, STATUS_ALARM);
}

static uint64_t watch_now(const struct watch *w)
{
	return w->env->ops->now(w->env->userdata);
}

static uint64_t on_source_now(void *userdata)
{
	return watch_now(userdata);
}

static const struct source_owner_ops source_owner_ops = {
    .result = on_source_result,
    .connected = on_source_connected,
    .numlogins = on_source_numlogins,
    .alarm = on_source_alarm,
    .now = on_source_now,
};

int watch_new(const struct watch_env *env, size_t index, const struct config_ups *ups, bool served,
	      struct watch **ret)
{
	struct monitor_config mc;
	struct watch *w;
	int r = -ENOMEM;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){.env = env, .index = index, .ups = ups, .served = served};
	w->source_env = (struct source_env){
	    .event = env->event,
	    .config = env->config,
	    .ups = ups,
	    .gates = env->gates,
	    .stopping = env->stopping,
	    .ops = &source_owner_ops,
	    .userdata = w,
	};
	config_monitor(env->config, ups, &mc);
	monitor_init(&w->monitor, &mc);
	snprintf(w->last_status, sizeof(w->last_status), "unknown");
	w->upsname = watch_upsname(ups);
	if (w->upsname)
		r = source_new[ups->driver](&w->source_env, &w->source);
	if (r < 0) {
		watch_free(w);
		return r;
	}
	if (w->source->ops->alone)
		monitor_set_sole_login(&w->monitor, true);
	*ret = w;
	return 0;
}

struct watch *watch_free(struct watch *w)
{
	if (!w)
		return NULL;
	if (w->source)
		w->source->ops->free(w->source);
	w->poll_timer = sd_event_source_disable_unref(w->poll_timer);
	varlist_clear(&w->vars);
	free(w->upsname);
	free(w);
	return NULL;
}

void watch_carry(struct watch *w, const struct watch *old)
{
	struct monitor_config mc = w->monitor.cfg;

	w->monitor = old->monitor;
	monitor_set_config(&w->monitor, &mc);
	w->fsd_latched = old->fsd_latched;
	w->forced = old->forced;
	w->reading = old->reading;
	if (old->vars_time && varlist_copy(&w->vars, &old->vars) >= 0)
		w->vars_time = old->vars_time;
}

const char *watch_state(const struct watch *w)
{
	return w->source->ops->state(w->source);
}

/* ---- results ---------------------------------------------------------- */

static double seconds(uint64_t usec)
{
	return (double)usec / USEC_PER_SEC;
}

static const char *plural(unsigned n)
{
	return n == 1 ? "" : "s";
}

/* "still failing since 21:47:03 (300 s ago), 301 attempts: ...": the
 * wall-clock time is for reading beside other logs; the duration is from
 * the monotonic clock, which a clock change does not move. */
static void watch_say_summary(struct watch *w, uint64_t now, const char *error)
{
	const struct outage *o = &w->outage;
	time_t began = time(NULL) - (time_t)((now - o->since) / USEC_PER_SEC);
	char when[16] = "?";
	struct tm tm;

	if (localtime_r(&began, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	log_warning("%s: still failing since %s (%.0f s ago), %u attempts: %s", w->ups->name, when,
		    seconds(now - o->since), o->attempts, error);
}

/* A failure that lasts is said when it starts and when its text changes,
 * summed up every nocomm-warn-time, and once when it ends: not per poll. */
static void watch_say(struct watch *w, uint64_t now, const char *error)
{
	uint64_t period =
	    w->env->config->nocomm_warn ? w->env->config->nocomm_warn : 300 * USEC_PER_SEC;
	struct outage *o = &w->outage;

	if (!error) {
		if (outage_recover(o))
			log_info("%s: answers again, after %u failed attempt%s over %.1f s",
				 w->ups->name, o->attempts, plural(o->attempts),
				 seconds(now - o->since));
		return;
	}
	switch (outage_fail(o, now, error, period)) {
	case OUTAGE_START:
	case OUTAGE_CHANGED:
		if (!w->source->ops->says_failures)
			log_warning("%s: %s", w->ups->name, error);
		break;
	case OUTAGE_SUMMARY:
		watch_say_summary(w, now, error);
		break;
	case OUTAGE_QUIET:
		break;
	}
}

/* A session is up (what: "connected to ..."): said once, with the outage it ends. */
static void watch_say_connected(struct watch *w, const char *what)
{
	const struct outage *o = &w->outage;

	if (outage_recover(&w->outage))
		log_info("%s: %s, after %u failed attempt%s over %.1f s", w->ups->name, what,
			 o->attempts, plural(o->attempts), seconds(watch_now(w) - o->since));
	else if (!w->last_ok)
		log_info("%s: %s", w->ups->name, what);
}

/* A secondary on battery (or off) can turn critical at a deadline between
 * polls; whether it must then wait host-sync depends on NUMLOGINS, so keep
 * that answer fresh rather than ask only once the hold has begun. */
static bool watch_wants_numlogins(const struct watch *w, uint64_t now)
{
	const struct monitor *m = &w->monitor;

	return m->cfg.secondary && (monitor_on_battery(m) || status_has(&m->last, STATUS_OFF) ||
				    monitor_holding(m, now));
}

/* upsd's FSD latch shows in ups.status as a leading "FSD " (netget.c, LIST VAR too). */
static int vars_latch_fsd(struct varlist *vars)
{
	const char *status = varlist_get(vars, "ups.status");
	_cleanup_free_ char *latched = NULL;

	if (!status)
		return 0; /* nothing to mark, as upsd would have nothing to send */
	if (asprintf(&latched, "FSD %s", status) < 0)
		return -ENOMEM;
	return varlist_set(vars, "ups.status", latched);
}

/* Keeps a good reading: what the monitor gets, and what is served. */
static void watch_keep(struct watch *w, const struct status_snapshot *s, const struct varlist *vars)
{
	static const struct varlist none;
	int r;

	w->reading = *s;
	w->vars_time = 0;
	r = varlist_copy(&w->vars, vars ? vars : &none);
	if (r >= 0 && w->fsd_latched)
		r = vars_latch_fsd(&w->vars);
	if (r < 0)
		log_warning("%s: cannot keep the variables of a reading: %s", w->ups->name,
			    strerror(-r));
	else
		w->vars_time = w->last_poll;
}

/* The monitor's side of the last attempt: w->reading when ok, with the FSD latch. */
static void watch_feed(struct watch *w, bool ok, bool was_ok, const char *shown)
{
	enum monitor_event ev[MONITOR_EVENTS_MAX];
	struct status_snapshot s = w->reading;
	size_t n;

	if (w->fsd_latched)
		s.flags |= STATUS_FLAG(STATUS_FSD);
	if (ok)
		status_flags_format(s.flags, w->last_status, sizeof(w->last_status));
	n = monitor_update(&w->monitor, ok ? &s : NULL, w->last_poll, ev, ELEMENTSOF(ev));
	w->env->ops->events(w->env->userdata, w, ev, n);
	if (ok && watch_wants_numlogins(w, w->last_poll))
		watch_query_numlogins(w);
	w->env->ops->poll_done(w->env->userdata, w,
			       n > 0 || was_ok != w->last_ok || strcmp(shown, w->last_status) != 0);
}

/* The metrics' side of an attempt's end: how long it took, whether it failed.
 * A result no poll asked for (a USB report, a session that dropped) is not timed. */
static void watch_count(struct watch *w, bool ok)
{
	if (!ok)
		w->polls_failed++;
	if (w->poll_started && w->last_poll >= w->poll_started)
		w->poll_duration = w->last_poll - w->poll_started;
	w->poll_started = 0;
}

/* A poll starts, unless one is still under way: that one is being timed. */
static void watch_poll_start(struct watch *w)
{
	if (!w->poll_started)
		w->poll_started = watch_now(w);
}

void watch_result(struct watch *w, const struct status_snapshot *s, const struct varlist *vars,
		  const char *error)
{
	char shown[sizeof(w->last_status)];
	bool was_ok = w->last_ok;

	memcpy(shown, w->last_status, sizeof(shown));
	w->last_poll = watch_now(w);
	w->last_ok = s != NULL;
	watch_count(w, s != NULL);
	if (!s && !error)
		error = "poll failed";
	if (s)
		watch_keep(w, s, vars);
	if (error && error != w->last_error) /* the same buffer: snprintf must not overlap */
		snprintf(w->last_error, sizeof(w->last_error), "%s", error);
	else if (s)
		w->last_error[0] = '\0';
	watch_say(w, w->last_poll, s ? NULL : w->last_error);
	watch_feed(w, s != NULL, was_ok, shown);
}

void watch_latch_fsd(struct watch *w)
{
	char shown[sizeof(w->last_status)];

	if (w->fsd_latched)
		return;
	w->fsd_latched = true;
	if (w->vars_time && vars_latch_fsd(&w->vars) < 0)
		log_warning("%s: cannot mark the variables FSD: out of memory", w->ups->name);
	if (!w->last_ok)
		return; /* the next good reading carries it */
	/* Fed as of the reading's own time: FSD is news, the reading is not. */
	memcpy(shown, w->last_status, sizeof(shown));
	watch_feed(w, true, true, shown);
}

const struct varlist *watch_vars(const struct watch *w, uint64_t *when)
{
	if (when)
		*when = w->vars_time;
	return w->vars_time ? &w->vars : NULL;
}

/* ---- polls ---------------------------------------------------------------- */

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct watch *w = userdata;

	/* Periodic: the next poll is due one interval after this one was. */
	(void)sd_event_source_set_time(s, usec + w->env->config->poll_interval);
	watch_poll_start(w);
	w->source->ops->poll(w->source);
	return 0;
}

void watch_attempt(struct watch *w)
{
	const struct source_ops *ops = w->source->ops;

	watch_poll_start(w);
	if (ops->attempt)
		ops->attempt(w->source);
	else
		ops->poll(w->source);
}

/* Sessions share slots at least this far apart: a thousand sessions polled
 * every 5 s then wake the agent 20 times a second for ten polls each, not
 * 200 times for one or two (a wake-up costs more than a poll: bench/scale). */
#define SLOT_MIN (50 * USEC_PER_MSEC)

uint64_t watch_slot(const struct watch *w)
{
	const struct config *c = w->env->config;
	uint64_t interval = c->poll_interval, n = c->n_ups ? c->n_ups : 1;
	uint64_t slots = interval / SLOT_MIN;

	if (slots == 0)
		slots = 1;
	if (slots > n)
		slots = n;
	return interval * (w->index * slots / n) / slots;
}

int watch_start(struct watch *w)
{
	const struct config *c = w->env->config;
	/* Spread the first polls over one interval: a thousand sessions must
	 * not all poll in the same millisecond. The last one polls one
	 * interval after start, so no gap between polls exceeds an interval.
	 * A session polls as soon as it is up, then one interval after the
	 * slot it connected at. */
	uint64_t offset = w->source->ops->connects
			      ? watch_slot(w) + c->poll_interval
			      : c->poll_interval * (w->index + 1) / (c->n_ups ? c->n_ups : 1);
	int r;

	w->started = watch_now(w);
	r = sd_event_add_time(w->env->event, &w->poll_timer, CLOCK_MONOTONIC, w->started + offset,
			      POLL_ACCURACY, on_poll_timer, w);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->poll_timer, SD_EVENT_ON);
	if (r < 0)
		return log_error_errno(r, "%s: cannot arm the poll timer: %s", w->ups->name,
				       strerror(-r));
	/* Armed first: a source may read (and so end up in the host's update) at once. */
	return w->source->ops->start(w->source, watch_slot(w));
}

bool watch_logout(struct watch *w)
{
	const struct source_ops *ops = w->source->ops;

	(void)sd_event_source_set_enabled(w->poll_timer, SD_EVENT_OFF);
	return ops->logout && ops->logout(w->source);
}

/* ---- primary and secondary requests -------------------------------------- */

void watch_send_fsd(struct watch *w)
{
	const struct source_ops *ops = w->source->ops;

	if (ops->send_fsd)
		ops->send_fsd(w->source);
	else if (w->served) {
		/* Our own UPS, served: the FSD latch is ours, as upsd's is upsmon primary's. */
		log_notice("%s: forced shutdown (FSD) set for the clients of this UPS",
			   w->ups->name);
		watch_latch_fsd(w);
	} else
		log_error("%s: cannot send FSD: no session", w->ups->name);
}

void watch_query_numlogins(struct watch *w)
{
	const struct source_ops *ops = w->source->ops;

	if (ops->query_numlogins)
		ops->query_numlogins(w->source);
	else if (w->served)
		/* This host counts as one login, as a primary logged into upsd does.
		 * Set now, read at the next host update: no recursion into it. */
		w->env->ops->numlogins(w->env->userdata, w,
				       1 + (int)w->env->ops->served_logins(w->env->userdata, w),
				       /* decide= */ false);
}
