/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsagent test-event: the hooks of one event run as the daemon runs them
 * (notify.h), with the UPSNAME a watch of that UPS gives them, and waited
 * for. Nothing logs in, so no password file is opened; nothing powers off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "cli.h"
#include "config.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "test-event.h"
#include "watch.h"

struct test_event {
	sd_event *event;
	struct hooks *hooks;
	int failures;
};

static void on_hook_done(int status, void *userdata)
{
	struct test_event *t = userdata;

	if (status != 0)
		t->failures++;
	if (hooks_running(t->hooks) == 0)
		sd_event_exit(t->event, 0);
}

static const struct config_ups *find_ups(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_ups; i++)
		if (!name || strcmp(c->ups[i].name, name) == 0)
			return &c->ups[i];
	return NULL;
}

/* Runs the hooks of one event as the daemon would, and waits for them. */
static int test_event_run(const struct config *c, struct test_event *t, unsigned event,
			  const struct config_ups *u)
{
	const struct notify n = {.config = c, .hooks = t->hooks};
	_cleanup_free_ char *upsname = NULL;
	struct notify_ups nu = {.status = "unknown"};
	uint64_t longest = 0;
	int r;

	if (u) {
		upsname = watch_upsname(u);
		if (!upsname)
			return -ENOMEM;
		nu.name = u->name;
		nu.upsname = upsname;
	}
	for (size_t i = 0; i < c->n_hooks; i++)
		if (c->hooks[i].events & (1ULL << event) && c->hooks[i].timeout > longest)
			longest = c->hooks[i].timeout;
	notify_event(&n, u ? &nu : NULL, event);
	if (hooks_running(t->hooks) == 0)
		return t->failures ? 1 : 0;
	/* Bounded: the hooks' own timeout plus the kill grace time. */
	r = sd_event_add_time_relative(t->event, NULL, CLOCK_MONOTONIC, longest + 10 * USEC_PER_SEC,
				       USEC_PER_SEC, NULL, INT_TO_PTR(1));
	if (r >= 0)
		r = sd_event_loop(t->event);
	return r < 0 ? r : (r || t->failures ? 1 : 0);
}

static int test_event(const char *config_path, const char *name, const char *ups)
{
	struct config *c = NULL;
	struct test_event t = {0};
	const struct config_ups *u = NULL;
	int event = notify_event_from_string(name), r;

	if (event < 0)
		return log_error_errno(-EINVAL, "unknown event '%s'", name), CLI_EXIT_USAGE;
	/* The hooks run; nothing logs in, so no password file is opened. */
	if (config_load_secrets(config_path, CONFIG_SECRETS_SKIP, &c) < 0)
		return 1;
	if (c->n_ups && !(u = find_ups(c, ups)))
		r = log_error_errno(-ENOENT, "no ups section '%s' in %s", ups, config_path);
	else if ((r = sd_event_default(&t.event)) >= 0 && (r = hooks_new(t.event, &t.hooks)) >= 0) {
		hooks_set_done_callback(t.hooks, on_hook_done, &t);
		r = test_event_run(c, &t, (unsigned)event, u);
	}
	hooks_free(t.hooks);
	sd_event_unref(t.event);
	config_free(c);
	return r < 0 ? 1 : r;
}

int verb_test_event(int argc, char **argv)
{
	struct verb_args v;
	int r = verb_parse(argc, argv,
			   "Usage: upsagent test-event [--config FILE] EVENT [UPS]\n\n"
			   "Run the notify hooks of EVENT (ONBATT, LOWBATT, SHUTDOWN, ...) as\n"
			   "for a real event of UPS (default: the first ups section), and wait\n"
			   "for them. Nothing is powered off.\n",
			   &v);

	if (r)
		return r == 1 ? 0 : r;
	if (argc - v.first < 1 || argc - v.first > 2)
		return cli_usage_error("expected EVENT [UPS]; see --help");
	return test_event(v.config, argv[v.first], v.first + 1 < argc ? argv[v.first + 1] : NULL);
}
