/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events go to the log and to the notify hooks, with the environment upsmon
 * gives its NOTIFYCMD (NOTIFYTYPE, UPSNAME) so existing scripts keep working,
 * plus UPSAGENT_* extras. The messages follow upsmon's default texts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "eventid.h"
#include "log.h"
#include "wall.h"

/* What follows "UPS <name> " in each message, and whether it is good news
 * (logged as information; the rest are warnings an administrator acts on). */
static const struct {
	const char *phrase;
	bool good;
} events[_MONITOR_EVENT_MAX] = {
    [MONITOR_EVENT_ONLINE] = {"on line power", true},
    [MONITOR_EVENT_ONBATT] = {"on battery", false},
    [MONITOR_EVENT_LOWBATT] = {"battery is low", false},
    [MONITOR_EVENT_FSD] = {"forced shutdown in progress", false},
    [MONITOR_EVENT_COMMOK] = {"communications established", true},
    [MONITOR_EVENT_COMMBAD] = {"communications lost", false},
    [MONITOR_EVENT_NOCOMM] = {"is unavailable", false},
    [MONITOR_EVENT_REPLBATT] = {"battery needs to be replaced", false},
    [MONITOR_EVENT_CAL] = {"calibration in progress", false},
    [MONITOR_EVENT_NOTCAL] = {"calibration finished", true},
    [MONITOR_EVENT_OFF] = {"output is off", false},
    [MONITOR_EVENT_NOTOFF] = {"output is on again", true},
    [MONITOR_EVENT_BYPASS] = {"on bypass: the load is not protected", false},
    [MONITOR_EVENT_NOTBYPASS] = {"no longer on bypass", true},
    [MONITOR_EVENT_OVER] = {"is overloaded", false},
    [MONITOR_EVENT_NOTOVER] = {"is no longer overloaded", true},
    [MONITOR_EVENT_TRIM] = {"is trimming a high input voltage", true},
    [MONITOR_EVENT_NOTTRIM] = {"no longer trimming", true},
    [MONITOR_EVENT_BOOST] = {"is boosting a low input voltage", true},
    [MONITOR_EVENT_NOTBOOST] = {"no longer boosting", true},
    [MONITOR_EVENT_ECO] = {"in eco mode", true},
    [MONITOR_EVENT_NOTECO] = {"left eco mode", true},
    [MONITOR_EVENT_ALARM] = {"raised an alarm", false},
    [MONITOR_EVENT_NOTALARM] = {"alarm cleared", true},
    [MONITOR_EVENT_OTHER] = {"reports an unknown status", false},
    [MONITOR_EVENT_NOTOTHER] = {"no longer reports an unknown status", true},
};

const char *notify_event_name(unsigned event)
{
	const char *name = config_event_to_string(event);

	return name ? name : "UNKNOWN";
}

int notify_event_from_string(const char *name)
{
	return config_event_from_string(name);
}

static void notify_format(char *buf, size_t len, const struct watch *w, unsigned event)
{
	const char *phrase = event < _MONITOR_EVENT_MAX ? events[event].phrase : NULL;

	if (event == CONFIG_EVENT_SHUTDOWN)
		snprintf(buf, len, "Auto logout and shutdown proceeding");
	else if (event == CONFIG_EVENT_SHUTDOWN_HOSTSYNC)
		snprintf(buf, len, "Waiting for secondaries to log out before shutting down");
	else if (w && phrase)
		snprintf(buf, len, "UPS %s %s", w->upsname, phrase);
	else
		snprintf(buf, len, "UPS %s: %s", w ? w->upsname : "-", notify_event_name(event));
}

static void notify_hooks(struct agent *a, const struct watch *w, unsigned event,
			 const char *message)
{
	char ev[64], ups[160], status[96];
	char *extra[] = {ev, ups, status, a->dry_run ? "UPSAGENT_DRY_RUN=1" : NULL, NULL};
	struct hook_env env = {
	    .notifytype = notify_event_name(event),
	    .upsname = w ? w->upsname : "",
	    .message = message,
	    .extra = extra,
	};

	snprintf(ev, sizeof(ev), "UPSAGENT_EVENT=%s", env.notifytype);
	snprintf(ups, sizeof(ups), "UPSAGENT_UPS=%s", w ? w->ups->name : "");
	snprintf(status, sizeof(status), "UPSAGENT_STATUS=%s", w ? w->last_status : "");
	for (size_t i = 0; i < a->config->n_hooks; i++) {
		const struct config_hook *h = &a->config->hooks[i];

		if (!h->argv || !config_hook_wants(h, event))
			continue;
		(void)hooks_run(a->hooks, h->argv, &env, h->timeout);
	}
}

/* upsmon's WALL: every logged-in terminal (lib/wall.h says what the unit needs). */
static void notify_wall(struct agent *a, unsigned event, const char *message)
{
	char text[300];
	int r;

	if (event >= _CONFIG_EVENT_MAX || !(a->config->wall_events & CONFIG_EVENT_BIT(event)))
		return;
	snprintf(text, sizeof(text), "%s%s", a->dry_run ? "(dry run) " : "", message);
	r = wall_send(text);
	if (r < 0)
		log_warning("wall: cannot list the logged-in terminals: %s, ignoring", strerror(-r));
	else
		log_debug("wall: %s written to %d terminal(s)", notify_event_name(event), r);
}

void notify_event(struct agent *a, struct watch *w, unsigned event)
{
	char message[256];

	struct log_event_fields f = {
	    .message_id = event_message_id(event),
	    .ups = w ? w->ups->name : NULL,
	    .event = notify_event_name(event),
	    .status = w ? w->last_status : NULL,
	};

	notify_format(message, sizeof(message), w, event);
	log_event(event < _MONITOR_EVENT_MAX && events[event].good ? LOG_INFO : LOG_WARNING, &f,
		  "%s: %s [%s]", w ? w->ups->name : "host", message, notify_event_name(event));
	notify_hooks(a, w, event, message);
	notify_wall(a, event, message);
}

/* ---- upsagent test-event ------------------------------------------------ */

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
static int test_event_run(struct agent *a, struct test_event *t, unsigned event,
			  const struct config_ups *u)
{
	struct watch *w = NULL;
	uint64_t longest = 0;
	int r;

	if (u && (r = watch_new(a, 0, u, &w)) < 0)
		return r;
	for (size_t i = 0; i < a->config->n_hooks; i++)
		if (a->config->hooks[i].events & (1ULL << event) &&
		    a->config->hooks[i].timeout > longest)
			longest = a->config->hooks[i].timeout;
	notify_event(a, w, event);
	watch_free(w);
	if (hooks_running(t->hooks) == 0)
		return t->failures ? 1 : 0;
	/* Bounded: the hooks' own timeout plus the kill grace time. */
	r = sd_event_add_time_relative(t->event, NULL, CLOCK_MONOTONIC, longest + 10 * USEC_PER_SEC,
				       USEC_PER_SEC, NULL, INT_TO_PTR(1));
	if (r >= 0)
		r = sd_event_loop(t->event);
	return r < 0 ? r : (r || t->failures ? 1 : 0);
}

int notify_test_event(const char *config_path, const char *name, const char *ups)
{
	struct agent a = {.control_fd = -1};
	struct test_event t = {0};
	const struct config_ups *u = NULL;
	int event = notify_event_from_string(name), r;

	if (event < 0)
		return log_error_errno(-EINVAL, "unknown event '%s'", name), 2;
	/* The hooks run; nothing logs in, so no password file is opened. */
	if (config_load_secrets(config_path, CONFIG_SECRETS_SKIP, &a.config) < 0)
		return 1;
	if (a.config->n_ups && !(u = find_ups(a.config, ups)))
		r = log_error_errno(-ENOENT, "no ups section '%s' in %s", ups, config_path);
	else if ((r = sd_event_default(&t.event)) >= 0 && (r = hooks_new(t.event, &t.hooks)) >= 0) {
		a.event = t.event;
		a.hooks = t.hooks;
		hooks_set_done_callback(t.hooks, on_hook_done, &t);
		r = test_event_run(&a, &t, (unsigned)event, u);
	}
	hooks_free(t.hooks);
	sd_event_unref(t.event);
	config_free(a.config);
	return r < 0 ? 1 : r;
}
