/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A UPS server as a watch's source (driver = "net"): one session (conn.h),
 * set up through its server's gate (gate.h), reconnected with backoff, and a
 * poll that GETs ups.status plus what the thresholds need as one pipelined
 * batch. The variables read are the reading's vars; nothing more is asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "gate.h"
#include "log.h"
#include "source.h"
#include "tls-cache.h"

/* Reconnects need no precision finer than this; coarse timers batch wake-ups. */
#define RECONNECT_ACCURACY (10 * USEC_PER_MSEC)

struct net_source {
	struct source source;
	struct tls_creds *creds;
	struct conn *conn;
	sd_event_source *reconnect_timer;
	unsigned failures;	 /* consecutive failed sessions, for the backoff */
	struct gate *gate;	 /* set-ups to this server, a few at a time */
	struct gate_place place; /* this session's at the gate */

	/* the poll in flight */
	bool polling;
	unsigned awaiting;
	bool poll_failed;
	struct varlist vars;
	char error[256]; /* why the last attempt failed */

	bool numlogins_pending;
	/* Logged out after this host asked for its power-off: never again, as
	 * upsmon's child exits after SHUTDOWNCMD. A primary waiting for this
	 * host's logout must not see it come back when its server does. */
	bool logged_out;
};

static struct net_source *net_of(struct source *s)
{
	return (struct net_source *)s; /* source is the first member */
}

static const struct net_source *net_of_const(const struct source *s)
{
	return (const struct net_source *)s;
}

static struct net_source *net_of_place(struct gate_place *p)
{
	return (struct net_source *)((char *)p - offsetof(struct net_source, place));
}

static void net_connect(struct net_source *n);
static void net_gate_done(struct net_source *n);

static void poll_reset(struct net_source *n)
{
	varlist_clear(&n->vars);
	n->polling = false;
	n->awaiting = 0;
	n->poll_failed = false;
}

static void net_free(struct source *s)
{
	struct net_source *n = net_of(s);

	poll_reset(n);
	n->reconnect_timer = sd_event_source_disable_unref(n->reconnect_timer);
	if (n->conn) {
		conn_close(n->conn); /* LOGOUT is best effort: the socket goes with the unref */
		n->conn = conn_unref(n->conn);
	}
	net_gate_done(n);
	tls_cache_put(n->creds); /* shared with every session of the same TLS options */
	free(n);
}

static const char *net_state(const struct source *s)
{
	const struct net_source *n = net_of_const(s);

	if (n->logged_out)
		return "logged out (powering off)";
	if (n->place.queued)
		return "waiting"; /* for its turn to set up: gate.c */
	return n->conn ? conn_state_to_string(conn_get_state(n->conn)) : "idle";
}

/* ---- the poll ------------------------------------------------------------- */

static void poll_finish(struct net_source *n)
{
	struct status_snapshot s;
	struct varlist vars;

	if (n->poll_failed || !varlist_get(&n->vars, "ups.status")) {
		poll_reset(n);
		source_result(&n->source, NULL, NULL, n->error[0] ? n->error : NULL);
		return;
	}
	status_parse(&s, varlist_get(&n->vars, "ups.status"),
		     varlist_get(&n->vars, "battery.charge"),
		     varlist_get(&n->vars, "battery.runtime"), varlist_get(&n->vars, "ups.alarm"));
	/* The poll is over before its result is: what the result sets off
	 * (a power-off closes the session) finds no poll in flight. */
	vars = n->vars;
	n->vars = (struct varlist){0};
	n->error[0] = '\0';
	poll_reset(n);
	source_result(&n->source, &s, &vars, NULL);
	varlist_clear(&vars);
}

struct var_slot {
	const char *name;
	bool required; /* ERR on it fails the poll */
};

static const struct var_slot var_slots[] = {
    {"ups.status", true},
    {"battery.charge", false},
    {"battery.runtime", false},
    {"ups.alarm", false},
};

static void on_var(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	const struct var_slot *slot = userdata;
	struct net_source *n = conn_get_userdata(c);

	if (!n->polling)
		return;
	if (reply && error >= 0) {
		if (varlist_set(&n->vars, slot->name, reply->value) < 0 && slot->required)
			n->poll_failed = true; /* no memory: as good as no answer */
	} else if (reply && slot->required) {
		/* DATA-STALE, DRIVER-NOT-CONNECTED...: no reading this round. */
		n->poll_failed = true;
		snprintf(n->error, sizeof(n->error), "%s: ERR %s (%s)", slot->name, reply->err_word,
			 proto_err_to_string(reply->err));
	} else if (!reply) {
		/* The session ended: on_closed says why and ends the poll. */
		n->poll_failed = true;
		n->awaiting--;
		return;
	}
	if (--n->awaiting == 0)
		poll_finish(n);
}

static bool reconnect_pending(const struct net_source *n)
{
	int enabled = SD_EVENT_OFF;

	(void)sd_event_source_get_enabled(n->reconnect_timer, &enabled);
	return enabled != SD_EVENT_OFF;
}

/* ups.status plus what the thresholds need, as one pipelined batch. */
static void net_poll(struct source *s)
{
	struct net_source *n = net_of(s);
	const struct config_ups *u = s->env->ups;
	bool alarm = s->env->ops->alarm(s->env->userdata);

	if (conn_get_state(n->conn) != CONN_READY) {
		/* No session: an attempt under way reports its own outcome, and
		 * the reconnect timer starts the next one - a tick adds no news
		 * and no load. A failure is news only when an attempt ends
		 * (monitor.h: dead-time waits for the attempt in flight). */
		if (conn_get_state(n->conn) == CONN_IDLE && !reconnect_pending(n))
			net_connect(n);
		return;
	}
	if (n->polling) {
		/* The last batch is still unanswered: conn's request timeout
		 * ends the session, which fails that poll. */
		return;
	}
	n->polling = true;
	for (size_t i = 0; i < ELEMENTSOF(var_slots); i++) {
		/* Only what the thresholds need: without battery-charge-low and
		 * runtime-low a poll is one request and one reply (TLS record). */
		if ((i == 1 && u->charge_low < 0) || (i == 2 && u->runtime_low < 0) ||
		    (i == 3 && !alarm))
			continue;
		if (conn_get_var(n->conn, var_slots[i].name, on_var, (void *)&var_slots[i]) < 0)
			n->poll_failed = true;
		else
			n->awaiting++;
	}
	if (n->awaiting == 0)
		poll_finish(n);
}

static void net_attempt(struct source *s)
{
	struct net_source *n = net_of(s);

	if (conn_get_state(n->conn) == CONN_READY) {
		if (!n->polling)
			net_poll(s);
		return;
	}
	/* A set-up under way is the attempt: wait for it. */
	if (conn_get_state(n->conn) == CONN_IDLE) {
		(void)sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_OFF);
		net_connect(n);
	}
}

/* ---- the session ------------------------------------------------------ */

static void net_conn_start(struct net_source *n);

/* n's set-up has ended, or n goes away: the next in line may start. */
static void net_gate_done(struct net_source *n)
{
	struct gate_place *next;

	if (!n->gate)
		return;
	gate_leave(n->gate, &n->place);
	if (*n->source.env->stopping)
		return;
	while ((next = gate_admit(n->gate)))
		net_conn_start(net_of_place(next));
}

/* A server that refused or did not answer: 0.5 s, 1 s, 2 s ... never more
 * than the poll interval. One that answered and then failed TLS, the
 * protocol or the login will fail the same way again: once per poll
 * interval, a full handshake and login each time is load it did not ask for. */
static uint64_t reconnect_delay(const struct net_source *n, enum conn_state ended_in)
{
	uint64_t d = 500 * USEC_PER_MSEC << (n->failures < 8 ? n->failures : 8);
	uint64_t max = n->source.env->config->poll_interval;

	if (ended_in == CONN_HANDSHAKE || ended_in == CONN_SETUP)
		return max;
	return d < max ? d : max;
}

static void net_conn_start(struct net_source *n)
{
	char why[128];
	int r;

	if (n->logged_out) {
		net_gate_done(n); /* admitted by the gate, no longer going */
		return;
	}
	r = conn_start(n->conn);
	if (r >= 0 || r == -EBUSY)
		return;
	net_gate_done(n);
	snprintf(why, sizeof(why), "cannot start a session: %s", strerror(-r));
	n->failures++;
	(void)sd_event_source_set_time_relative(n->reconnect_timer,
						reconnect_delay(n, CONN_CONNECTING));
	(void)sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_ONESHOT);
	source_result(&n->source, NULL, NULL, why);
}

static void net_connect(struct net_source *n)
{
	if (n->logged_out)
		return;
	/* Otherwise its turn comes when another set-up to the server ends. */
	if (gate_enter(n->gate, &n->place))
		net_conn_start(n);
}

static void on_ready(struct conn *c, void *userdata)
{
	struct net_source *n = userdata;
	char desc[128], what[512];

	net_gate_done(n);
	conn_describe(c, desc, sizeof(desc));
	snprintf(what, sizeof(what), "connected to %s (%s, protocol %s)", conn_peer(c), desc,
		 conn_protocol_version(c));
	source_connected(&n->source, what);
	n->failures = 0;
	n->error[0] = '\0';
	/* A fresh session polls at once rather than waiting for the tick. */
	net_poll(&n->source);
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct net_source *n = userdata;

	if (conn_get_state(n->conn) == CONN_IDLE)
		net_connect(n);
	return 0;
}

static void on_closed(struct conn *c, int error, const char *message, void *userdata)
{
	struct net_source *n = userdata;
	enum conn_state ended_in = conn_get_ended_in(c);

	net_gate_done(n);
	if (error == 0) {
		poll_reset(n); /* we closed it: nothing to report */
		return;
	}
	snprintf(n->error, sizeof(n->error), "%s", message);
	n->failures++;
	(void)sd_event_source_set_time_relative(n->reconnect_timer, reconnect_delay(n, ended_in));
	(void)sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_ONESHOT);
	/* A poll or an attempt to connect failed: news for the monitor. A
	 * session that ended while idle between polls (a server restart) is
	 * not, yet: the reconnect is the attempt that tells. */
	if (n->polling) {
		poll_reset(n);
		source_result(&n->source, NULL, NULL, n->error);
	} else if (ended_in != CONN_READY) {
		source_result(&n->source, NULL, NULL, n->error);
	}
}

static const struct conn_callbacks net_callbacks = {
    .ready = on_ready,
    .closed = on_closed,
};

void source_net_conn_config(const struct config *cfg, const struct config_ups *u,
			    struct conn_config *out)
{
	*out = (struct conn_config){
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
}

static int net_setup(struct net_source *n, uint64_t slot)
{
	const struct source_env *env = n->source.env;
	const struct config_ups *u = env->ups;
	const struct config *cfg = env->config;
	struct tls_options o = {
	    .ca_file = u->ca_file, .cert_file = u->cert_file, .key_file = u->key_file};
	struct conn_config cc;
	char err[512];
	int r;

	source_net_conn_config(cfg, u, &cc);
	if (u->tls == TLS_MODE_OFF)
		log_warning("%s: tls is off: the session with %s%s crosses the network in "
			    "plaintext",
			    u->name, u->server, u->user ? ", password included," : "");
	else if ((r = tls_cache_get(&o, &n->creds, err, sizeof(err))) < 0)
		return log_error_errno(r, "%s: %s", u->name, err);
	if (u->tls_min_lowered)
		log_warning("%s: tls-min-version is 1.2 on direct TLS: port 401 is meant for TLS "
			    "1.3; upgrade the TLS front end of %s",
			    u->name, u->server);
	cc.creds = n->creds;
	r = gate_find(env->gates, u->server, &n->gate);
	if (r >= 0)
		r = conn_new(env->event, &cc, &net_callbacks, n, &n->conn);
	if (r >= 0)
		r = sd_event_add_time(env->event, &n->reconnect_timer, CLOCK_MONOTONIC, 0,
				      RECONNECT_ACCURACY, on_reconnect_timer, n);
	if (r >= 0)
		r = sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_OFF);
	/* Connects are spread over one interval like the polls: a thousand
	 * TLS handshakes at once swamp the servers, and time out there. */
	if (r >= 0 && slot > 0) {
		r = sd_event_source_set_time(n->reconnect_timer, source_now(&n->source) + slot);
		if (r >= 0)
			r = sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_ONESHOT);
	}
	if (r < 0)
		return log_error_errno(r, "%s: cannot set up the session: %s", u->name,
				       strerror(-r));
	if (slot == 0)
		net_connect(n);
	return 0;
}

static int net_start(struct source *s, uint64_t slot)
{
	return net_setup(net_of(s), slot);
}

/* ---- primary and secondary requests -------------------------------------- */

static void on_fsd(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct net_source *n = userdata;
	const struct config_ups *u = n->source.env->ups;

	if (error < 0)
		log_error("%s: FSD %s refused: %s", u->name, u->ups,
			  reply ? reply->err_word : "the session ended");
	else
		log_notice("%s: FSD set on %s", u->name, conn_peer(c));
}

static void net_send_fsd(struct source *s)
{
	struct net_source *n = net_of(s);
	const char *fsd[] = {"FSD", s->env->ups->ups};

	if (!n->conn || conn_command(n->conn, 2, fsd, on_fsd, n) < 0)
		log_error("%s: cannot send FSD: no session", s->env->ups->name);
}

static void on_numlogins(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct net_source *n = userdata;
	char *end;
	long count = -1;

	n->numlogins_pending = false;
	if (error >= 0) {
		count = strtol(reply->value, &end, 10);
		if (*end || count < 0 || count > 100000)
			count = -1;
	}
	source_numlogins(&n->source, (int)count);
}

static void net_query_numlogins(struct source *s)
{
	struct net_source *n = net_of(s);
	const char *args[] = {s->env->ups->ups};

	if (n->numlogins_pending || !n->conn)
		return;
	if (conn_get(n->conn, "NUMLOGINS", 1, args, on_numlogins, n) >= 0)
		n->numlogins_pending = true;
}

static bool net_logout(struct source *s)
{
	struct net_source *n = net_of(s);

	if (n->logged_out || !n->conn)
		return false;
	n->logged_out = true;
	(void)sd_event_source_set_enabled(n->reconnect_timer, SD_EVENT_OFF);
	if (n->place.queued)
		net_gate_done(n);
	if (conn_get_state(n->conn) == CONN_IDLE)
		return false; /* no session to end; none will start */
	conn_close(n->conn);
	return true;
}

static const struct source_ops net_ops = {
    .start = net_start,
    .poll = net_poll,
    .attempt = net_attempt,
    .state = net_state,
    .send_fsd = net_send_fsd,
    .query_numlogins = net_query_numlogins,
    .logout = net_logout,
    .free = net_free,
    .connects = true,
};

int source_net_new(const struct source_env *env, struct source **ret)
{
	struct net_source *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->source = (struct source){.ops = &net_ops, .env = env};
	*ret = &n->source;
	return 0;
}
