/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driver for test/integration/test-shutdown.py: one call of the shutdown module
 * on a real sd-event loop, its outcome printed as "key value" lines on stdout.
 *
 *   test-shutdown [--timeout=SEC] [--exit-after=SEC] logind
 *   test-shutdown [--timeout=SEC] command ARGV...
 *   test-shutdown dry-run [ARGV...]
 *   test-shutdown flag-write|flag-remove|flag-exists PATH
 *
 * Prints "called T" (CLOCK_MONOTONIC seconds just before the call), "done T"
 * (when done came), "result R" and "message TEXT". Exit status 0 when R is 0,
 * 1 when it is not, 2 on misuse, 3 when done came from inside the call.
 */
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "shutdown.h"

struct outcome {
	sd_event *event;
	bool in_call;
	bool synchronous;
	int r;
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_done(int r, const char *message, void *userdata)
{
	struct outcome *o = userdata;

	printf("done %.6f\nresult %d\nmessage %s\n", now_sec(), r, message);
	o->synchronous = o->in_call;
	o->r = r;
	sd_event_exit(o->event, 0);
}

static int on_exit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int flag_command(const char *op, const char *path)
{
	int r;

	if (strcmp(op, "flag-exists") == 0) {
		printf("exists %s\n", powerdown_flag_exists(path) ? "yes" : "no");
		return 0;
	}
	if (strcmp(op, "flag-write") == 0)
		r = powerdown_flag_write(path);
	else if (strcmp(op, "flag-remove") == 0)
		r = powerdown_flag_remove(path);
	else
		return 2;
	printf("result %d\nmessage %s\n", r, strerror(-r));
	return r < 0;
}

/* Runs one power-off; exit_after (usec, 0 = never) makes the loop exit early. */
static int power_off(enum shutdown_method m, char *const *argv, uint64_t exit_after)
{
	_cleanup_(sd_event_source_unrefp) sd_event_source *exit_timer = NULL;
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	struct outcome o = {0};
	int r;

	if (sd_event_new(&e) < 0)
		return 2;
	o.event = e;
	if (exit_after && sd_event_add_time_relative(e, &exit_timer, CLOCK_MONOTONIC, exit_after, 1,
						     on_exit_timer, NULL) < 0)
		return 2;
	printf("called %.6f\n", now_sec());
	fflush(stdout);
	o.in_call = true;
	r = shutdown_power_off(e, m, argv, on_done, &o);
	o.in_call = false;
	if (r < 0) {
		printf("result %d\nmessage shutdown_power_off: %s\n", r, strerror(-r));
		return 1;
	}
	r = sd_event_loop(e);
	if (r < 0)
		return 2;
	if (o.synchronous)
		return 3;
	return o.r < 0;
}

int main(int argc, char **argv)
{
	uint64_t exit_after = 0;
	int i = 1, m;

	log_set_prefix(false);
	log_set_max_level(LOG_DEBUG);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strncmp(argv[i], "--timeout=", 10) == 0)
			shutdown_set_timeout((uint64_t)(atof(argv[i] + 10) * 1e6));
		else if (strncmp(argv[i], "--exit-after=", 13) == 0)
			exit_after = (uint64_t)(atof(argv[i] + 13) * 1e6);
		else
			return 2;
	}
	if (i >= argc)
		return 2;
	if (strncmp(argv[i], "flag-", 5) == 0)
		return i + 1 < argc ? flag_command(argv[i], argv[i + 1]) : 2;
	m = shutdown_method_from_string(argv[i]);
	if (m < 0)
		return 2;
	return power_off(m, i + 1 < argc ? argv + i + 1 : NULL, exit_after);
}
