/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upssched.conf, when upsmon's NOTIFYCMD runs upssched. The common use is
 * "shut down after N minutes on battery": a timer started on ONBATT,
 * cancelled on ONLINE, whose CMDSCRIPT branch forces a shutdown. That is
 * upsagent's on-battery-max. Every other AT line keeps upssched as a notify
 * hook for its event, with a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "upsmonimport-internal.h"

#define SCHED(m, l, ...) um_comment(m, (m)->in->sched, l, __VA_ARGS__)

static bool is_at(const struct upsmonconf_line *l, const char *event, const char *cmd)
{
	return l->n_words >= 4 && strcmp(l->words[0], "AT") == 0 &&
	       strcmp(l->words[1], event) == 0 && strcmp(l->words[3], cmd) == 0;
}

/* The "NAME)" branch of the script's case statement, up to its ";;". */
static const char *script_branch(const char *script, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (const char *p = script; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *w = p + strspn(p, " \t\"'"), *end;

		if (strncmp(w, name, n) != 0 || !strchr("\"')|", w[n]) || !strchr(w, ')'))
			continue;
		end = strstr(w, ";;");
		*len = end ? (size_t)(end - w) : strlen(w);
		return w;
	}
	return NULL;
}

/* Whether the script's branch for timer name forces a shutdown. A heuristic,
 * so the warning for anything else names the branch to read. */
static bool script_forces_shutdown(const char *script, const char *name)
{
	static const char *const forces[] = {"upsmon -c fsd", "poweroff", "shutdown -h",
					     "shutdown -P", "shutdown now", "halt -p"};
	_cleanup_free_ char *branch = NULL;
	size_t len = 0;
	const char *b = script ? script_branch(script, name, &len) : NULL;

	if (!b || !(branch = strndup(b, len)))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(forces); i++)
		if (strstr(branch, forces[i]))
			return true;
	return false;
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

/* An ONBATT timer turned into on-battery-max: NULL, or why it cannot be. */
static const char *convert_timer(struct um *m, const struct upsmonconf_line *l, bool *used)
{
	const struct upsmonconf *s = m->in->sched;
	const struct upsmonconf_line *cancel;
	char *end;
	unsigned long secs;

	if (!is_at(l, "ONBATT", "START-TIMER") || l->n_words != 6)
		return "only a timer started on ONBATT becomes on-battery-max";
	secs = strtoul(l->words[5], &end, 10);
	if (*end || secs == 0 || secs > 86400 || !isdigit((unsigned char)l->words[5][0]))
		return "the timer's seconds are not a number from 1 to 86400";
	if (!(cancel = find_cancel(s, l->words[2], l->words[4])))
		return "no AT ONLINE line cancels the timer";
	if (!m->in->sched_script)
		return "its CMDSCRIPT could not be read";
	if (!script_forces_shutdown(m->in->sched_script, l->words[4]))
		return "the timer's branch of CMDSCRIPT does not force a shutdown (upsmon -c fsd, "
		       "poweroff, shutdown -h)";
	if (apply(m, l->words[2], (unsigned)secs) == 0)
		return "no MONITOR line watches that UPS";
	used[cancel - s->lines] = true;
	SCHED(m, l,
	      "carried over as on-battery-max = %lu in %s: the timer's branch of CMDSCRIPT forces a "
	      "shutdown, and ONLINE cancels it (line %u); upssched is no longer needed for it",
	      secs, strcmp(l->words[2], "*") == 0 ? "every ups section" : l->words[2],
	      cancel->line);
	return NULL;
}

static void keep(struct um *m, const struct upsmonconf_line *l, const char *why)
{
	int e = l->n_words >= 2 ? um_event_from_string(l->words[1]) : -1;

	if (e >= 0)
		m->sched_events |= UINT64_C(1) << e;
	SCHED(m, l,
	      "kept: upssched still runs as a notify hook for %s (command = {\"%s\"}), as user "
	      "upsagent, which must be able to write its PIPEFN and LOCKFN%s%s",
	      e >= 0 ? um_events[e] : "this line", m->notify_argv[0], why ? "; " : "",
	      why ? why : "");
}

int um_sched(struct um *m)
{
	const struct upsmonconf *s = m->in->sched;
	_cleanup_free_ bool *used = NULL;
	_cleanup_free_ const char **why = NULL;

	if (!s) {
		m->sched_events = UINT64_MAX;
		return um_comment(m, m->in->conf, upsmonconf_find(m->in->conf, "NOTIFYCMD"),
				  "kept as a notify hook: %s cannot be read (%s), so its timers were "
				  "not converted",
				  m->in->sched_path ? m->in->sched_path : "upssched.conf",
				  m->in->sched_error ? m->in->sched_error : "not given");
	}
	if (!(used = calloc(s->n_lines + 1, sizeof(*used))) ||
	    !(why = calloc(s->n_lines + 1, sizeof(*why))))
		return m->error = -ENOMEM;
	for (size_t i = 0; i < s->n_notes; i++)
		um_comment_file(m, s->path, s->notes[i].line, "%s", s->notes[i].text);
	/* Timers first: their CANCEL-TIMER line may come before them. */
	for (size_t i = 0; i < s->n_lines; i++)
		if (!used[i])
			used[i] = !(why[i] = convert_timer(m, &s->lines[i], used));
	for (size_t i = 0; i < s->n_lines; i++) {
		const struct upsmonconf_line *l = &s->lines[i];
		const char *d = l->words[0];

		if (!strcmp(d, "CMDSCRIPT") || !strcmp(d, "PIPEFN") || !strcmp(d, "LOCKFN"))
			continue;
		if (strcmp(d, "AT") != 0)
			SCHED(m, l, "not carried over: unknown directive %s", d);
		else if (!used[i])
			keep(m, l, is_at(l, "ONBATT", "START-TIMER") ? why[i] : NULL);
	}
	return m->error;
}
