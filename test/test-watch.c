/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A watch and its sim source, its owner stubbed out: every reading's
 * variables reach watch_vars() and stay through a failure; the FSD latch
 * reaches the monitor at once (the latest reading fed again) and shows in
 * ups.status as upsd shows it.
 */
#include <errno.h>

#include "../agent/daemon/source.h"
#include "../agent/daemon/watch.h"
#include "macro.h"
#include "sim.h"
#include "test.h"

static uint64_t now = 1000 * USEC_PER_SEC;
static unsigned polls_done;
static bool last_changed;

/* The owner (the agent in the daemon): a clock the test sets, polls counted. */
static uint64_t owner_now(void *userdata)
{
	return now;
}

static void owner_events(void *userdata, struct watch *w, const enum monitor_event *ev, size_t n)
{
}

static void owner_poll_done(void *userdata, struct watch *w, bool changed)
{
	polls_done++;
	last_changed = changed;
}

static void owner_numlogins(void *userdata, struct watch *w, int n, bool decide)
{
}

/* The server: nothing is served here. */
static unsigned owner_served_logins(void *userdata, const struct watch *w)
{
	return 0;
}

static const struct watch_owner_ops owner_ops = {
    .now = owner_now,
    .events = owner_events,
    .poll_done = owner_poll_done,
    .numlogins = owner_numlogins,
    .served_logins = owner_served_logins,
};

void config_monitor(const struct config *c, const struct config_ups *u, struct monitor_config *out)
{
	monitor_config_init(out);
}

int source_net_new(const struct source_env *env, struct source **ret)
{
	return -EOPNOTSUPP;
}

int source_usb_new(const struct source_env *env, struct source **ret)
{
	return -EOPNOTSUPP;
}

static void test_sim_vars_and_fsd(void)
{
	struct sim_step steps[] = {{.at = 0, .status = "OB LB", .charge = 42, .runtime = -1}};
	struct config cfg = {.poll_interval = 5 * USEC_PER_SEC};
	struct config_ups u = {
	    .name = "sim", .driver = CONFIG_DRIVER_SIM, .sim = steps, .n_sim = 1};
	bool stopping = false;
	struct watch_env env = {.config = &cfg, .stopping = &stopping, .ops = &owner_ops};
	const struct varlist *vars;
	struct watch *w = NULL;
	uint64_t when = 1;

	CHECK(sd_event_new(&env.event) >= 0);
	CHECK_INT(watch_new(&env, 0, &u, /* served= */ false, &w), 0);
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
	/* as NUT drivers serve them: NUT-Monitor and upsstats show ups.mfr/model */
	CHECK_STR(varlist_get(vars, "ups.mfr"), "upsagent");
	CHECK_STR(varlist_get(vars, "ups.model"), "upsagent simulation");
	CHECK_STR(varlist_get(vars, "device.type"), "ups");
	CHECK(varlist_get(vars, "driver.version") != NULL);
	CHECK_INT(vars->n, 9);
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
	sd_event_unref(env.event);
}

/* Latched while the last attempt failed: nothing is fed, the vars are marked. */
static void test_latch_after_failure(void)
{
	struct sim_step steps[] = {{.at = 0, .status = "OL", .charge = -1, .runtime = -1}};
	struct config cfg = {.poll_interval = 5 * USEC_PER_SEC};
	struct config_ups u = {
	    .name = "sim", .driver = CONFIG_DRIVER_SIM, .sim = steps, .n_sim = 1};
	bool stopping = false;
	struct watch_env env = {.config = &cfg, .stopping = &stopping, .ops = &owner_ops};
	struct watch *w = NULL;
	unsigned before;

	CHECK(sd_event_new(&env.event) >= 0);
	CHECK_INT(watch_new(&env, 0, &u, /* served= */ false, &w), 0);
	CHECK_INT(watch_start(w), 0);
	watch_result(w, NULL, NULL, NULL);
	CHECK_STR(w->last_error, "poll failed");
	before = polls_done;
	watch_latch_fsd(w);
	CHECK_INT(polls_done, before);
	CHECK(!status_has(&w->monitor.last, STATUS_FSD));
	CHECK_STR(varlist_get(watch_vars(w, NULL), "ups.status"), "FSD OL");
	watch_free(w);
	sd_event_unref(env.event);
}

int main(void)
{
	test_sim_vars_and_fsd();
	test_latch_after_failure();
	return 0;
}
