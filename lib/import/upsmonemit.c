/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The model of an imported upsmon.conf written out as upsagent.conf text. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "confwrite.h"
#include "macro.h"
#include "upsmonimport-internal.h"

static const char *const value_names[_UM_VALUE_MAX] = {
    [UM_POLL] = "poll-interval",       [UM_DEAD] = "dead-time",
    [UM_HOSTSYNC] = "host-sync",       [UM_FINALDELAY] = "final-delay",
    [UM_NOCOMM] = "nocomm-warn-time",  [UM_RBWARN] = "rb-warn-time",
    [UM_OFFDURATION] = "off-duration", [UM_OBLB] = "ob-lb-duration",
    [UM_MINSUPPLIES] = "min-supplies",
};

static void emit_globals(struct um *m, FILE *f)
{
	for (unsigned k = 0; k < _UM_VALUE_MAX; k++) {
		const struct um_value *v = &m->values[k];

		if (!v->set || (k == UM_MINSUPPLIES && m->shutdown_none))
			continue;
		if (k == UM_OFFDURATION && v->v < 0)
			fprintf(f, "%s = \"never\"\n", value_names[k]);
		else
			fprintf(f, "%s = %ld%s\n", value_names[k], v->v,
				v->every_poll ? "\t# upsmon's 0: at every poll" : "");
	}
	if (m->shutdown_none)
		fprintf(f,
			"# %s:%u: SHUTDOWNCMD \"\": upsmon powered nothing off. This host only\n"
			"# watches and notifies, and is never shut down.\nmin-supplies = 0\n",
			m->in->conf->path, m->shutdown_none);
	else if (m->shutdown_argv)
		confwrite_list(f, "", "shutdown-command", m->shutdown_argv);
	else
		fputs("# Power off through systemd-logind (no shutdown-command).\n", f);
}

/* The events whose flags have bit, among those upsagent knows; "ALL" when every one. */
static void put_events(FILE *f, const struct um *m, unsigned bit, uint64_t only)
{
	size_t n = 0, want = 0;

	for (unsigned e = 0; e < UM_EVENTS_MAPPED; e++)
		want += (m->flags[e] & bit) && (only & (UINT64_C(1) << e));
	fputs("\tevents = {", f);
	for (unsigned e = 0; e < UM_EVENTS_MAPPED && want < UM_EVENTS_MAPPED; e++)
		if ((m->flags[e] & bit) && (only & (UINT64_C(1) << e)))
			fprintf(f, "%s\"%s\"", n++ ? ", " : "", um_events[e]);
	fputs(want == UM_EVENTS_MAPPED ? "\"ALL\"}\n" : "}\n", f);
}

/* NOTIFYMSG's texts for the events this section gets. */
static void put_messages(FILE *f, const struct um *m, unsigned bit)
{
	size_t n = 0;

	for (unsigned e = 0; e < UM_EVENTS_MAPPED; e++) {
		_cleanup_free_ char *item = NULL;

		if (!m->messages[e] || !um_event_reaches(m, e, bit))
			continue;
		if (asprintf(&item, "%s=%s", um_events[e], m->messages[e]) < 0)
			continue;
		fputs(n++ ? ",\n\t\t    " : "\tmessages = {", f);
		confwrite_string(f, item);
	}
	if (n)
		fputs("}\t# NOTIFYMSG\n", f);
}

static bool any_event(const struct um *m, unsigned bit, uint64_t only)
{
	for (unsigned e = 0; e < UM_EVENTS_MAPPED; e++)
		if ((m->flags[e] & bit) && (only & (UINT64_C(1) << e)))
			return true;
	return false;
}

static void emit_notify(struct um *m, FILE *f)
{
	uint64_t only = m->notify_upssched ? m->sched_events : UINT64_MAX;

	fputs("\n# upsmon's WALL flag: the message goes to every logged-in terminal.\n", f);
	if (any_event(m, UM_WALL, UINT64_MAX)) {
		fputs("notify {\n\twall = true\n", f);
		put_events(f, m, UM_WALL, UINT64_MAX);
		put_messages(f, m, UM_WALL);
		fputs("}\n", f);
	} else
		fputs("notify {\n\twall = false\n}\n", f);
	if (!m->notify_argv || !any_event(m, UM_EXEC, only))
		return;
	fputs("\n# upsmon's NOTIFYCMD, for the events flagged EXEC; NOTIFYTYPE and UPSNAME\n"
	      "# are in its environment, the message is its last argument.\n",
	      f);
	fputs("notify {\n", f);
	confwrite_list(f, "\t", "command", m->notify_argv);
	put_events(f, m, UM_EXEC, only);
	put_messages(f, m, UM_EXEC);
	fputs("}\n", f);
}

/* This host's own UPS, read from USB now (import-upsd): no server, no login. */
static void emit_local(struct um *m, FILE *f, const struct um_monitor *u)
{
	fprintf(f,
		"\n# %s:%u: MONITOR %s: the UPS on this host, read directly now\n"
		"# (it was ups.conf's [%s], served by upsd; the serve section below serves it)\n"
		"ups %s {\n%s",
		m->in->conf->path, u->line, u->system, u->ups, u->name, u->local->options);
	fputs("\tupsname = ", f);
	confwrite_string(f, u->system);
	fputs("\t# UPSNAME for the notify commands, as upsmon gave it\n", f);
	fprintf(f, "\tpower-value = %u\n", u->power);
	if (u->on_battery_max)
		fprintf(f, "\ton-battery-max = %u\t# from upssched.conf\n", u->on_battery_max);
	fputs("}\n", f);
}

static void emit_ups(struct um *m, FILE *f, const struct um_monitor *u)
{
	if (u->local && u->local->options) {
		emit_local(m, f, u);
		return;
	}
	fprintf(f, "\n# %s:%u: MONITOR %s\nups %s {\n", m->in->conf->path, u->line, u->system,
		u->name);
	confwrite_option(f, "\t", "server", u->host);
	if (u->local) {
		fprintf(f,
			"\tport = %u\t# NUT's upsd keeps serving %s here: upsagent has no "
			"driver for it\n",
			u->local->nut_port, u->ups);
		fputs("\ttls = \"off\"\t# on this host only, to NUT's upsd on loopback\n", f);
	} else if (u->port)
		fprintf(f, "\tport = %u\n", u->port);
	if (strcmp(u->ups, u->name) != 0)
		confwrite_option(f, "\t", "ups", u->ups);
	/* upssched.conf's AT lines and the notify scripts know the UPS by this name. */
	fputs("\tupsname = ", f);
	confwrite_string(f, u->system);
	fputs("\t# UPSNAME for the notify commands, as upsmon gave it\n", f);
	um_emit_transport(m, f, (size_t)(u - m->mon));
	if (u->server_name)
		confwrite_option(f, "\t", "server-name", u->server_name);
	confwrite_option(f, "\t", "user", u->user);
	for (size_t i = 0; i < m->res->n_passwords; i++)
		if (strcmp(m->res->passwords[i].section, u->name) == 0)
			confwrite_option(f, "\t", "password-file", m->res->passwords[i].path);
	fprintf(f, "\trole = \"%s\"%s\n\tpower-value = %u\n", u->primary ? "primary" : "secondary",
		u->role_guessed ? "\t# upsmon took any other word for secondary" : "", u->power);
	if (u->on_battery_max)
		fprintf(f, "\ton-battery-max = %u\t# from upssched.conf\n", u->on_battery_max);
	fputs("}\n", f);
}

/* upsmon.conf first, then upssched.conf, then the CMDSCRIPT. */
static int file_rank(const struct um *m, const char *file)
{
	if (file == m->in->conf->path)
		return 0;
	return m->in->sched && file == m->in->sched->path ? 1 : 2;
}

/* By file, then line; stable, so a line's notes keep their order. */
static void notes_sort(struct um *m)
{
	struct upsmon_note *v = m->res->notes;

	for (size_t i = 1; i < m->res->n_notes; i++)
		for (size_t j = i; j > 0; j--) {
			const struct upsmon_note *a = &v[j - 1], *b = &v[j];
			int ra = file_rank(m, a->file), rb = file_rank(m, b->file);
			unsigned la = a->line ? a->line : UINT_MAX,
				 lb = b->line ? b->line : UINT_MAX;
			struct upsmon_note t;

			if (ra < rb || (ra == rb && la <= lb))
				break;
			t = v[j - 1];
			v[j - 1] = v[j];
			v[j] = t;
		}
}

static void emit_notes(struct um *m, FILE *f)
{
	notes_sort(m);
	for (size_t i = 0; i < m->res->n_notes; i++) {
		const struct upsmon_note *n = &m->res->notes[i];

		if (n->echo)
			fprintf(f, "# %s:%u: %s\n", n->file, n->line, n->echo);
		else if (n->line)
			fprintf(f, "# %s:%u:\n", n->file, n->line);
		else
			fprintf(f, "# %s:\n", n->file);
		fprintf(f, "#     %s\n", n->text);
	}
}

static void emit_header(struct um *m, FILE *f)
{
	fprintf(f,
		"# upsagent.conf converted from %s by \"upsagent import-upsmon\"\n"
		"# (upsagent %s). upsagent.conf(5) describes every option; check the file\n"
		"# with: upsagent check-config FILE\n",
		m->in->conf->path, m->in->version ? m->in->version : "");
	if (m->res->n_notes)
		fprintf(
		    f,
		    "#\n# %zu line(s) were not carried over or changed meaning; each is below,\n"
		    "# passwords masked, with the reason (also printed as warnings).\n#\n",
		    m->res->n_notes);
	emit_notes(m, f);
	if (m->certpath)
		fprintf(
		    f,
		    "#\n# GnuTLS cannot read upsmon's NSS database (CERTPATH %s).\n"
		    "# List its certificates with\n#     certutil -L -d sql:%s\n"
		    "# and export the CA that signed the servers' certificates (NICK: its name\n"
		    "# in that list) as PEM with\n"
		    "#     certutil -L -d sql:%s -n \"NICK\" -a > /etc/upsagent/ca.pem\n"
		    "# then uncomment ca-file in each ups section.\n",
		    m->certpath, m->certpath, m->certpath);
	if (m->res->n_passwords)
		fprintf(
		    f,
		    "#\n# Passwords are not in this file: each password-file holds the password\n"
		    "# of its MONITOR line (mode 0600). Instead of letting user upsagent own "
		    "them,\n"
		    "# they may stay root's and reach the daemon as credentials: a drop-in\n"
		    "# (systemctl edit upsagent) with LoadCredential=NAME.pw:%s/NAME.pw and\n"
		    "# password-file = \"${CREDENTIALS_DIRECTORY}/NAME.pw\".\n",
		    m->in->password_dir);
	fputs("\n", f);
}

int um_emit(struct um *m)
{
	size_t len = 0;
	FILE *f = open_memstream(&m->res->text, &len);

	if (!f)
		return -ENOMEM;
	emit_header(m, f);
	emit_globals(m, f);
	emit_notify(m, f);
	for (size_t i = 0; i < m->n_mon; i++)
		emit_ups(m, f, &m->mon[i]);
	m->res->n_ups = m->n_mon;
	if (um_servers(m) < 0) {
		fclose(f);
		return -ENOMEM;
	}
	return fclose(f) == 0 ? 0 : -ENOMEM;
}
