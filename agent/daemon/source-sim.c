/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A script of readings as a watch's source (driver = "sim", lib/sim.h): each
 * poll reads the step due at the time since the watch started. Never fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "sim.h"
#include "source.h"

static void sim_poll(struct source *src)
{
	struct watch *w = src->watch;
	const struct sim_step *step =
	    sim_at(w->ups->sim, w->ups->n_sim, agent_now(w->agent) - w->started);
	const char *status = step ? step->status : "OL";
	char charge[32], runtime[32];
	struct varlist vars = {0};
	struct status_snapshot s;
	bool has_charge = step && step->charge >= 0, has_runtime = step && step->runtime >= 0;

	snprintf(charge, sizeof(charge), "%g", has_charge ? step->charge : -1);
	snprintf(runtime, sizeof(runtime), "%g", has_runtime ? step->runtime : -1);
	status_parse(&s, status, has_charge ? charge : NULL, has_runtime ? runtime : NULL, NULL);
	/* A variable that finds no memory is left out: the monitor needs only s. */
	(void)varlist_set(&vars, "ups.status", status);
	if (has_charge)
		(void)varlist_set(&vars, "battery.charge", charge);
	if (has_runtime)
		(void)varlist_set(&vars, "battery.runtime", runtime);
	(void)varlist_set(&vars, "device.model", "upsagent simulation");
	(void)varlist_set(&vars, "driver.name", "upsagent-sim");
	watch_result(w, &s, &vars, NULL);
	varlist_clear(&vars);
}

static int sim_start(struct source *src)
{
	sim_poll(src);
	return 0;
}

static const char *sim_state(const struct source *src)
{
	return "simulated";
}

static void sim_free(struct source *src)
{
	free(src);
}

static const struct source_ops sim_ops = {
    .start = sim_start,
    .poll = sim_poll,
    .state = sim_state,
    .free = sim_free,
};

int source_sim_new(struct watch *w, struct source **ret)
{
	struct source *src = calloc(1, sizeof(*src));

	if (!src)
		return -ENOMEM;
	*src = (struct source){.ops = &sim_ops, .watch = w};
	/* A local UPS has no server and no primary to give time to set FSD. */
	monitor_set_sole_login(&w->monitor, true);
	*ret = src;
	return 0;
}
