/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's life: set up, watch, decide, act, reload, stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "gate.h"
#include "log.h"
#include "serve.h"
#include "shutdown.h"

#define DEADLINE_ACCURACY (10 * USEC_PER_MSEC)

static uint64_t agent_now(const struct agent *a)
{
	uint64_t now = 0;

	(void)sd_event_now(a->event, CLOCK_MONOTONIC, &now);
	return now;
}

static void agent_events(struct agent *a, struct watch *w, const enum monitor_event *ev, size_t n)
{
	const struct notify_ups u = {
	    .name = w->ups->name, .upsname = w->upsname, .status = w->last_status};

	for (size_t i = 0; i < n; i++)
		notify_event(&a->notify, &u, ev[i]);
}

static void agent_update(struct agent *a);

/* The STATUS= last sent; "" after another STATUS= went out. */
static char status_sent[512];

/* STATUS= for systemctl status: what is watched and how it stands. Sent
 * only when it changed: every poll ends here, a thousand sessions poll 200
 * times a second, and each STATUS= is a datagram to systemd (~60 us here,
 * bench/footprint-vs-upsmon). */
static void agent_notify_status(struct agent *a)
{
	char buf[sizeof(status_sent)];
	size_t used;

	used =
	    (size_t)snprintf(buf, sizeof(buf), "STATUS=%s; ", host_state_to_string(a->host.state));
	for (size_t i = 0; i < a->n_watches && used < sizeof(buf); i++) {
		const struct watch *w = a->watches[i];

		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s %s", i ? ", " : "",
					 w->ups->name, w->last_ok ? w->last_status : "no data");
	}
	if (strcmp(buf, status_sent) == 0)
		return;
	memcpy(status_sent, buf, sizeof(status_sent));
	(void)sd_notify(0, buf);
}

/* As upsmon does by exiting: LOGOUT tells a primary waiting on NUMLOGINS
 * that this host is done. Polls stop; systemd stops the daemon soon. */
static void agent_logout_all(struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_watches; i++)
		if (watch_logout(a->watches[i]))
			n++;
	if (n > 0)
		log_info("logged out of every server after the power-off");
}

static void on_power_off(int r, const char *message, void *userdata)
{
	struct agent *a = userdata;

	if (r < 0) {
		log_error("power-off failed: %s", message);
		a->exit_code = 1;
	} else {
		/* shutdown.c already said what a dry run would have done. */
		if (!a->dry_run)
			log_notice("power-off requested: %s", message);
		agent_logout_all(a);
	}
	/* A dry run has nothing left to do; a real one waits to be stopped. */
	if (a->dry_run)
		sd_event_exit(a->event, a->exit_code);
}

static void agent_power_off(struct agent *a)
{
	const struct config *c = a->config;
	enum shutdown_method m =
	    c->shutdown == CONFIG_SHUTDOWN_COMMAND ? SHUTDOWN_COMMAND : SHUTDOWN_LOGIND;
	int r;

	if (a->power_off_requested)
		return;
	a->power_off_requested = true;
	r = shutdown_power_off(a->event, a->dry_run ? SHUTDOWN_DRY_RUN : m, c->shutdown_argv,
			       on_power_off, a);
	if (r < 0)
		log_error("cannot power off: %s", strerror(-r));
}

static void agent_write_flag(struct agent *a)
{
	const char *path = a->config->powerdown_flag;
	int r;

	if (!path || !path[0])
		return;
	if (a->dry_run) {
		log_notice("dry run: would write the power-down flag %s", path);
		return;
	}
	r = powerdown_flag_write(path);
	if (r < 0)
		log_error("cannot write the power-down flag %s: %s", path, strerror(-r));
}

static void agent_log_sync_expired(struct agent *a, size_t i)
{
	int n = a->host_ups[i].numlogins;
	double sync = (double)a->config->host_sync / USEC_PER_SEC;

	if (n < 0)
		log_warning("%s: host-sync (%g s) ran out without an answer to NUMLOGINS: "
			    "shutting down without knowing whether its secondaries are down",
			    a->watches[i]->ups->name, sync);
	else
		log_warning("%s: host-sync (%g s) ran out with %d other login%s still on the "
			    "UPS: shutting down anyway",
			    a->watches[i]->ups->name, sync, n - 1, n - 1 == 1 ? "" : "s");
}

static void agent_act(struct agent *a, const struct host_action *act)
{
	struct watch *w = act->ups < a->n_watches ? a->watches[act->ups] : NULL;

	switch (act->type) {
	case HOST_ACTION_UPS_CRITICAL:
		log_warning("%s: critical: %s", w->ups->name, act->reason ? act->reason : "");
		break;
	case HOST_ACTION_SEND_FSD:
		/* FSD shuts every secondary of that UPS down for real. */
		if (a->dry_run)
			log_notice("%s: dry run: would %s", w->ups->name,
				   w->ups->ups ? "send FSD to its server"
					       : "set FSD for the clients of this UPS");
		else
			watch_send_fsd(w);
		break;
	case HOST_ACTION_QUERY_NUMLOGINS:
		watch_query_numlogins(w);
		break;
	case HOST_ACTION_NOTIFY_HOSTSYNC:
		notify_event(&a->notify, NULL, CONFIG_EVENT_SHUTDOWN_HOSTSYNC);
		break;
	case HOST_ACTION_SYNC_DONE:
		log_notice("no secondary is logged in any more: going on with the shutdown");
		break;
	case HOST_ACTION_SYNC_EXPIRED:
		agent_log_sync_expired(a, act->ups);
		break;
	case HOST_ACTION_NOTIFY_SHUTDOWN:
		(void)sd_notify(0, "STATUS=Shutting down: the UPS power is running out");
		status_sent[0] = '\0';
		notify_event(&a->notify, NULL, CONFIG_EVENT_SHUTDOWN);
		break;
	case HOST_ACTION_WRITE_POWERDOWN_FLAG:
		agent_write_flag(a);
		break;
	case HOST_ACTION_POWER_OFF:
		agent_power_off(a);
		break;
	default:
		break;
	}
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata);

/* One timer for every monitor and the host: the earliest deadline. */
static void agent_arm_deadline(struct agent *a, uint64_t now)
{
	uint64_t next = host_next_deadline(&a->host, now);

	for (size_t i = 0; i < a->n_watches; i++) {
		uint64_t d = monitor_next_deadline(&a->watches[i]->monitor, now);

		if (d < next)
			next = d;
	}
	if (next == MONITOR_NEVER || next == HOST_NEVER) {
		(void)sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_OFF);
		return;
	}
	(void)sd_event_source_set_time(a->deadline_timer, next);
	(void)sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_ONESHOT);
}

#define FORCED_REASON "forced shutdown requested (upsagent fsd)"

/* The UPS's verdict as the host takes it: the monitor's, unless an
 * administrator forced it (upsagent fsd UPS). */
static bool agent_verdict(const struct watch *w, uint64_t now, const char **reason)
{
	if (w->forced) {
		*reason = FORCED_REASON;
		return true;
	}
	return monitor_critical(&w->monitor, now, reason);
}

static void agent_update(struct agent *a)
{
	size_t max = HOST_ACTIONS_MAX(a->n_watches);
	struct host_action *act = calloc(max, sizeof(*act));
	uint64_t now = agent_now(a);
	int n;

	if (!act) {
		log_error("out of memory deciding the host's state");
		return;
	}
	for (size_t i = 0; i < a->n_watches; i++)
		a->host_ups[i].critical = agent_verdict(a->watches[i], now, &a->host_ups[i].reason);
	n = host_update(&a->host, a->host_ups, a->n_watches, now, act, max);
	for (int i = 0; i < n; i++)
		agent_act(a, &act[i]);
	free(act);
	agent_arm_deadline(a, now);
	agent_notify_status(a);
}

/* Deciding for the host costs O(UPSes): with a thousand sessions, done after
 * every poll it was most of the agent's CPU (bench/scale). It cannot come out
 * differently when the host is only watching, the poll changed nothing shown,
 * this UPS's verdict is the one the host has, and its next deadline is not
 * earlier than the timer already armed; the deadline timer and the next
 * change catch everything else. */
static void agent_poll_done(struct agent *a, struct watch *w, bool changed)
{
	const struct host_ups *hu = &a->host_ups[w->index];
	uint64_t now = agent_now(a), armed = 0, next;
	const char *reason = NULL;
	int enabled = SD_EVENT_OFF;

	if (changed || a->host.state != HOST_STATE_WATCHING ||
	    agent_verdict(w, now, &reason) != hu->critical || reason != hu->reason) {
		agent_update(a);
		return;
	}
	next = monitor_next_deadline(&w->monitor, now);
	if (next == MONITOR_NEVER)
		return;
	(void)sd_event_source_get_enabled(a->deadline_timer, &enabled);
	(void)sd_event_source_get_time(a->deadline_timer, &armed);
	if (enabled == SD_EVENT_OFF || next < armed)
		agent_update(a);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct agent *a = userdata;
	uint64_t now = agent_now(a);

	for (size_t i = 0; i < a->n_watches; i++) {
		struct watch *w = a->watches[i];
		enum monitor_event ev[MONITOR_EVENTS_MAX];
		size_t n = monitor_tick(&w->monitor, now, ev, ELEMENTSOF(ev));

		agent_events(a, w, ev, n);
		/* Dead-time ran out: the verdict waits for an attempt that ends
		 * now or later, so make sure one is under way. */
		if (monitor_wants_attempt(&w->monitor, now))
			watch_attempt(w);
		/* A timed rule turned a secondary's reading critical between
		 * polls: is a primary there to wait for? */
		if (monitor_holding(&w->monitor, now))
			watch_query_numlogins(w);
	}
	agent_update(a);
	return 0;
}

/* ---- what the watches, the server and the status socket say ---------------- */

/* Whether w is one of the current watches: an old one freed by a reload
 * may still report while its session closes; its index means nothing now. */
static bool agent_owns(const struct agent *a, const struct watch *w)
{
	return w->index < a->n_watches && a->watches[w->index] == w;
}

static uint64_t on_watch_now(void *userdata)
{
	return agent_now(userdata);
}

static void on_watch_events(void *userdata, struct watch *w, const enum monitor_event *ev, size_t n)
{
	agent_events(userdata, w, ev, n);
}

static void on_watch_poll_done(void *userdata, struct watch *w, bool changed)
{
	struct agent *a = userdata;

	if (!agent_owns(a, w))
		return;
	agent_poll_done(a, w, changed);
	exporter_polled(a->exporter, w->index);
}

static void on_watch_numlogins(void *userdata, struct watch *w, int n, bool decide)
{
	struct agent *a = userdata;

	if (!agent_owns(a, w))
		return;
	a->host_ups[w->index].numlogins = n;
	if (decide)
		agent_update(a);
}

static unsigned on_watch_served_logins(void *userdata, const struct watch *w)
{
	const struct agent *a = userdata;

	return server_logins(a->server, w->index);
}

static const struct watch_owner_ops watch_owner_ops = {
    .now = on_watch_now,
    .events = on_watch_events,
    .poll_done = on_watch_poll_done,
    .numlogins = on_watch_numlogins,
    .served_logins = on_watch_served_logins,
};

static int on_server_find(void *userdata, const char *name)
{
	const struct agent *a = userdata;

	for (size_t i = 0; i < a->n_watches; i++)
		if (strcmp(a->watches[i]->ups->name, name) == 0)
			return (int)i;
	return -1;
}

static const struct varlist *on_server_vars(void *userdata, size_t ups, uint64_t *when)
{
	const struct agent *a = userdata;

	return watch_vars(a->watches[ups], when);
}

static void on_server_set_fsd(void *userdata, size_t ups)
{
	const struct agent *a = userdata;

	watch_latch_fsd(a->watches[ups]);
}

static void on_server_logins_changed(void *userdata)
{
	agent_update(userdata);
}

static const struct server_owner_ops server_owner_ops = {
    .find = on_server_find,
    .vars = on_server_vars,
    .set_fsd = on_server_set_fsd,
    .logins_changed = on_server_logins_changed,
};

static int on_exporter_render(void *userdata, struct metrics_buf *b, struct metrics_cache *c,
			      enum metrics_format fmt)
{
	return agent_metrics_render(userdata, b, c, fmt);
}

static const struct exporter_owner_ops exporter_owner_ops = {
    .render = on_exporter_render,
};

static int agent_reload(struct agent *a);

static int on_control_reload(void *userdata)
{
	return agent_reload(userdata);
}

/* upsagent fsd [UPS], as upsmon -c fsd: the host's shutdown now, or UPS
 * counted as critical from now on (min-supplies then decides). */
static int agent_fsd(struct agent *a, const char *ups, char *msg, size_t len)
{
	if (ups) {
		struct watch *w = NULL;

		for (size_t i = 0; i < a->n_watches && !w; i++)
			if (strcmp(a->watches[i]->ups->name, ups) == 0)
				w = a->watches[i];
		if (!w) {
			snprintf(msg, len, "no ups section '%s' in %s", ups, a->config_path);
			return -ENOENT;
		}
		w->forced = true;
		log_warning("%s: %s", w->ups->name, FORCED_REASON);
		snprintf(msg, len, "%s counts as critical from now on", w->ups->name);
	} else if (!host_force(&a->host)) {
		snprintf(msg, len, "a shutdown is in progress already");
		return 0;
	} else {
		log_warning("%s: shutting the host down now", FORCED_REASON);
		snprintf(msg, len, "forced shutdown started");
	}
	agent_update(a);
	return 0;
}

static int on_control_fsd(void *userdata, const char *ups, char *msg, size_t len)
{
	return agent_fsd(userdata, ups, msg, len);
}

static void on_control_status(void *userdata, FILE *f, bool json)
{
	agent_status_write(userdata, f, json);
}

static const struct control_ops control_ops = {
    .status = on_control_status,
    .reload = on_control_reload,
    .fsd = on_control_fsd,
};

/* What the watches, the server and the hooks are given; config changes at a reload. */
static void agent_envs_set(struct agent *a)
{
	a->watch_env = (struct watch_env){
	    .event = a->event,
	    .config = a->config,
	    .gates = &a->gates,
	    .stopping = &a->stopping,
	    .ops = &watch_owner_ops,
	    .userdata = a,
	};
	a->notify = (struct notify){.config = a->config, .hooks = a->hooks, .dry_run = a->dry_run};
}

static struct server_env agent_server_env(struct agent *a)
{
	return (struct server_env){
	    .event = a->event, .config = a->config, .ops = &server_owner_ops, .userdata = a};
}

/* The exporter follows the configuration: closed, then opened again (its
 * listeners, its textfile round over the new UPSes). It gets copies of
 * systemd's metrics sockets, which it closes with its listeners. */
static int agent_exporter_open(struct agent *a)
{
	int fds[16];
	struct exporter_env env = {.event = a->event,
				   .config = a->config,
				   .ops = &exporter_owner_ops,
				   .userdata = a,
				   .fds = fds};

	a->exporter = exporter_free(a->exporter);
	for (size_t i = 0; i < a->n_metrics_fds && env.n_fds < ELEMENTSOF(fds); i++) {
		int fd = fcntl(a->metrics_fds[i], F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			log_warning("metrics: cannot use socket %d from systemd: %s",
				    a->metrics_fds[i], strerror(errno));
		else
			fds[env.n_fds++] = fd;
	}
	return exporter_open(&env, &a->exporter);
}

/* ---- watches ------------------------------------------------------------ */

static void agent_free_watches(struct agent *a)
{
	for (size_t i = 0; i < a->n_watches; i++)
		watch_free(a->watches[i]);
	free(a->watches);
	free(a->host_ups);
	a->watches = NULL;
	a->host_ups = NULL;
	a->n_watches = 0;
}

/* Whether the serve section shares u: a local UPS served is ours to FSD. */
static bool agent_config_serves(const struct config *c, const struct config_ups *u)
{
	if (!c->serve || u->driver == CONFIG_DRIVER_NET)
		return false;
	for (char **n = c->serve->ups; *n; n++)
		if (strcmp(*n, u->name) == 0)
			return true;
	return false;
}

static int agent_make_watches(struct agent *a)
{
	const struct config *c = a->config;

	a->watches = calloc(c->n_ups, sizeof(*a->watches));
	a->host_ups = calloc(c->n_ups, sizeof(*a->host_ups));
	if (!a->watches || !a->host_ups)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_ups; i++) {
		int r = watch_new(&a->watch_env, i, &c->ups[i], agent_config_serves(c, &c->ups[i]),
				  &a->watches[i]);

		if (r < 0)
			return r;
		a->n_watches++;
		/* Serving its UPS makes this host its primary, as upsmon primary on
		 * upsd's host: FSD for the clients, then wait for them to log out. */
		host_ups_init(&a->host_ups[i], c->ups[i].power_value,
			      c->ups[i].role == CONFIG_ROLE_PRIMARY ||
				  agent_config_serves(c, &c->ups[i]));
	}
	return 0;
}

static int agent_start_watches(struct agent *a)
{
	for (size_t i = 0; i < a->n_watches; i++) {
		int r = watch_start(a->watches[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static void agent_host_init(struct agent *a)
{
	struct host_config hc = {
	    .min_supplies = a->config->min_supplies,
	    .host_sync = a->config->host_sync,
	    .final_delay = a->config->final_delay,
	};

	host_init(&a->host, &hc);
}

/* Watches whose UPS keeps its name across a reload keep what they knew
 * (watch_carry()): a reload must not forget that a UPS is on battery. */
static void agent_carry_state(struct agent *a, struct watch **old, size_t n_old)
{
	for (size_t i = 0; i < a->n_watches; i++) {
		struct watch *w = a->watches[i];

		for (size_t j = 0; j < n_old; j++)
			if (strcmp(old[j]->ups->name, w->ups->name) == 0)
				watch_carry(w, old[j]);
	}
}

static int agent_reload_config(struct agent *a)
{
	struct config *fresh = NULL, *old_config = a->config;
	struct watch **old = a->watches;
	struct host_ups *old_host_ups = a->host_ups;
	size_t n_old = a->n_watches;
	int r;

	if (a->host.state != HOST_STATE_WATCHING) {
		log_warning("reload refused: a shutdown is in progress");
		return -EBUSY;
	}
	r = config_load(a->config_path, &fresh);
	if (r < 0) {
		log_error("reload of %s failed; the running configuration stays", a->config_path);
		return r;
	}
	a->config = fresh;
	agent_envs_set(a);
	a->watches = NULL;
	a->host_ups = NULL;
	a->n_watches = 0;
	r = agent_make_watches(a);
	if (r >= 0) {
		agent_carry_state(a, old, n_old);
		agent_host_init(a);
		r = agent_start_watches(a);
	}
	if (r >= 0) {
		struct server_env env = agent_server_env(a);

		r = server_apply(&a->server, &env); /* before the old watches go */
	}
	if (r >= 0)
		r = agent_exporter_open(a);
	for (size_t i = 0; i < n_old; i++)
		watch_free(old[i]);
	free(old);
	free(old_host_ups);
	config_free(old_config);
	if (r < 0)
		log_error("reload: some UPS could not be set up: %s", strerror(-r));
	else
		log_notice("reloaded %s: watching %zu UPS", a->config_path, a->n_watches);
	agent_update(a);
	return r;
}

/*
 * Reads the configuration again (SIGHUP, or "reload" on the status socket):
 * a file that fails to validate is refused and the running configuration
 * stays. Logs why; returns 0 or -errno (-EBUSY during a shutdown, -EINVAL
 * for a file that does not load).
 */
static int agent_reload(struct agent *a)
{
	int r;

	(void)sd_notify(0, "RELOADING=1");
	r = agent_reload_config(a);
	(void)sd_notify(0, "READY=1");
	return r;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)agent_reload(userdata);
	return 0;
}

/* ---- life cycle --------------------------------------------------------- */

static int agent_setup_loop(struct agent *a)
{
	sigset_t mask;
	int r;

	/* sd-event wants the signals blocked before it watches them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&a->event);
	if (r >= 0)
		r = sd_event_add_signal(a->event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(a->event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(a->event, NULL, SIGHUP, on_sighup, a);
	if (r >= 0)
		r = sd_event_set_watchdog(a->event, true);
	if (r >= 0)
		r = sd_event_add_time(a->event, &a->deadline_timer, CLOCK_MONOTONIC, 0,
				      DEADLINE_ACCURACY, on_deadline, a);
	if (r >= 0)
		r = sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = hooks_new(a->event, &a->hooks);
	if (r >= 0)
		agent_envs_set(a);
	return r < 0 ? log_error_errno(r, "cannot set up the event loop: %s", strerror(-r)) : 0;
}

static void agent_log_start(const struct agent *a)
{
	const struct config *c = a->config;

	log_info("watching %zu UPS from %s; poll every %.1f s, min-supplies %u%s", c->n_ups,
		 a->config_path, (double)c->poll_interval / USEC_PER_SEC, c->min_supplies,
		 a->dry_run ? "; dry run: nothing will be powered off" : "");
	if (c->min_supplies == 0)
		log_warning("min-supplies is 0: this host will never be shut down");
}

static int agent_start(struct agent *a)
{
	struct server_env env;
	int r;

	r = agent_setup_loop(a);
	if (r < 0)
		return r;
	if (!a->dry_run && a->config->powerdown_flag && a->config->powerdown_flag[0])
		(void)powerdown_flag_remove(a->config->powerdown_flag); /* stale, from before */
	agent_host_init(a);
	r = agent_make_watches(a);
	if (r < 0)
		return log_error_errno(r, "cannot set up the watches: %s", strerror(-r));
	a->started = agent_now(a);
	r = control_open(a->event, a->config->status_socket, &control_ops, a, &a->control);
	if (r < 0)
		return r;
	r = agent_take_sockets(a);
	if (r < 0)
		return r;
	env = agent_server_env(a);
	env.sockets = a->serve_sockets; /* the server takes them: only at start */
	env.n_sockets = a->n_serve_sockets;
	r = server_open(&env, &a->server);
	if (r >= 0)
		r = agent_exporter_open(a);
	if (r < 0)
		return r;
	agent_log_start(a);
	r = agent_start_watches(a);
	if (r < 0)
		return r;
	agent_update(a);
	(void)sd_notify(0, "READY=1");
	return 0;
}

static void agent_stop(struct agent *a)
{
	(void)sd_notify(0, "STOPPING=1");
	a->control = control_free(a->control);
	a->server = server_free(a->server);
	a->exporter = exporter_free(a->exporter);
	a->stopping = true;
	agent_free_watches(a);
	gate_free_all(a->gates);
	a->deadline_timer = sd_event_source_disable_unref(a->deadline_timer);
	a->hooks = hooks_free(a->hooks);
	agent_sockets_free(a);
	config_free(a->config);
	a->event = sd_event_unref(a->event);
}

int agent_run(const char *config_path, bool dry_run)
{
	struct agent a = {.config_path = config_path, .dry_run = dry_run};
	int r;

	agent_raise_fd_limit();
	r = config_load(config_path, &a.config);
	if (r < 0)
		return EXIT_CONFIG;
	r = agent_start(&a);
	if (r >= 0)
		r = sd_event_loop(a.event);
	if (r < 0)
		log_error("the agent stopped: %s", strerror(-r));
	else
		log_info("stopped");
	agent_stop(&a);
	/* max-clients beyond the fd limit: the file must change, a restart would not help */
	return r == -ERANGE ? EXIT_CONFIG : r < 0 ? 1 : r;
}
