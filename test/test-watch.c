/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A watch and its sim source, the agent stubbed out: every reading's
 * variables reach watch_vars() and stay through a failure; the FSD latch
 * reaches the monitor at once (the latest reading fed again) and shows in
 * ups.status as upsd shows it.
 */
#include <errno.h>

#include "../agent/daemon/agent.h"
#include "../agent/serve/serve.h"
#include "../agent/daemon/source.h"
#include "macro.h"
#include "sim.h"
#include "test.h"

static uint64_t now = 1000 * USEC_PER_SEC;
static unsigned polls_done;
static bool last_changed;

uint64_t agent_now(const struct agent *a)
{
	return now;
}

void agent_events(struct agent *a, struct watch *w, const enum monitor_event *ev, size_t n)
{
}

void agent_poll_done(struct agent *a, struct watch *w, bool changed)
{
	polls_done++;
	last_changed = changed;
}

void agent_update(struct agent *a)
{
}

void config_monitor(const struct config *c, const struct config_ups *u, struct monitor_config *out)
{
	monitor_config_init(out);
}

int source_net_new(struct watch *w, struct source **ret)
{
	return -EOPNOTSUPP;
}

int source_usb_new(struct watch *w, struct source **ret)
{
	return -EOPNOTSUPP;
}

/* The server (agent/serve.c): nothing is served here. */
bool server_serves(const struct agent *a, const struct watch *w)
{
	return false;
}

unsigned server_logins(const struct agent *a, const struct watch *w)
{
	return 0;
}

static void test_sim_vars_and_fsd(void)
{
	struct sim_step steps[] = {{.at = 0, .status = "OB LB", .charge = 42, .runtime = -1}};
	struct config cfg = {.poll_interval = 5 * USEC_PER_SEC};
	struct config_ups u = {
	    .name = "sim", .driver = CONFIG_DRIVER_SIM, .sim = steps, .n_sim = 1};
	struct host_ups hu = {0};
	struct agent a = {.config = &cfg, .host_ups = &hu, .n_watches = 1};
	const struct varlist *vars;
	struct watch *w = NULL;
	uint64_t when = 1;

	CHECK(sd_event_new(&a.event) >= 0);
	CHECK_INT(watch_new(&a, 0, &u, &w), 0);
	CHECK(watch_vars(w, &when) == NULL && when == 0);
	CHECK_STR(watch_state(w), "simulated");

	/* Started: the script's first step is read at once. */
	CHECK_INT(watch_start(w), 0);
	CHECK_INT(polls_done, 1);
	vars = watch_vars(w, &when);
	CHECK(vars && when == now);
	CHECK_STR(varlist_get(vars, "ups.status"), "OB LB");
	CHECK_STR(varlist_get(vars, "battery.charge"), "42");
	CHECK(varlist_get(vars, "battery.runtime") == NULL); /* the script does not say */
	CHECK_STR(varlist_get(vars, "device.model"), "upsagent simulation");
	CHECK_STR(varlist_get(vars, "driver.name"), "upsagent-sim");
	CHECK_INT(vars->n, 4);
	CHECK(status_has(&w->monitor.last, STATUS_OB) && !status_has(&w->monitor.last, STATUS_FSD));

	/* Latched: the monitor sees FSD without waiting for a poll. */
	watch_latch_fsd(w);
	CHECK_INT(polls_done, 2);
	CHECK(last_changed);
	CHECK(status_has(&w->monitor.last, STATUS_FSD));
	CHECK(strstr(w->last_status, "FSD") != NULL);
	CHECK_STR(varlist_get(watch_vars(w, &when), "ups.status"), "FSD OB LB");
	CHECK(when == now);

	/* Every later reading carries it, once. */
	now += 5 * USEC_PER_SEC;
	w->source->ops->poll(w->source);
	CHECK_STR(varlist_get(watch_vars(w, &when), "ups.status"), "FSD OB LB");
	CHECK(when == now && status_has(&w->monitor.last, STATUS_FSD));

	/* A failure keeps the last good reading's variables, and their time. */
	now += 5 * USEC_PER_SEC;
	watch_result(w, NULL, NULL, "gone");
	CHECK_STR(varlist_get(watch_vars(w, &when), "ups.status"), "FSD OB LB");
	CHECK(when == now - 5 * USEC_PER_SEC);
	CHECK_STR(w->last_error, "gone");

	watch_free(w);
	sd_event_unref(a.event);
}

/* Latched while the last attempt failed: nothing is fed, the vars are marked. */
static void test_latch_after_failure(void)
{
	struct sim_step steps[] = {{.at = 0, .status = "OL", .charge = -1, .runtime = -1}};
	struct config cfg = {.poll_interval = 5 * USEC_PER_SEC};
	struct config_ups u = {
	    .name = "sim", .driver = CONFIG_DRIVER_SIM, .sim = steps, .n_sim = 1};
	struct host_ups hu = {0};
	struct agent a = {.config = &cfg, .host_ups = &hu, .n_watches = 1};
	struct watch *w = NULL;
	unsigned before;

	CHECK(sd_event_new(&a.event) >= 0);
	CHECK_INT(watch_new(&a, 0, &u, &w), 0);
	CHECK_INT(watch_start(w), 0);
	watch_result(w, NULL, NULL, NULL);
	CHECK_STR(w->last_error, "poll failed");
	before = polls_done;
	watch_latch_fsd(w);
	CHECK_INT(polls_done, before);
	CHECK(!status_has(&w->monitor.last, STATUS_FSD));
	CHECK_STR(varlist_get(watch_vars(w, NULL), "ups.status"), "FSD OL");
	watch_free(w);
	sd_event_unref(a.event);
}

int main(void)
{
	test_sim_vars_and_fsd();
	test_latch_after_failure();
	return 0;
}
