/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A script of readings as a watch's source (driver = "sim", lib/sim.h): each
 * poll reads the step due at the time since the source started. Never fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"
#include "source.h"

struct sim_source {
	struct source source;
	uint64_t started; /* the script's time 0 */
};

static void sim_poll(struct source *src)
{
	const struct sim_source *sim = (const struct sim_source *)src; /* source comes first */
	const struct config_ups *u = src->env->ups;
	const struct sim_step *step = sim_at(u->sim, u->n_sim, source_now(src) - sim->started);
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
	source_identity(&vars, "upsagent-sim", "upsagent", "upsagent simulation", NULL);
	source_result(src, &s, &vars, NULL);
	varlist_clear(&vars);
}

static int sim_start(struct source *src, uint64_t slot)
{
	((struct sim_source *)src)->started = source_now(src);
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
    /* A local UPS has no server and no primary to give time to set FSD. */
    .alone = true,
};

int source_sim_new(const struct source_env *env, struct source **ret)
{
	struct sim_source *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return -ENOMEM;
	sim->source = (struct source){.ops = &sim_ops, .env = env};
	*ret = &sim->source;
	return 0;
}
