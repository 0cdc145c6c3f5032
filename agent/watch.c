/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One watched UPS: a session to its server (or its simulation script), a
 * poll every poll-interval, and the results fed to its monitor. A server that
 * is down, slow or silent only ever delays its own watch: every wait is a
 * timer on the shared loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "sim.h"
#include "tls-cache.h"

/* Poll timers need no precision finer than this; coarse timers batch wake-ups. */
#define POLL_ACCURACY (10 * USEC_PER_MSEC)

static void watch_poll(struct watch *w);
static void watch_connect(struct watch *w);
static void watch_gate_done(struct watch *w);

static int watch_make_upsname(struct watch *w)
{
	const struct config_ups *u = w->ups;
	int r;

	if (u->driver != CONFIG_DRIVER_NET)
		r = asprintf(&w->upsname, "%s", u->name);
	else if (u->port == 3493)
		r = asprintf(&w->upsname, "%s@%s", u->ups, u->server);
	else if (strchr(u->server, ':'))
		r = asprintf(&w->upsname, "%s@[%s]:%u", u->ups, u->server, u->port);
	else
		r = asprintf(&w->upsname, "%s@%s:%u", u->ups, u->server, u->port);
	if (r < 0)
		w->upsname = NULL;
	return r < 0 ? -ENOMEM : 0;
}

int watch_new(struct agent *a, size_t index, const struct config_ups *ups, struct watch **ret)
{
	struct monitor_config mc;
	struct watch *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->agent = a;
	w->index = index;
	w->ups = ups;
	config_monitor(a->config, ups, &mc);
	monitor_init(&w->monitor, &mc);
	/* A local UPS has no server and no primary to give time to set FSD. */
	if (ups->driver != CONFIG_DRIVER_NET)
		monitor_set_sole_login(&w->monitor, true);
	snprintf(w->last_status, sizeof(w->last_status), "unknown");
	if (watch_make_upsname(w) < 0) {
		watch_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

static void poll_reset(struct watch *w)
{
	free(w->status);
	free(w->charge);
	free(w->runtime);
	free(w->alarm);
	w->status = w->charge = w->runtime = w->alarm = NULL;
	w->polling = false;
	w->awaiting = 0;
	w->poll_failed = false;
}

struct watch *watch_free(struct watch *w)
{
	if (!w)
		return NULL;
	poll_reset(w);
	w->usb = usb_watch_free(w->usb);
	w->poll_timer = sd_event_source_disable_unref(w->poll_timer);
	w->reconnect_timer = sd_event_source_disable_unref(w->reconnect_timer);
	if (w->conn) {
		conn_close(w->conn); /* LOGOUT is best effort: the socket goes with the unref */
		w->conn = conn_unref(w->conn);
	}
	watch_gate_done(w);
	tls_cache_put(w->creds); /* shared with every session of the same TLS options */
	free(w->upsname);
	free(w);
	return NULL;
}

const char *watch_state(const struct watch *w)
{
	if (w->ups->driver == CONFIG_DRIVER_SIM)
		return "simulated";
	if (w->ups->driver == CONFIG_DRIVER_USB)
		return usb_watch_state(w);
	if (w->gate_queued)
		return "waiting"; /* for its turn to set up: gate.c */
	return w->conn ? conn_state_to_string(conn_get_state(w->conn)) : "idle";
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
	    w->agent->config->nocomm_warn ? w->agent->config->nocomm_warn : 300 * USEC_PER_SEC;
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
		/* watch-usb.c says its own problems as they change. */
		if (w->ups->driver == CONFIG_DRIVER_NET)
			log_warning("%s: %s", w->ups->name, error);
		break;
	case OUTAGE_SUMMARY:
		watch_say_summary(w, now, error);
		break;
	case OUTAGE_QUIET:
		break;
	}
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

void watch_result(struct watch *w, const struct status_snapshot *s, const char *error)
{
	enum monitor_event ev[MONITOR_EVENTS_MAX];
	char shown[sizeof(w->last_status)];
	bool was_ok = w->last_ok;
	size_t n;

	memcpy(shown, w->last_status, sizeof(shown));
	w->last_poll = agent_now(w->agent);
	w->last_ok = s != NULL;
	if (!s && !error)
		error = "poll failed";
	if (s)
		status_flags_format(s->flags, w->last_status, sizeof(w->last_status));
	if (error && error != w->last_error) /* the same buffer: snprintf must not overlap */
		snprintf(w->last_error, sizeof(w->last_error), "%s", error);
	else if (s)
		w->last_error[0] = '\0';
	watch_say(w, w->last_poll, s ? NULL : w->last_error);
	n = monitor_update(&w->monitor, s, w->last_poll, ev, ELEMENTSOF(ev));
	agent_events(w->agent, w, ev, n);
	if (s && watch_wants_numlogins(w, w->last_poll))
		watch_query_numlogins(w);
	agent_poll_done(w->agent, w,
			n > 0 || was_ok != w->last_ok || strcmp(shown, w->last_status) != 0);
}

static void poll_finish(struct watch *w)
{
	struct status_snapshot s;

	if (w->poll_failed || !w->status) {
		poll_reset(w);
		watch_result(w, NULL, w->last_error);
		return;
	}
	status_parse(&s, w->status, w->charge, w->runtime, w->alarm);
	poll_reset(w);
	watch_result(w, &s, NULL);
}

static void on_var(struct conn *c, int error, const struct conn_reply *reply, void *userdata);

struct var_slot {
	const char *name;
	size_t offset; /* of the char * in struct watch */
	bool required; /* ERR on it fails the poll */
};

static const struct var_slot var_slots[] = {
    {"ups.status", offsetof(struct watch, status), true},
    {"battery.charge", offsetof(struct watch, charge), false},
    {"battery.runtime", offsetof(struct watch, runtime), false},
    {"ups.alarm", offsetof(struct watch, alarm), false},
};

static void on_var(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	const struct var_slot *slot = userdata;
	struct watch *w = conn_get_userdata(c);
	char **dst = (char **)((char *)w + slot->offset);

	if (!w->polling)
		return;
	if (reply && error >= 0) {
		free(*dst);
		*dst = strdup(reply->value);
	} else if (reply && slot->required) {
		/* DATA-STALE, DRIVER-NOT-CONNECTED...: no reading this round. */
		w->poll_failed = true;
		snprintf(w->last_error, sizeof(w->last_error), "%s: ERR %s (%s)", slot->name,
			 reply->err_word, proto_err_to_string(reply->err));
	} else if (!reply) {
		/* The session ended: on_closed says why and ends the poll. */
		w->poll_failed = true;
		w->awaiting--;
		return;
	}
	if (--w->awaiting == 0)
		poll_finish(w);
}

static bool reconnect_pending(const struct watch *w)
{
	int enabled = SD_EVENT_OFF;

	(void)sd_event_source_get_enabled(w->reconnect_timer, &enabled);
	return enabled != SD_EVENT_OFF;
}

/* ups.status plus what the thresholds need, as one pipelined batch. */
static void poll_net(struct watch *w)
{
	bool alarm = status_has(&w->monitor.last, STATUS_ALARM);

	if (conn_get_state(w->conn) != CONN_READY) {
		/* No session: an attempt under way reports its own outcome, and
		 * the reconnect timer starts the next one - a tick adds no news
		 * and no load. A failure is news only when an attempt ends
		 * (monitor.h: dead-time waits for the attempt in flight). */
		if (conn_get_state(w->conn) == CONN_IDLE && !reconnect_pending(w))
			watch_connect(w);
		return;
	}
	if (w->polling) {
		/* The last batch is still unanswered: conn's request timeout
		 * ends the session, which fails that poll. */
		return;
	}
	w->polling = true;
	for (size_t i = 0; i < ELEMENTSOF(var_slots); i++) {
		/* Only what the thresholds need: without battery-charge-low and
		 * runtime-low a poll is one request and one reply (TLS record). */
		if ((i == 1 && w->ups->charge_low < 0) || (i == 2 && w->ups->runtime_low < 0) ||
		    (i == 3 && !alarm))
			continue;
		if (conn_get_var(w->conn, var_slots[i].name, on_var, (void *)&var_slots[i]) < 0)
			w->poll_failed = true;
		else
			w->awaiting++;
	}
	if (w->awaiting == 0)
		poll_finish(w);
}

static void format_number(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g", v);
}

static void poll_sim(struct watch *w)
{
	uint64_t elapsed = agent_now(w->agent) - w->started;
	const struct sim_step *step = sim_at(w->ups->sim, w->ups->n_sim, elapsed);
	char charge[32], runtime[32];
	struct status_snapshot s;

	format_number(charge, sizeof(charge), step ? step->charge : -1);
	format_number(runtime, sizeof(runtime), step ? step->runtime : -1);
	status_parse(&s, step ? step->status : "OL", step && step->charge >= 0 ? charge : NULL,
		     step && step->runtime >= 0 ? runtime : NULL, NULL);
	watch_result(w, &s, NULL);
}

static void watch_poll(struct watch *w)
{
	if (w->ups->driver == CONFIG_DRIVER_SIM)
		poll_sim(w);
	else if (w->ups->driver == CONFIG_DRIVER_USB)
		usb_watch_poll(w);
	else
		poll_net(w);
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct watch *w = userdata;

	/* Periodic: the next poll is due one interval after this one was. */
	(void)sd_event_source_set_time(s, usec + w->agent->config->poll_interval);
	watch_poll(w);
	return 0;
}

/* ---- the session ------------------------------------------------------ */

static void watch_conn_start(struct watch *w);

/* w's set-up has ended, or w goes away: the next in line may start. */
static void watch_gate_done(struct watch *w)
{
	struct watch *next;

	if (!w->gate)
		return;
	gate_leave(w->gate, w);
	if (w->agent->stopping)
		return;
	while ((next = gate_admit(w->gate)))
		watch_conn_start(next);
}

static uint64_t reconnect_delay(const struct watch *w, enum conn_state ended_in);

static void watch_conn_start(struct watch *w)
{
	char why[128];
	int r = conn_start(w->conn);

	if (r >= 0 || r == -EBUSY)
		return;
	watch_gate_done(w);
	snprintf(why, sizeof(why), "cannot start a session: %s", strerror(-r));
	w->failures++;
	(void)sd_event_source_set_time_relative(w->reconnect_timer,
						reconnect_delay(w, CONN_CONNECTING));
	(void)sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_ONESHOT);
	watch_result(w, NULL, why);
}

static void watch_connect(struct watch *w)
{
	/* Otherwise its turn comes when another set-up to the server ends. */
	if (gate_enter(w->gate, w))
		watch_conn_start(w);
}

static void on_ready(struct conn *c, void *userdata)
{
	struct watch *w = userdata;
	const struct outage *o = &w->outage;
	char desc[128];

	watch_gate_done(w);
	conn_describe(c, desc, sizeof(desc));
	if (outage_recover(&w->outage))
		log_info("%s: connected to %s (%s, protocol %s), after %u failed attempt%s over "
			 "%.1f s",
			 w->ups->name, conn_peer(c), desc, conn_protocol_version(c), o->attempts,
			 plural(o->attempts), seconds(agent_now(w->agent) - o->since));
	else if (!w->last_ok)
		log_info("%s: connected to %s (%s, protocol %s)", w->ups->name, conn_peer(c), desc,
			 conn_protocol_version(c));
	w->failures = 0;
	w->last_error[0] = '\0';
	/* A fresh session polls at once rather than waiting for the tick. */
	watch_poll(w);
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct watch *w = userdata;

	if (conn_get_state(w->conn) == CONN_IDLE)
		watch_connect(w);
	return 0;
}

/* A server that refused or did not answer: 0.5 s, 1 s, 2 s ... never more
 * than the poll interval. One that answered and then failed TLS, the
 * protocol or the login will fail the same way again: once per poll
 * interval, a full handshake and login each time is load it did not ask for. */
static uint64_t reconnect_delay(const struct watch *w, enum conn_state ended_in)
{
	uint64_t d = 500 * USEC_PER_MSEC << (w->failures < 8 ? w->failures : 8);
	uint64_t max = w->agent->config->poll_interval;

	if (ended_in == CONN_HANDSHAKE || ended_in == CONN_SETUP)
		return max;
	return d < max ? d : max;
}

static void on_closed(struct conn *c, int error, const char *message, void *userdata)
{
	struct watch *w = userdata;
	enum conn_state ended_in = conn_get_ended_in(c);

	watch_gate_done(w);
	if (error == 0) {
		poll_reset(w); /* we closed it: nothing to report */
		return;
	}
	snprintf(w->last_error, sizeof(w->last_error), "%s", message);
	w->failures++;
	(void)sd_event_source_set_time_relative(w->reconnect_timer, reconnect_delay(w, ended_in));
	(void)sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_ONESHOT);
	/* A poll or an attempt to connect failed: news for the monitor. A
	 * session that ended while idle between polls (a server restart) is
	 * not, yet: the reconnect is the attempt that tells. */
	if (w->polling) {
		poll_reset(w);
		watch_result(w, NULL, w->last_error);
	} else if (ended_in != CONN_READY) {
		watch_result(w, NULL, w->last_error);
	}
}

static const struct conn_callbacks watch_callbacks = {
    .ready = on_ready,
    .closed = on_closed,
};

/* Sessions share slots at least this far apart: a thousand sessions polled
 * every 5 s then wake the agent 20 times a second for ten polls each, not
 * 200 times for one or two (a wake-up costs more than a poll: bench/scale). */
#define SLOT_MIN (50 * USEC_PER_MSEC)

/* This watch's place in one interval: when it first connects, and then
 * polls (one interval later, and every interval after that). */
static uint64_t watch_slot(const struct watch *w)
{
	const struct agent *a = w->agent;
	uint64_t interval = a->config->poll_interval, n = a->n_watches ? a->n_watches : 1;
	uint64_t slots = interval / SLOT_MIN;

	if (slots == 0)
		slots = 1;
	if (slots > n)
		slots = n;
	return interval * (w->index * slots / n) / slots;
}

static int watch_setup_net(struct watch *w)
{
	const struct config_ups *u = w->ups;
	const struct config *cfg = w->agent->config;
	struct tls_options o = {
	    .ca_file = u->ca_file, .cert_file = u->cert_file, .key_file = u->key_file};
	struct conn_config cc = {
	    .host = u->server,
	    .port = u->port,
	    .ups = u->ups,
	    .tls = u->tls,
	    .tls_min = u->tls_min,
	    .server_name = u->server_name,
	    .pin = u->pin[0] ? u->pin : NULL,
	    .user = u->user,
	    .password_file = u->password_file,
	    /* LOGIN counts this host in NUMLOGINS, which a primary waits on. */
	    .login = u->user != NULL,
	    .primary = u->role == CONFIG_ROLE_PRIMARY,
	    .connect_timeout = cfg->connect_timeout,
	    .request_timeout = cfg->poll_timeout,
	};
	char err[512];
	int r;

	if (u->tls == TLS_MODE_OFF)
		log_warning("%s: tls is off: the session with %s%s crosses the network in "
			    "plaintext",
			    u->name, u->server, u->user ? ", password included," : "");
	else if ((r = tls_cache_get(&o, &w->creds, err, sizeof(err))) < 0)
		return log_error_errno(r, "%s: %s", u->name, err);
	if (u->tls_min_lowered)
		log_warning("%s: tls-min-version is 1.2 on direct TLS: port 401 is meant for TLS "
			    "1.3; upgrade the TLS front end of %s",
			    u->name, u->server);
	cc.creds = w->creds;
	r = gate_find(&w->agent->gates, u->server, &w->gate);
	if (r >= 0)
		r = conn_new(w->agent->event, &cc, &watch_callbacks, w, &w->conn);
	if (r >= 0)
		r = sd_event_add_time(w->agent->event, &w->reconnect_timer, CLOCK_MONOTONIC, 0,
				      POLL_ACCURACY, on_reconnect_timer, w);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_OFF);
	/* Connects are spread over one interval like the polls: a thousand
	 * TLS handshakes at once swamp the servers, and time out there. */
	if (r >= 0 && watch_slot(w) > 0) {
		r = sd_event_source_set_time(w->reconnect_timer, w->started + watch_slot(w));
		if (r >= 0)
			r = sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_ONESHOT);
	}
	if (r < 0)
		return log_error_errno(r, "%s: cannot set up the session: %s", u->name,
				       strerror(-r));
	if (watch_slot(w) == 0)
		watch_connect(w);
	return 0;
}

int watch_start(struct watch *w)
{
	struct agent *a = w->agent;
	/* Spread the first polls over one interval: a thousand sessions must
	 * not all poll in the same millisecond. The last one polls one
	 * interval after start, so no gap between polls exceeds an interval.
	 * A session polls as soon as it is up, then one interval after the
	 * slot it connected at. */
	uint64_t offset =
	    w->ups->driver == CONFIG_DRIVER_NET
		? watch_slot(w) + a->config->poll_interval
		: a->config->poll_interval * (w->index + 1) / (a->n_watches ? a->n_watches : 1);
	int r;

	w->started = agent_now(a);
	if (w->ups->driver == CONFIG_DRIVER_NET) {
		r = watch_setup_net(w);
		if (r < 0)
			return r;
	}
	if (w->ups->driver == CONFIG_DRIVER_USB) {
		r = usb_watch_start(w);
		if (r < 0)
			return r;
	}
	r = sd_event_add_time(a->event, &w->poll_timer, CLOCK_MONOTONIC, w->started + offset,
			      POLL_ACCURACY, on_poll_timer, w);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->poll_timer, SD_EVENT_ON);
	if (r < 0)
		return log_error_errno(r, "%s: cannot arm the poll timer: %s", w->ups->name,
				       strerror(-r));
	if (w->ups->driver == CONFIG_DRIVER_SIM)
		poll_sim(w);
	return 0;
}

/* ---- primary and secondary requests -------------------------------------- */

static void on_fsd(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct watch *w = userdata;

	if (error < 0)
		log_error("%s: FSD %s refused: %s", w->ups->name, w->ups->ups,
			  reply ? reply->err_word : "the session ended");
	else
		log_notice("%s: FSD set on %s", w->ups->name, conn_peer(c));
}

void watch_send_fsd(struct watch *w)
{
	const char *fsd[] = {"FSD", w->ups->ups};

	if (w->ups->driver != CONFIG_DRIVER_NET || !w->conn ||
	    conn_command(w->conn, 2, fsd, on_fsd, w) < 0)
		log_error("%s: cannot send FSD: no session", w->ups->name);
}

static void on_numlogins(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct watch *w = userdata;
	struct host_ups *hu = &w->agent->host_ups[w->index];
	char *end;
	long n = -1;

	w->numlogins_pending = false;
	if (error >= 0) {
		n = strtol(reply->value, &end, 10);
		if (*end || n < 0 || n > 100000)
			n = -1;
	}
	hu->numlogins = (int)n;
	/* Nobody but this host (counted when it logged in): no primary watches
	 * this UPS. */
	monitor_set_sole_login(&w->monitor, n == (w->ups->user ? 1 : 0));
	agent_update(w->agent);
}

void watch_attempt(struct watch *w)
{
	if (w->ups->driver != CONFIG_DRIVER_NET) {
		watch_poll(w);
		return;
	}
	if (conn_get_state(w->conn) == CONN_READY) {
		if (!w->polling)
			watch_poll(w);
		return;
	}
	/* A set-up under way is the attempt: wait for it. */
	if (conn_get_state(w->conn) == CONN_IDLE) {
		(void)sd_event_source_set_enabled(w->reconnect_timer, SD_EVENT_OFF);
		watch_connect(w);
	}
}

void watch_query_numlogins(struct watch *w)
{
	const char *args[] = {w->ups->ups};

	if (w->numlogins_pending || w->ups->driver != CONFIG_DRIVER_NET || !w->conn)
		return;
	if (conn_get(w->conn, "NUMLOGINS", 1, args, on_numlogins, w) >= 0)
		w->numlogins_pending = true;
}
