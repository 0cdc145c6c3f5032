/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated UPS: a script of timed readings that stands in for a UPS
 * server, for demos and for trying a configuration without pulling a plug.
 * Pure: strings in, steps out; time is a parameter.
 *
 * A script line reads "SECONDS STATUS-TOKENS... [charge=N] [runtime=N]":
 *   "0 OL charge=100"
 *   "3.5 OB DISCHRG charge=60 runtime=900"
 * SECONDS counts from the start of the simulation (fractions allowed); the
 * first line is at 0 and the times increase strictly. Status tokens are the
 * NUT ups.status words in upper case (unknown ones are data, as from a real
 * server). charge (percent, 0 to 100) and runtime (seconds) are optional:
 * a step without them reports no battery.charge or battery.runtime.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SIM_STATUS_MAX 64   /* bytes of struct sim_step.status, NUL included */
#define SIM_STEPS_MAX  1000 /* longer scripts are refused */

struct sim_step {
	uint64_t at;		     /* usec since start */
	char status[SIM_STATUS_MAX]; /* the tokens, separated by single spaces */
	double charge, runtime;	     /* < 0 = not reported */
};

/*
 * Parses n script lines into a new array that the caller frees with free().
 * On failure returns -EINVAL, writes a sentence to err that names the entry
 * ("entry 2 (\"3 OB X\"): ..."), sets *n_ret to the index of the entry at
 * fault (n for an empty or too long script), and leaves *ret untouched.
 */
int sim_parse(char *const *lines, size_t n, struct sim_step **ret, size_t *n_ret, char *err,
	      size_t errlen);

/* The step in force at elapsed time t (the last one stays in force); NULL when n is 0. */
const struct sim_step *sim_at(const struct sim_step *steps, size_t n, uint64_t t);

/* When the next step after t starts, or UINT64_MAX when none does. */
uint64_t sim_next(const struct sim_step *steps, size_t n, uint64_t t);

/*
 * The built-in demo script, for driver = "sim" without a script: mains,
 * then on battery at 4 s, and low battery at 14 s. Static storage.
 */
const char *const *sim_default_script(size_t *n);
