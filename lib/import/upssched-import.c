/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upssched.conf, when upsmon's NOTIFYCMD runs upssched. The common use is
 * "shut down after N minutes on battery": a timer started on ONBATT,
 * cancelled on ONLINE, whose CMDSCRIPT branch forces a shutdown. That is
 * upsagent's on-battery-max, but only when that branch does nothing but
 * power this host off (cmdscript.c): anything conditional, remote, commented
 * out or merely logged keeps upssched, which then runs the script as
 * before. Every other AT line keeps upssched as a notify hook for its
 * event, with a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdscript.h"
#include "macro.h"
#include "upsmonimport-internal.h"

#define SCHED(m, l, ...) um_comment(m, (m)->in->sched, l, __VA_ARGS__)

static bool is_at(const struct upsmonconf_line *l, const char *event, const char *cmd)
{
	return l->n_words >= 4 && strcmp(l->words[0], "AT") == 0 &&
	       strcmp(l->words[1], event) == 0 && strcmp(l->words[3], cmd) == 0;
}

static const struct upsmonconf_line *find_cancel(const struct upsmonconf *s, const char *ups,
						 const char *timer)
{
	for (size_t i = 0; i < s->n_lines; i++) {
		const struct upsmonconf_line *l = &s->lines[i];

		if (is_at(l, "ONLINE", "CANCEL-TIMER") && l->n_words >= 5 &&
		    strcmp(l->words[4], timer) == 0 &&
		    (strcmp(l->words[2], ups) == 0 || strcmp(l->words[2], "*") == 0))
			return l;
	}
	return NULL;
}

/* on-battery-max for the ups sections the AT line names; how many. */
static size_t apply(struct um *m, const char *ups, unsigned secs)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_mon; i++)
		if (strcmp(ups, "*") == 0 || strcmp(ups, m->mon[i].system) == 0) {
			m->mon[i].on_battery_max = secs;
			n++;
		}
	return n;
}

/* Why one AT line stays with upssched: a fixed reason, or the script's verdict. */
struct sched_why {
	const char *text;
	struct cmdscript_verdict script; /* .why set: the CMDSCRIPT is the reason */
};

static bool has_exec(const struct um *m, const char *event)
{
	int e = um_event_from_string(event);

	return e >= 0 && (m->flags[e] & UM_EXEC);
}

static bool refuse(struct sched_why *why, const char *text)
{
	why->text = text;
	return false;
}

/* "CMDSCRIPT PATH:LINE", or without the path when upssched.conf has no CMDSCRIPT line. */
static const char *script_where(const struct um *m, unsigned line, char *buf, size_t len)
{
	if (m->res->script_path)
		snprintf(buf, len, "CMDSCRIPT %s:%u", m->res->script_path, line);
	else
		snprintf(buf, len, "CMDSCRIPT, line %u", line);
	return buf;
}

/* An ONBATT timer turned into on-battery-max: true, or why not in *why. */
static bool convert_timer(struct um *m, const struct upsmonconf_line *l, bool *used,
			  struct sched_why *why)
{
	const struct upsmonconf *s = m->in->sched;
	const struct upsmonconf_line *cancel;
	char *end, where[300];
	unsigned long secs;

	if (!is_at(l, "ONBATT", "START-TIMER") || l->n_words != 6)
		return refuse(why, "only a timer started on ONBATT becomes on-battery-max");
	secs = strtoul(l->words[5], &end, 10);
	if (*end || secs == 0 || secs > 86400 || !isdigit((unsigned char)l->words[5][0]))
		return refuse(why, "the timer's seconds are not a number from 1 to 86400");
	if (!has_exec(m, "ONBATT"))
		return refuse(why, "upsmon never ran upssched for ONBATT (no EXEC)");
	if (!(cancel = find_cancel(s, l->words[2], l->words[4])))
		return refuse(why, "no AT ONLINE line cancels the timer");
	/* Without EXEC upsmon never told upssched of ONLINE: the timer ran on. */
	if (!has_exec(m, "ONLINE"))
		return refuse(why, "upsmon never ran upssched for ONLINE (no EXEC), so the timer "
				   "was never cancelled");
	if (!m->in->sched_script)
		return refuse(why, "its CMDSCRIPT could not be read");
	cmdscript_judge(m->in->sched_script, l->words[4], &why->script);
	if (!why->script.shuts_down)
		return false;
	if (apply(m, l->words[2], (unsigned)secs) == 0)
		return refuse(why, "no MONITOR line watches that UPS");
	used[cancel - s->lines] = true;
	SCHED(m, l,
	      "carried over as on-battery-max = %lu in %s: the timer's branch (%s) only powers "
	      "this host off, and ONLINE cancels it (line %u); upssched is no longer needed for it",
	      secs, strcmp(l->words[2], "*") == 0 ? "every ups section" : l->words[2],
	      script_where(m, why->script.first, where, sizeof(where)), cancel->line);
	return true;
}

/* The reason a timer stays, as a sentence; NULL when there is none. */
static char *why_text(const struct um *m, const struct sched_why *why)
{
	char *t = NULL, where[300];

	if (why->script.why) {
		if (asprintf(&t,
			     "the timer's branch (%s) %s: when in doubt, the old mechanism is kept",
			     script_where(m, why->script.line, where, sizeof(where)),
			     why->script.why) < 0)
			return NULL;
		return t;
	}
	return why->text ? strdup(why->text) : NULL;
}

static void keep(struct um *m, const struct upsmonconf_line *l, const struct sched_why *why)
{
	int e = l->n_words >= 2 ? um_event_from_string(l->words[1]) : -1;
	_cleanup_free_ char *reason = why ? why_text(m, why) : NULL;

	/* upsmon never ran upssched for an event without EXEC: the line never fired. */
	if (e >= 0 && !(m->flags[e] & UM_EXEC)) {
		SCHED(m, l,
		      "not carried over: upsmon never ran upssched for %s (its NOTIFYFLAG has "
		      "no EXEC), so this line never fired",
		      um_events[e]);
		return;
	}
	if (e >= 0)
		m->sched_events |= UINT64_C(1) << e;
	SCHED(m, l,
	      "kept: upssched still runs as a notify hook for %s (command = {\"%s\"}), as user "
	      "upsagent, which must be able to write its PIPEFN and LOCKFN%s%s",
	      e >= 0 ? um_events[e] : "this line", m->notify_argv[0], reason ? "; " : "",
	      reason ? reason : "");
}

/* Each "upsmon -c fsd" the kept script still runs: it fails once upsmon is stopped. */
static void script_fsd_notes(struct um *m, const unsigned *converted, size_t n_converted)
{
	unsigned lines[64];
	size_t n = cmdscript_fsd_lines(m->in->sched_script, lines, ELEMENTSOF(lines));

	for (size_t i = 0; i < n && i < ELEMENTSOF(lines); i++) {
		bool gone = false;

		for (size_t j = 0; j + 1 < n_converted; j += 2)
			gone |= lines[i] >= converted[j] && lines[i] <= converted[j + 1];
		if (!gone)
			um_comment_file(
			    m, m->res->script_path, lines[i],
			    "upsmon -c fsd fails once nut-monitor is stopped (it signals the "
			    "running upsmon): write \"upsagent fsd\" instead, which has the "
			    "running upsagent start its forced shutdown");
	}
}

static int script_path_set(struct um *m)
{
	const struct upsmonconf_line *cmd = upsmonconf_find(m->in->sched, "CMDSCRIPT");

	if (!cmd || cmd->n_words != 2)
		return 0;
	return (m->res->script_path = strdup(cmd->words[1])) ? 0 : (m->error = -ENOMEM);
}

int um_sched(struct um *m)
{
	const struct upsmonconf *s = m->in->sched;
	_cleanup_free_ bool *used = NULL;
	_cleanup_free_ struct sched_why *why = NULL;
	_cleanup_free_ unsigned *converted = NULL;
	size_t n_converted = 0;

	if (!s) {
		m->sched_events = UINT64_MAX;
		return um_comment(
		    m, m->in->conf, upsmonconf_find(m->in->conf, "NOTIFYCMD"),
		    "kept as a notify hook: %s cannot be read (%s), so its timers were "
		    "not converted",
		    m->in->sched_path ? m->in->sched_path : "upssched.conf",
		    m->in->sched_error ? m->in->sched_error : "not given");
	}
	if (!(used = calloc(s->n_lines + 1, sizeof(*used))) ||
	    !(why = calloc(s->n_lines + 1, sizeof(*why))) ||
	    !(converted = calloc(2 * s->n_lines + 2, sizeof(*converted))) || script_path_set(m) < 0)
		return m->error = -ENOMEM;
	for (size_t i = 0; i < s->n_notes; i++)
		um_comment_file(m, s->path, s->notes[i].line, "%s", s->notes[i].text);
	/* Timers first: their CANCEL-TIMER line may come before them. */
	for (size_t i = 0; i < s->n_lines; i++)
		if (!used[i] && (used[i] = convert_timer(m, &s->lines[i], used, &why[i]))) {
			converted[n_converted++] = why[i].script.first;
			converted[n_converted++] = why[i].script.last;
		}
	for (size_t i = 0; i < s->n_lines; i++) {
		const struct upsmonconf_line *l = &s->lines[i];
		const char *d = l->words[0];

		if (!strcmp(d, "CMDSCRIPT") || !strcmp(d, "PIPEFN") || !strcmp(d, "LOCKFN"))
			continue;
		if (strcmp(d, "AT") != 0)
			SCHED(m, l, "not carried over: unknown directive %s", d);
		else if (!used[i])
			keep(m, l, is_at(l, "ONBATT", "START-TIMER") ? &why[i] : NULL);
	}
	if (m->sched_events && m->in->sched_script && m->res->script_path)
		script_fsd_notes(m, converted, n_converted);
	return m->error;
}
