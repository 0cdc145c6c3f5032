/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the agent module (agent.h): the snapshot the metrics exporter
 * (agent/metrics) serves, made from the watches, their monitors, the host
 * and the server at the moment of the scrape, then written by lib/metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "macro.h"
#include "metrics.h"
#include "serve.h"

#define SERVER_LABEL_LEN 300

static double secs(uint64_t usec)
{
	return (double)usec / USEC_PER_SEC;
}

/* Seconds from now to t, 0 once past; METRICS_NONE for "never". */
static double left(uint64_t t, uint64_t now)
{
	if (t == MONITOR_NEVER)
		return METRICS_NONE;
	return t > now ? secs(t - now) : 0;
}

/* The server label: where the readings come from. */
static void server_label(const struct config_ups *u, char *buf, size_t size)
{
	if (u->driver != CONFIG_DRIVER_NET)
		snprintf(buf, size, "%s", u->driver == CONFIG_DRIVER_USB ? "usb" : "sim");
	else
		snprintf(buf, size, strchr(u->server, ':') ? "[%s]:%u" : "%s:%u", u->server,
			 u->port);
}

static void fill_ups(const struct watch *w, uint64_t now, char *server, struct metrics_ups *out)
{
	const struct monitor *m = &w->monitor;
	uint64_t timers[_MONITOR_TIMER_MAX];

	server_label(w->ups, server, SERVER_LABEL_LEN);
	*out = (struct metrics_ups){
	    .name = w->ups->name,
	    .server = server,
	    .vars = watch_vars(w, NULL),
	    .reading_age = w->vars_time ? secs(now - w->vars_time) : METRICS_NONE,
	    .status = w->reading.flags | (w->fsd_latched ? STATUS_FLAG(STATUS_FSD) : 0),
	    .poll_duration = w->last_poll ? secs(w->poll_duration) : METRICS_NONE,
	    .polls_failed = w->polls_failed,
	    .comm = m->comm,
	    .reason = monitor_verdict(m, now),
	    .on_battery = m->heard && monitor_on_battery(m) ? secs(now - m->ob_since) : 0,
	    .power_value = w->ups->power_value,
	};
	monitor_timers(m, now, timers);
	for (size_t t = 0; t < _MONITOR_TIMER_MAX; t++)
		out->timers[t] = left(timers[t], now);
}

static void fill_host(const struct agent *a, uint64_t now, struct metrics_host *h)
{
	*h = (struct metrics_host){
	    .state = a->host.state,
	    .supply = host_supply(a->host_ups, a->n_watches),
	    .min_supplies = a->config->min_supplies,
	    .sync_left = METRICS_NONE,
	    .final_left = METRICS_NONE,
	};
	if (a->host.state == HOST_STATE_SYNC)
		h->sync_left = left(a->host.sync_start + a->config->host_sync, now);
	if (a->host.state == HOST_STATE_FINAL)
		h->final_left = left(a->host.final_at, now);
}

/* The served UPSes and their logins, in the serve section's order. */
static int fill_server(const struct agent *a, struct metrics_server *s,
		       struct metrics_served **served)
{
	const struct config_serve *sv = a->config->serve;
	struct server_counters c = server_counters(a->server);
	size_t n = 0;

	while (sv->ups[n])
		n++;
	*served = calloc(n ? n : 1, sizeof(**served));
	if (!*served)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*served)[i].name = sv->ups[i];
		for (size_t j = 0; j < a->n_watches; j++)
			if (strcmp(a->watches[j]->ups->name, sv->ups[i]) == 0)
				(*served)[i].logins = server_logins(a->server, j);
	}
	*s = (struct metrics_server){c.clients, c.handshakes, c.auth_failures, *served, n};
	return 0;
}

int agent_metrics_render(const struct agent *a, struct metrics_buf *b, struct metrics_cache *c,
			 enum metrics_format fmt)
{
	_cleanup_free_ struct metrics_ups *ups = calloc(a->n_watches + 1, sizeof(*ups));
	_cleanup_free_ char *servers = calloc(a->n_watches + 1, SERVER_LABEL_LEN);
	_cleanup_free_ struct metrics_served *served = NULL;
	struct metrics_snapshot snap = {
	    .version = UPSAGENT_VERSION, .ups = ups, .n_ups = a->n_watches};
	struct metrics_server server;
	uint64_t now = 0;

	if (!ups || !servers)
		return -ENOMEM;
	(void)sd_event_now(a->event, CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < a->n_watches; i++)
		fill_ups(a->watches[i], now, servers + i * SERVER_LABEL_LEN, &ups[i]);
	fill_host(a, now, &snap.host);
	if (a->config->serve) {
		if (fill_server(a, &server, &served) < 0)
			return -ENOMEM;
		snap.server = &server;
	}
	return metrics_render(b, &snap, fmt, c);
}
