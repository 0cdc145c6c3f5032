/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "number.h"

#define SIM_SECONDS_MAX 1e9 /* 31 years: far past any demo, far from overflow */

static const char *const default_script[] = {
    "0 OL CHRG charge=100 runtime=1800",
    "4 OB DISCHRG charge=80 runtime=1200",
    "9 OB DISCHRG charge=40 runtime=600",
    "14 OB LB DISCHRG charge=9 runtime=90",
};

const char *const *sim_default_script(size_t *n)
{
	*n = ELEMENTSOF(default_script);
	return default_script;
}

static bool status_token_valid(const char *t)
{
	if (*t < 'A' || *t > 'Z')
		return false;
	return t[strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] == '\0';
}

static int step_add_token(struct sim_step *s, const char *t, char *err, size_t errlen)
{
	size_t used = strlen(s->status), len = strlen(t);

	if (!status_token_valid(t)) {
		snprintf(err, errlen,
			 "'%.32s' is not a status token (upper case, like OL, OB, LB, DISCHRG)", t);
		return -EINVAL;
	}
	if (used + (used > 0) + len >= sizeof(s->status)) {
		snprintf(err, errlen, "the status is longer than %d characters",
			 SIM_STATUS_MAX - 1);
		return -EINVAL;
	}
	if (used > 0)
		s->status[used++] = ' ';
	memcpy(s->status + used, t, len + 1);
	return 0;
}

static int step_add_value(struct sim_step *s, char *t, char *err, size_t errlen)
{
	char *eq = strchr(t, '=');
	double v, max;
	double *slot;

	*eq = '\0';
	if (strcmp(t, "charge") == 0)
		slot = &s->charge, max = 100;
	else if (strcmp(t, "runtime") == 0)
		slot = &s->runtime, max = SIM_SECONDS_MAX;
	else {
		snprintf(err, errlen, "unknown value '%.32s' (charge= or runtime=)", t);
		return -EINVAL;
	}
	if (*slot >= 0) {
		snprintf(err, errlen, "%s is given twice", t);
		return -EINVAL;
	}
	if (!number_parse(eq + 1, &v) || v > max) {
		snprintf(err, errlen, "%s=%.32s: expected %s", t, eq + 1,
			 slot == &s->charge ? "a percentage from 0 to 100" : "a number of seconds");
		return -EINVAL;
	}
	*slot = v;
	return 0;
}

static int step_time(struct sim_step *s, const char *t, char *err, size_t errlen)
{
	double v;

	if (!t || !number_parse(t, &v) || v > SIM_SECONDS_MAX) {
		snprintf(err, errlen, "expected the time in seconds first, as in \"3 OB DISCHRG\"");
		return -EINVAL;
	}
	s->at = (uint64_t)(v * (double)USEC_PER_SEC + 0.5);
	return 0;
}

/* One line into *s; line is a scratch copy that gets cut into tokens. */
static int step_parse(char *line, struct sim_step *s, char *err, size_t errlen)
{
	char *save = NULL;
	char *t = strtok_r(line, " \t", &save);
	int r;

	*s = (struct sim_step){.charge = -1, .runtime = -1};
	r = step_time(s, t, err, errlen);
	while (r >= 0 && (t = strtok_r(NULL, " \t", &save)))
		r = strchr(t, '=') ? step_add_value(s, t, err, errlen)
				   : step_add_token(s, t, err, errlen);
	if (r >= 0 && s->status[0] == '\0') {
		snprintf(err, errlen, "no status tokens (at least one, like OL or OB)");
		r = -EINVAL;
	}
	return r;
}

static int step_order(const struct sim_step *steps, size_t i, char *err, size_t errlen)
{
	if (i == 0 && steps[0].at != 0) {
		snprintf(err, errlen, "the first entry must be at time 0");
		return -EINVAL;
	}
	if (i > 0 && steps[i].at <= steps[i - 1].at) {
		snprintf(err, errlen, "the times must increase from one entry to the next");
		return -EINVAL;
	}
	return 0;
}

static int entry_parse(const char *line, struct sim_step *steps, size_t i, char *err, size_t errlen)
{
	char msg[160];
	char *copy = strdup(line);
	int r;

	if (!copy)
		return -ENOMEM;
	r = step_parse(copy, &steps[i], msg, sizeof(msg));
	free(copy);
	if (r >= 0)
		r = step_order(steps, i, msg, sizeof(msg));
	if (r < 0)
		snprintf(err, errlen, "entry %zu (\"%.40s%s\"): %s", i + 1, line,
			 strlen(line) > 40 ? "..." : "", msg);
	return r;
}

int sim_parse(char *const *lines, size_t n, struct sim_step **ret, size_t *n_ret, char *err,
	      size_t errlen)
{
	struct sim_step *steps;

	if (n == 0 || n > SIM_STEPS_MAX) {
		if (n == 0)
			snprintf(err, errlen, "the script is empty");
		else
			snprintf(err, errlen, "the script has more than %d entries", SIM_STEPS_MAX);
		*n_ret = n;
		return -EINVAL;
	}
	steps = calloc(n, sizeof(*steps));
	if (!steps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = entry_parse(lines[i], steps, i, err, errlen);

		if (r < 0) {
			free(steps);
			*n_ret = i;
			return r;
		}
	}
	*ret = steps;
	*n_ret = n;
	return 0;
}

const struct sim_step *sim_at(const struct sim_step *steps, size_t n, uint64_t t)
{
	const struct sim_step *found = NULL;

	/* Scripts are short and the daemon asks once per poll: a scan will do. */
	for (size_t i = 0; i < n && steps[i].at <= t; i++)
		found = &steps[i];
	return found;
}

uint64_t sim_next(const struct sim_step *steps, size_t n, uint64_t t)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].at > t)
			return steps[i].at;
	return UINT64_MAX;
}
