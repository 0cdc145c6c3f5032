/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsmon.conf's NOTIFYFLAG and NOTIFYMSG lines, read as upsmon reads them:
 * event names in any case, a bad flag dropping only itself, IGNORE
 * silencing the event whatever else is written, a custom text carried over
 * and said only when it differs from upsmon's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "upsmonimport-internal.h"

#define COMMENT(m, l, ...) um_comment(m, (m)->in->conf, l, __VA_ARGS__)

const char *const um_events[UM_EVENTS] = {
    "ONLINE",		"ONBATT",
    "LOWBATT",		"FSD",
    "COMMOK",		"COMMBAD",
    "SHUTDOWN",		"REPLBATT",
    "NOCOMM",		"CAL",
    "NOTCAL",		"OFF",
    "NOTOFF",		"BYPASS",
    "NOTBYPASS",	"ECO",
    "NOTECO",		"ALARM",
    "NOTALARM",		"OVER",
    "NOTOVER",		"TRIM",
    "NOTTRIM",		"BOOST",
    "NOTBOOST",		"OTHER",
    "NOTOTHER",		"SHUTDOWN_HOSTSYNC",
    "NOPARENT",		"SUSPEND_STARTING",
    "SUSPEND_FINISHED", "SUSPEND_TIMEJUMP_UNEXPECTED",
};

/* upsmon's own texts (clients/upsmon.h, NUT 2.8.x), as NOTIFYMSG lines copy them. */
static const char *const stock[UM_EVENTS] = {
    "UPS %s on line power",
    "UPS %s on battery",
    "UPS %s battery is low",
    "UPS %s: forced shutdown in progress",
    "Communications with UPS %s established",
    "Communications with UPS %s lost",
    "Auto logout and shutdown proceeding",
    "UPS %s battery needs to be replaced",
    "UPS %s is unavailable",
    "UPS %s: calibration in progress",
    "UPS %s: calibration finished",
    "UPS %s: administratively OFF or asleep",
    "UPS %s: no longer administratively OFF or asleep",
    "UPS %s: on bypass (powered, not protecting)",
    "UPS %s: no longer on bypass",
    "UPS %s: in ECO mode (as defined by vendor)",
    "UPS %s: no longer in ECO mode",
    "UPS %s: one or more active alarms: [%s]",
    "UPS %s is no longer in an alarm state (no active alarms)",
    "UPS %s: overloaded",
    "UPS %s: no longer overloaded",
    "UPS %s: trimming incoming voltage",
    "UPS %s: no longer trimming incoming voltage",
    "UPS %s: boosting incoming voltage",
    "UPS %s: no longer boosting incoming voltage",
    "UPS %s: has at least one unclassified status token: [%s]",
    "UPS %s has no unclassified status tokens anymore",
    "Shutdown initiated; primary system is waiting for secondaries to log out or time out",
    "upsmon parent process died - shutdown impossible",
    "OS is entering sleep/suspend/hibernate mode",
    ("OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to "
     "avoid an unfortunate shutdown"),
    "Unexpected clock change by %s, treating as wake up from sleep",
};

int um_event_from_string(const char *s)
{
	for (int i = 0; i < UM_EVENTS; i++)
		if (strcasecmp(s, um_events[i]) == 0)
			return i;
	return -1;
}

/* ---- NOTIFYFLAG ---------------------------------------------------------- */

/* One flag word (case matters to upsmon), or 0 when upsmon does not know it. */
static unsigned flag_from_string(const char *t)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
	    {"SYSLOG", UM_SYSLOG}, {"WALL", UM_WALL}, {"EXEC", UM_EXEC}, {"IGNORE", UM_IGNORE}};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcmp(t, names[i].name) == 0)
			return names[i].bit;
	return 0;
}

int um_on_notifyflag(struct um *m, const struct upsmonconf_line *l)
{
	_cleanup_free_ char *flags = NULL;
	unsigned f = 0;
	int e;

	if (l->n_words != 3)
		return COMMENT(m, l,
			       "not carried over: %s; expected NOTIFYFLAG EVENT FLAG[+FLAG...]",
			       l->n_words < 3 ? "too few words" : "too many words");
	if ((e = um_event_from_string(l->words[1])) < 0)
		return COMMENT(m, l, "not carried over: unknown event '%s'", l->words[1]);
	if (!(flags = strdup(l->words[2])))
		return m->error = -ENOMEM;
	/* upsmon drops a flag it does not know, with a message, and keeps the others. */
	for (char *save = NULL, *t = strtok_r(flags, "+", &save); t;
	     t = strtok_r(NULL, "+", &save)) {
		unsigned bit = flag_from_string(t);

		if (!bit)
			COMMENT(m, l,
				"unknown flag '%s' dropped, as upsmon drops it (SYSLOG, WALL, EXEC "
				"or IGNORE); the others are kept",
				t);
		f |= bit;
	}
	/* IGNORE: upsmon returns before logging, walling or running anything. */
	m->flags[e] = f & UM_IGNORE ? UM_IGNORE : f;
	if (f & UM_IGNORE) {
		m->ignore_line = m->ignore_line ? m->ignore_line : l->line;
		return m->error;
	}
	if (e >= UM_EVENTS_MAPPED)
		COMMENT(m, l, "not carried over: upsagent has no %s event", um_events[e]);
	else if (!(f & UM_SYSLOG))
		COMMENT(m, l, "meaning changes: upsagent always logs %s to the journal",
			um_events[e]);
	return m->error;
}

/* ---- NOTIFYMSG ----------------------------------------------------------- */

/* What lib/config takes in messages: "%s" twice at most, "%%", 255 bytes. */
static const char *message_problem(const char *t)
{
	unsigned n_s = 0;

	if (!*t || strlen(t) > 255)
		return "upsagent takes 1 to 255 characters";
	for (const char *p = strchr(t, '%'); p; p = strchr(p + 2, '%')) {
		if (p[1] == 's')
			n_s++;
		else if (p[1] != '%')
			return "upsagent takes only \"%s\" and \"%%\" after a '%'";
	}
	return n_s > 2 ? "upsagent takes \"%s\" twice at most" : NULL;
}

int um_on_notifymsg(struct um *m, const struct upsmonconf_line *l)
{
	const char *why;
	int e;

	if (l->n_words != 3)
		return COMMENT(m, l, "not carried over: %s; expected NOTIFYMSG EVENT \"TEXT\"",
			       l->n_words < 3 ? "too few words" : "too many words");
	if ((e = um_event_from_string(l->words[1])) < 0)
		return COMMENT(m, l, "not carried over: unknown event '%s'", l->words[1]);
	free(m->messages[e]);
	m->messages[e] = NULL;
	/* upsmon's own text: nothing to carry, nothing to say. */
	if (strcmp(l->words[2], stock[e]) == 0)
		return 0;
	if (e >= UM_EVENTS_MAPPED)
		return COMMENT(m, l, "not carried over: upsagent has no %s event", um_events[e]);
	if ((why = message_problem(l->words[2])))
		return COMMENT(m, l, "not carried over: %s", why);
	if (!(m->messages[e] = strdup(l->words[2])))
		return m->error = -ENOMEM;
	m->message_lines[e] = l->line;
	return 0;
}

/* ---- across lines ---------------------------------------------------------- */

bool um_event_reaches(const struct um *m, unsigned e, unsigned bit)
{
	uint64_t only = bit == UM_EXEC && m->notify_upssched ? m->sched_events : UINT64_MAX;

	if (e >= UM_EVENTS_MAPPED || !(m->flags[e] & bit) || !(only & (UINT64_C(1) << e)))
		return false;
	return bit == UM_WALL || m->notify_argv;
}

/* One line for every IGNORE: the events it names, once. */
static void ignore_summary(struct um *m)
{
	char list[512] = "";
	size_t len = 0;

	for (unsigned e = 0; e < UM_EVENTS_MAPPED && len < sizeof(list); e++)
		if (m->flags[e] & UM_IGNORE)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						len ? ", " : "", um_events[e]);
	if (len)
		COMMENT(
		    m, upsmonconf_find_line(m->in->conf, m->ignore_line),
		    "meaning changes: upsagent always logs %s to the journal (IGNORE: upsmon did "
		    "nothing for them); they are neither walled nor run",
		    list);
}

void um_finish_notify(struct um *m)
{
	if (m->ignore_line)
		ignore_summary(m);
	for (unsigned e = 0; e < UM_EVENTS_MAPPED; e++) {
		const struct upsmonconf_line *l =
		    upsmonconf_find_line(m->in->conf, m->message_lines[e]);

		if (!m->messages[e])
			continue;
		if (um_event_reaches(m, e, UM_WALL) || um_event_reaches(m, e, UM_EXEC))
			COMMENT(m, l,
				"carried over as messages = {\"%s=...\"} in the notify sections "
				"that %s "
				"it; the journal keeps upsagent's own text",
				um_events[e],
				um_event_reaches(m, e, UM_WALL) && um_event_reaches(m, e, UM_EXEC)
				    ? "wall and run"
				: um_event_reaches(m, e, UM_WALL) ? "wall"
								  : "run");
		else
			COMMENT(
			    m, l,
			    "not carried over: %s is neither walled nor run (upsmon only logged "
			    "this text); the journal keeps upsagent's own text",
			    um_events[e]);
	}
}
