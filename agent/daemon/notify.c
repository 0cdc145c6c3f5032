/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events go to the log and to the notify hooks, with the environment upsmon
 * gives its NOTIFYCMD (NOTIFYTYPE, UPSNAME) so existing scripts keep working,
 * plus UPSAGENT_* extras. The messages follow upsmon's default texts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eventid.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
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

static void notify_format(char *buf, size_t len, const struct notify_ups *u, unsigned event)
{
	const char *phrase = event < _MONITOR_EVENT_MAX ? events[event].phrase : NULL;

	if (event == CONFIG_EVENT_SHUTDOWN)
		snprintf(buf, len, "Auto logout and shutdown proceeding");
	else if (event == CONFIG_EVENT_SHUTDOWN_HOSTSYNC)
		snprintf(buf, len, "Waiting for secondaries to log out before shutting down");
	else if (u && phrase)
		snprintf(buf, len, "UPS %s %s", u->upsname, phrase);
	else
		snprintf(buf, len, "UPS %s: %s", u ? u->upsname : "-", notify_event_name(event));
}

/*
 * A section's own text (messages =, upsmon's NOTIFYMSG): the first %s is
 * UPSNAME, a second the details (none known here: empty), %% a percent
 * sign. The config refused every other %.
 */
static void notify_custom(char *buf, size_t len, const char *text, const struct notify_ups *u)
{
	const char *args[2] = {u ? u->upsname : "", ""};
	size_t used = 0, next = 0;

	for (const char *p = text; *p && used + 1 < len; p++) {
		const char *put = NULL;

		if (p[0] == '%' && p[1] == 's') {
			put = next < 2 ? args[next++] : "";
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			put = "%";
			p++;
		}
		if (put)
			used += (size_t)snprintf(buf + used, len - used, "%s", put);
		else
			buf[used++] = *p;
	}
	buf[used < len ? used : len - 1] = '\0';
}

/* The text h's command and wall get: its own for event, else message. */
static const char *notify_text(char *buf, size_t len, const struct config_hook *h, unsigned event,
			       const struct notify_ups *u, const char *message)
{
	const char *own = config_hook_message(h, event);

	if (!own)
		return message;
	notify_custom(buf, len, own, u);
	return buf;
}

static void notify_hooks(const struct notify *n, const struct notify_ups *u, unsigned event,
			 const char *message)
{
	char text[256];

	char ev[64], ups[160], status[96];
	char *extra[] = {ev, ups, status, n->dry_run ? "UPSAGENT_DRY_RUN=1" : NULL, NULL};
	struct hook_env env = {
	    .notifytype = notify_event_name(event),
	    .upsname = u ? u->upsname : "",
	    .message = message,
	    .extra = extra,
	};

	snprintf(ev, sizeof(ev), "UPSAGENT_EVENT=%s", env.notifytype);
	snprintf(ups, sizeof(ups), "UPSAGENT_UPS=%s", u ? u->name : "");
	snprintf(status, sizeof(status), "UPSAGENT_STATUS=%s", u ? u->status : "");
	for (size_t i = 0; i < n->config->n_hooks; i++) {
		const struct config_hook *h = &n->config->hooks[i];

		if (!h->argv || !config_hook_wants(h, event))
			continue;
		env.message = notify_text(text, sizeof(text), h, event, u, message);
		(void)hooks_run(n->hooks, h->argv, &env, h->timeout);
	}
}

/* upsmon's WALL: every logged-in terminal (lib/wall.h says what the unit needs). */
static void notify_wall(const struct notify *n, const struct notify_ups *u, unsigned event,
			const char *message)
{
	char text[300], own[256];
	int r;

	if (event >= _CONFIG_EVENT_MAX || !(n->config->wall_events & CONFIG_EVENT_BIT(event)))
		return;
	/* A wall section's own text for the event, as upsmon walls NOTIFYMSG. */
	for (size_t i = 0; i < n->config->n_hooks; i++) {
		const struct config_hook *h = &n->config->hooks[i];

		if (h->wall && config_hook_wants(h, event) && config_hook_message(h, event)) {
			message = notify_text(own, sizeof(own), h, event, u, message);
			break;
		}
	}
	snprintf(text, sizeof(text), "%s%s", n->dry_run ? "(dry run) " : "", message);
	r = wall_send(text);
	if (r < 0)
		log_warning("wall: cannot list the logged-in terminals: %s, ignoring",
			    strerror(-r));
	else
		log_debug("wall: %s written to %d terminal(s)", notify_event_name(event), r);
}

void notify_event(const struct notify *n, const struct notify_ups *u, unsigned event)
{
	char message[256];

	struct log_event_fields f = {
	    .message_id = event_message_id(event),
	    .ups = u ? u->name : NULL,
	    .event = notify_event_name(event),
	    .status = u ? u->status : NULL,
	};

	notify_format(message, sizeof(message), u, event);
	log_event(event < _MONITOR_EVENT_MAX && events[event].good ? LOG_INFO : LOG_WARNING, &f,
		  "%s: %s [%s]", u ? u->name : "host", message, notify_event_name(event));
	notify_hooks(n, u, event, message);
	notify_wall(n, u, event, message);
}
