/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsmon.conf's directives into the model of upsmonimport-internal.h. Each
 * handler either carries its line over or says why not, once.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdscript.h"
#include "macro.h"
#include "nutword.h"
#include "upsmonimport-internal.h"

#define COMMENT(m, l, ...) um_comment(m, (m)->in->conf, l, __VA_ARGS__)

/* ---- helpers ----------------------------------------------------------- */

static bool parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool args_ok(struct um *m, const struct upsmonconf_line *l, size_t n, const char *usage)
{
	if (l->n_words == n)
		return true;
	COMMENT(m, l, "not carried over: %s; expected %s",
		l->n_words < n ? "too few words" : "too many words", usage);
	return false;
}

/* ---- the timing values ------------------------------------------------- */

static const struct {
	const char *directive;
	enum um_value_kind kind;
	long min; /* OFFDURATION: below 0 means never */
} values[] = {
    {"POLLFREQ", UM_POLL, 1},
    {"DEADTIME", UM_DEAD, 1},
    {"HOSTSYNC", UM_HOSTSYNC, 0},
    {"FINALDELAY", UM_FINALDELAY, 0},
    {"NOCOMMWARNTIME", UM_NOCOMM, 0},
    {"RBWARNTIME", UM_RBWARN, 0},
    {"OFFDURATION", UM_OFFDURATION, -100000000},
    {"OBLBDURATION", UM_OBLB, 0},
    {"MINSUPPLIES", UM_MINSUPPLIES, 0},
};

static bool on_value(struct um *m, const struct upsmonconf_line *l)
{
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		long v;

		if (strcmp(l->words[0], values[i].directive) != 0)
			continue;
		if (!args_ok(m, l, 2, "one number"))
			return true;
		if (!parse_long(l->words[1], values[i].min, 100000000, &v))
			COMMENT(m, l, "not carried over: '%s' is not a whole number of %s",
				l->words[1],
				values[i].kind == UM_MINSUPPLIES ? "power supplies" : "seconds");
		else if (values[i].kind == UM_POLL && v >= 60)
			COMMENT(
			    m, l,
			    "not carried over: upsd drops a client that says nothing for "
			    "60 seconds, so upsagent polls more often; the default, 5, is used");
		else
			m->values[values[i].kind] = (struct um_value){v, l->line, true, false};
		return true;
	}
	return false;
}

/* ---- MONITOR ----------------------------------------------------------- */

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || strchr("-_.", c);
}

/* ups[@host[:port]], host maybe [IPv6]. */
static int monitor_system(struct um_monitor *u, const char *system)
{
	const char *at = strchr(system, '@'), *host = at ? at + 1 : "localhost", *colon;
	long port = 0;

	if (!(u->ups = strndup(system, at ? (size_t)(at - system) : strlen(system))))
		return -ENOMEM;
	if (*host == '[') {
		const char *close = strchr(host, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		colon = close[1] ? close + 1 : NULL;
		u->host = strndup(host + 1, (size_t)(close - host - 1));
	} else {
		colon = strchr(host, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		u->host = strndup(host, colon ? (size_t)(colon - host) : strlen(host));
	}
	if (!u->host)
		return -ENOMEM;
	if (colon && !parse_long(colon + 1, 1, 65535, &port))
		return -EINVAL;
	u->port = (unsigned)port;
	if (!*u->ups || !*u->host || strlen(u->ups) > 64)
		return -EINVAL;
	for (const char *p = u->ups; *p; p++)
		if (!name_char_ok(*p))
			return -EINVAL;
	return 0;
}

/* The section is named after the UPS; after its server too when two share a name. */
static void monitor_name(struct um *m, struct um_monitor *u)
{
	size_t len;

	snprintf(u->name, sizeof(u->name), "%s", u->ups);
	for (size_t i = 0; i < m->n_mon; i++)
		if (strcmp(m->mon[i].name, u->name) == 0) {
			snprintf(u->name, sizeof(u->name), "%.30s-%.30s", u->ups, u->host);
			break;
		}
	len = strlen(u->name);
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(u->name[i]))
			u->name[i] = '-';
	for (unsigned n = 2;; n++) {
		bool taken = false;

		for (size_t i = 0; i < m->n_mon; i++)
			taken |= strcmp(m->mon[i].name, u->name) == 0;
		if (!taken)
			return;
		snprintf(u->name + len, sizeof(u->name) - len, "-%u", n);
	}
}

static void monitor_free(struct um_monitor *u)
{
	free(u->system);
	free(u->ups);
	free(u->host);
	free(u->user);
	free(u->server_name);
}

static const char monitor_usage[] =
    "MONITOR UPS@HOST[:PORT] POWERVALUE USER PASSWORD primary|secondary";

static bool is_role(const char *w)
{
	return !strcasecmp(w, "primary") || !strcasecmp(w, "master") ||
	       !strcasecmp(w, "secondary") || !strcasecmp(w, "slave");
}

static bool is_number(const char *w)
{
	return *w && strspn(w, "0123456789") == strlen(w);
}

/* Which words a MONITOR line of fewer than 6 lacks, guessed from the ones
 * it has: the system comes first, the power value is a number, the role
 * one of upsmon's words; what is left are the user and the password. */
static void monitor_missing(const struct upsmonconf_line *l, char *buf, size_t len)
{
	size_t n = l->n_words;
	bool power = n >= 3 && is_number(l->words[2]), role = n >= 3 && is_role(l->words[n - 1]);
	long rest = (long)n - 2 - power - role; /* words for the user and the password */

	snprintf(buf, len, "%s%s%s%s", n < 2 ? "the UPS (UPS@HOST), " : "",
		 power ? "" : "the power value, ",
		 rest <= 0   ? "the user, the password, "
		 : rest == 1 ? "the user (SYSTEM POWERVALUE PASSWORD ROLE is upsmon's old form, "
			       "which upsmon refuses too), "
			     : "",
		 role ? "" : "the role (primary or secondary), ");
	if (strlen(buf) >= 2)
		buf[strlen(buf) - 2] = '\0';
}

/* Checks the words; 0, or -EINVAL (commented). */
static int monitor_check(struct um *m, const struct upsmonconf_line *l, struct um_monitor *u)
{
	char missing[256];
	long power;
	int r;

	if (l->n_words < 6) {
		monitor_missing(l, missing, sizeof(missing));
		COMMENT(m, l, "bad MONITOR: missing %s; expected %s", missing, monitor_usage);
		return -EINVAL;
	}
	if (l->n_words > 6) {
		COMMENT(m, l,
			"bad MONITOR: %zu words, more than 6 (a password with blanks goes in "
			"double quotes); expected %s",
			l->n_words, monitor_usage);
		return -EINVAL;
	}
	r = monitor_system(u, l->words[1]);
	if (r == -EINVAL)
		COMMENT(m, l, "bad MONITOR: '%s' is not UPS@HOST[:PORT]", l->words[1]);
	if (r < 0)
		return r;
	if (!parse_long(l->words[2], 0, 1000, &power)) {
		COMMENT(m, l,
			"bad MONITOR: the power value '%s' is not a whole number from 0 to 1000",
			l->words[2]);
		return -EINVAL;
	}
	u->power = (unsigned)power;
	if (!*l->words[4]) {
		COMMENT(m, l, "bad MONITOR: the password is empty");
		return -EINVAL;
	}
	if (!nut_word_ok(l->words[3])) {
		COMMENT(m, l, "bad MONITOR: the user name '%s' is not one plain word", l->words[3]);
		return -EINVAL;
	}
	/* upsmon: strcasecmp with "primary" and "master"; any other word is a secondary. */
	u->primary = !strcasecmp(l->words[5], "primary") || !strcasecmp(l->words[5], "master");
	u->role_guessed = !is_role(l->words[5]);
	if (u->role_guessed)
		COMMENT(m, l,
			"meaning kept: '%s' is neither primary nor secondary (nor master, "
			"slave); upsmon took it for a secondary, and so does role = "
			"\"secondary\"",
			l->words[5]);
	return 0;
}

static int monitor_password(struct um *m, const struct upsmonconf_line *l,
			    const struct um_monitor *u)
{
	struct upsmon_import *res = m->res;
	struct upsmon_password *bigger =
	    reallocarray(res->passwords, res->n_passwords + 1, sizeof(*bigger));
	struct upsmon_password *p;

	if (!bigger)
		return -ENOMEM;
	res->passwords = bigger;
	p = &bigger[res->n_passwords];
	*p = (struct upsmon_password){.line = l->line};
	p->section = strdup(u->name);
	p->password = strdup(l->words[4]);
	if (asprintf(&p->path, "%s/%s.pw", m->in->password_dir, u->name) < 0)
		p->path = NULL;
	res->n_passwords++;
	return p->section && p->password && p->path ? 0 : -ENOMEM;
}

static int on_monitor(struct um *m, const struct upsmonconf_line *l)
{
	struct um_monitor u = {.line = l->line}, *bigger;

	if (monitor_check(m, l, &u) < 0 || !(u.system = strdup(l->words[1])) ||
	    !(u.user = strdup(l->words[3])))
		goto fail;
	for (size_t i = 0; i < m->n_mon; i++)
		if (strcmp(m->mon[i].ups, u.ups) == 0 && strcasecmp(m->mon[i].host, u.host) == 0 &&
		    (m->mon[i].port ? m->mon[i].port : 3493) == (u.port ? u.port : 3493)) {
			COMMENT(m, l, "not carried over: %s is already watched (line %u)", u.system,
				m->mon[i].line);
			goto fail;
		}
	monitor_name(m, &u);
	if (!(bigger = reallocarray(m->mon, m->n_mon + 1, sizeof(*bigger))))
		goto fail;
	m->mon = bigger;
	u.local = um_local(m, &u);
	/* Read from USB now: its upsd login and password are history. */
	if ((!u.local || !u.local->options) && monitor_password(m, l, &u) < 0)
		m->error = -ENOMEM;
	m->mon[m->n_mon++] = u;
	return 0;
fail:
	monitor_free(&u);
	return 0;
}

/* ---- commands ---------------------------------------------------------- */

/* upsmon hands both commands to /bin/sh: keep the shell only when the line
 * needs it. The notify command gets the message as its last argument, as
 * from upsmon: through the shell, that is "$1" after the script. */
static char **command_argv(const char *cmd, bool message, bool *shell)
{
	char **v;

	*shell = cmd[0] != '/' || strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n");
	if (!*shell)
		return um_split(cmd);
	if (!(v = calloc(5, sizeof(*v))))
		return NULL;
	v[0] = strdup("/bin/sh");
	v[1] = strdup("-c");
	if (!message)
		v[2] = strdup(cmd);
	else if (asprintf(&v[2], "%s \"$1\"", cmd) < 0)
		v[2] = NULL;
	if (message && v[2])
		v[3] = strdup("upsagent-notify"); /* $0 */
	if (!v[0] || !v[1] || !v[2] || (message && !v[3])) {
		for (size_t i = 0; i < 4; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	return v;
}

static int on_shutdowncmd(struct um *m, const struct upsmonconf_line *l)
{
	char **argv;
	bool shell;

	if (!args_ok(m, l, 2, "the command in quotes"))
		return 0;
	if (!(argv = um_split(l->words[1])))
		return m->error = -ENOMEM;
	m->shutdown_none = 0;
	m->shutdown_argv = um_strv_free(m->shutdown_argv);
	/* upsmon hands "" to system(), which runs nothing: a host that only watches. */
	if (!argv[0]) {
		um_strv_free(argv);
		m->shutdown_none = l->line;
		return 0;
	}
	if (cmdscript_is_poweroff(argv)) {
		um_strv_free(argv);
		return COMMENT(m, l,
			       "meaning changes: upsagent powers off through systemd-logind "
			       "(PowerOff, allowed by its polkit rule) instead of running this "
			       "command as root");
	}
	um_strv_free(argv);
	if (!(m->shutdown_argv = command_argv(l->words[1], false, &shell)))
		return m->error = -ENOMEM;
	COMMENT(m, l,
		"meaning changes: shutdown-command runs it%s as user upsagent, without "
		"root and without capabilities; make sure it can power off that way",
		shell ? " through /bin/sh -c (as upsmon did)" : " without a shell");
	return 0;
}

static bool is_upssched(const char *cmd)
{
	_cleanup_free_ char *first = strndup(cmd, strcspn(cmd, " \t"));
	const char *base = first && strrchr(first, '/') ? strrchr(first, '/') + 1 : first;

	return base && strcmp(base, "upssched") == 0;
}

bool upsmon_import_uses_upssched(const struct upsmonconf *conf)
{
	const struct upsmonconf_line *l = upsmonconf_find(conf, "NOTIFYCMD");

	return l && l->n_words == 2 && is_upssched(l->words[1]);
}

static int on_notifycmd(struct um *m, const struct upsmonconf_line *l)
{
	bool shell;

	if (!args_ok(m, l, 2, "the command in quotes"))
		return 0;
	um_strv_free(m->notify_argv);
	if (!(m->notify_argv = command_argv(l->words[1], true, &shell)))
		return m->error = -ENOMEM;
	m->notify_line = l->line;
	m->notify_upssched = is_upssched(l->words[1]);
	if (shell)
		COMMENT(m, l,
			"meaning changes: the notify command runs through /bin/sh -c (as upsmon "
			"did), as user upsagent");
	return 0;
}

/* ---- TLS --------------------------------------------------------------- */

/* CERTHOST's [USER@]HOST[:PORT], split as upsclient does; 0, -EINVAL or -ENOMEM. */
static int certhost_target(const char *spec, struct um_monitor *t)
{
	const char *at = strchr(spec, '@');
	_cleanup_free_ char *system = NULL;

	/* monitor_system() wants a UPS name before the '@': any will do. */
	if (asprintf(&system, "_@%s", at ? at + 1 : spec) < 0)
		return -ENOMEM;
	return monitor_system(t, system);
}

/* upsclient matches a CERTHOST by host name (as written) and port, 3493 by default. */
static bool certhost_matches(const struct um_monitor *t, const struct um_monitor *u)
{
	return strcmp(t->host, u->host) == 0 &&
	       (t->port ? t->port : 3493) == (u->port ? u->port : 3493);
}

static int on_certhost(struct um *m, const struct upsmonconf_line *l)
{
	struct um_monitor target = {0};
	bool dns = true;
	size_t n = 0;
	int r;

	if (!args_ok(m, l, 5, "CERTHOST HOST[:PORT] \"CERTIFICATE NAME\" CERTVERIFY FORCESSL"))
		return 0;
	r = certhost_target(l->words[1], &target);
	if (r < 0) {
		monitor_free(&target);
		return r == -ENOMEM ? (m->error = r)
				    : COMMENT(m, l, "not carried over: '%s' is not HOST[:PORT]",
					      l->words[1]);
	}
	for (const char *p = l->words[2]; *p; p++)
		dns &= name_char_ok(*p);
	for (size_t i = 0; i < m->n_mon; i++) {
		if (!certhost_matches(&target, &m->mon[i]))
			continue;
		n++;
		if (dns && !m->mon[i].server_name && !(m->mon[i].server_name = strdup(l->words[2])))
			m->error = -ENOMEM;
	}
	if (n == 0)
		COMMENT(m, l, "not carried over: no MONITOR line names the host %s on port %u",
			target.host, target.port ? target.port : 3493);
	else if (!dns)
		COMMENT(m, l,
			"not carried over: upsagent checks the server's certificate against a "
			"host name (server-name), and '%s' is not one",
			l->words[2]);
	if (strcmp(l->words[3], "1") != 0 || strcmp(l->words[4], "1") != 0)
		COMMENT(m, l,
			"meaning changes: upsagent always requires TLS and verifies the "
			"certificate of %s",
			l->words[1]);
	monitor_free(&target);
	return 0;
}

static int on_tls(struct um *m, const struct upsmonconf_line *l)
{
	const char *d = l->words[0];

	if (strcmp(d, "CERTIDENT") == 0)
		return COMMENT(
		    m, l,
		    "not carried over: upsagent reads a client certificate from PEM "
		    "files. Export it: pk12util -o client.p12 -n NAME -d sql:%s, then "
		    "openssl pkcs12 -in client.p12 -nodes -out /etc/upsagent/client.pem, "
		    "and set cert-file and key-file in each ups section",
		    m->certpath ? m->certpath : "CERTPATH");
	if (!args_ok(m, l, 2, "one value"))
		return 0;
	if (strcmp(d, "CERTPATH") == 0) {
		free(m->certpath);
		if (!(m->certpath = strdup(l->words[1])))
			m->error = -ENOMEM;
		return 0;
	}
	if (strcmp(l->words[1], "1") == 0)
		*(strcmp(d, "CERTVERIFY") == 0 ? &m->certverify : &m->forcessl) = true;
	else if (strcmp(l->words[1], "1") != 0) {
		m->tls_warned = true;
		/* Probed: each ups section is written as what its server offered,
		 * TLS first as upsmon tried it, and says so itself. */
		if (m->in->transports)
			return 0;
		COMMENT(m, l,
			"meaning changes: upsagent %s. The server needs a certificate (upsd.conf "
			"CERTFILE) that the system trusts, or ca-file, or pin-sha256; or write "
			"tls = \"off\" in a ups section to send the password in clear text",
			strcmp(d, "FORCESSL") == 0 ? "always requires TLS (STARTTLS)"
						   : "always verifies the server's certificate");
	}
	return 0;
}

/* ---- everything else --------------------------------------------------- */

static const struct {
	const char *directive, *why;
} dropped[] = {
    {"RUN_AS_USER", "upsagent runs as its own user, upsagent (etc/upsagent.sysusers)"},
    {"POLLFREQALERT", "upsagent polls every poll-interval, on battery too"},
    {"NOTIFYMSG", "upsagent has no per-event message; its messages follow upsmon's default "
		  "texts (UPS NAME on battery, ...)"},
    {"POWERDOWNFLAG", "upsagent writes its own flag, /run/upsagent/killpower, which its "
		      "system-shutdown hook reads (upsagent killpower); NUT's hook reads this one"},
    {"SHUTDOWNEXIT", "upsagent keeps running until systemd stops it"},
    {"POLLFAIL_LOG_THROTTLE_MAX", "upsagent logs a lasting failure at start, on change and "
				  "every nocomm-warn-time"},
    {"DEBUG_MIN", "use upsagent run --verbose"},
    {"ALARMCRITICAL", "upsagent does not count ALARM as critical"},
};

static int on_pollalert(struct um *m, const struct upsmonconf_line *l)
{
	long v;

	if (!args_ok(m, l, 2, "one number"))
		return 0;
	if (!parse_long(l->words[1], 1, 100000000, &v))
		return COMMENT(m, l, "not carried over: '%s' is not a whole number of seconds",
			       l->words[1]);
	m->pollalert = (struct um_value){v, l->line, true, false};
	return 0;
}

static int on_line(struct um *m, const struct upsmonconf_line *l)
{
	const char *d = l->words[0];

	if (on_value(m, l))
		return 0;
	if (strcmp(d, "MONITOR") == 0)
		return on_monitor(m, l);
	if (strcmp(d, "SHUTDOWNCMD") == 0)
		return on_shutdowncmd(m, l);
	if (strcmp(d, "NOTIFYCMD") == 0)
		return on_notifycmd(m, l);
	if (strcmp(d, "NOTIFYFLAG") == 0)
		return um_on_notifyflag(m, l);
	if (strcmp(d, "NOTIFYMSG") == 0)
		return um_on_notifymsg(m, l);
	if (strcmp(d, "POLLFREQALERT") == 0)
		return on_pollalert(m, l);
	if (strcmp(d, "POWERDOWNFLAG") == 0)
		return m->powerdown_line = l->line, 0;
	if (strcmp(d, "CERTHOST") == 0)
		return on_certhost(m, l);
	if (!strcmp(d, "CERTPATH") || !strcmp(d, "CERTIDENT") || !strcmp(d, "CERTVERIFY") ||
	    !strcmp(d, "FORCESSL"))
		return on_tls(m, l);
	for (size_t i = 0; i < ELEMENTSOF(dropped); i++)
		if (strcmp(d, dropped[i].directive) == 0)
			return COMMENT(m, l, "not carried over: %s", dropped[i].why);
	COMMENT(m, l, "not carried over: unknown directive %s", d);
	return 0;
}

/* ---- the whole --------------------------------------------------------- */

/* upsmon refuses to start when MINSUPPLIES exceeds the power it watches. */
static void um_finish_power(struct um *m)
{
	const struct um_value *min = &m->values[UM_MINSUPPLIES];
	unsigned long sum = 0;

	for (size_t i = 0; i < m->n_mon; i++)
		sum += m->mon[i].power;
	if (m->n_mon && min->set && !m->shutdown_none && (unsigned long)min->v > sum)
		COMMENT(
		    m, upsmonconf_find(m->in->conf, "MINSUPPLIES"),
		    "MINSUPPLIES %ld is more than the power values of the MONITOR lines carried "
		    "over (%lu): upsmon refuses this, and so does check-config",
		    min->v, sum);
}

static bool any_primary(const struct um *m, bool local)
{
	for (size_t i = 0; i < m->n_mon; i++)
		if (m->mon[i].primary &&
		    (!local || !strcasecmp(m->mon[i].host, "localhost") ||
		     !strcmp(m->mon[i].host, "127.0.0.1") || !strcmp(m->mon[i].host, "::1")))
			return true;
	return false;
}

/* SHUTDOWNCMD "": upsmon went through its shutdown and ran nothing. */
static void um_finish_no_shutdown(struct um *m)
{
	const struct upsmonconf_line *l = upsmonconf_find_line(m->in->conf, m->shutdown_none);

	COMMENT(
	    m, l,
	    "meaning kept: upsmon powered nothing off (system(\"\") runs nothing), so this host "
	    "only watches and notifies: min-supplies = 0%s, never a power-off%s",
	    m->values[UM_MINSUPPLIES].set ? " replaces MINSUPPLIES" : "",
	    any_primary(m, false)
		? ". As primary, upsmon still set FSD and waited HOSTSYNC for the secondaries "
		  "first; upsagent with min-supplies = 0 never sets FSD, so those hosts now "
		  "shut down on their own readings only"
		: "");
}

/* POWERDOWNFLAG: what NUT's system-shutdown hook did with it. */
static void um_finish_powerdown(struct um *m)
{
	const struct upsmonconf_line *l = upsmonconf_find_line(m->in->conf, m->powerdown_line);

	if (!any_primary(m, true))
		COMMENT(m, l,
			"not carried over: upsagent writes its own flag, "
			"/run/upsagent/killpower (powerdown-flag), which its system-shutdown "
			"hook reads (upsagent killpower); NUT's hook reads this one");
	else
		COMMENT(
		    m, l,
		    "meaning changes: with this flag, NUT's system-shutdown hook (upsmon -K, "
		    "then upsdrvctl shutdown) told the UPS on this host to cut its output and "
		    "come back with the mains; without upsmon nobody writes it, so that no longer "
		    "happens. upsagent's own hook (upsagent killpower, flag "
		    "/run/upsagent/killpower) does it only for a UPS it reads itself (driver = "
		    "\"usb\" instead of upsd's driver)");
}

/* upsmon repeats a warning when (now - last) > interval: 0 means every poll,
 * which is upsagent's poll-interval, since 0 means never there. */
static void um_finish_every_poll(struct um *m, long poll)
{
	static const enum um_value_kind kinds[] = {UM_NOCOMM, UM_RBWARN};
	static const char *const names[] = {"NOCOMMWARNTIME", "RBWARNTIME"};

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		struct um_value *v = &m->values[kinds[i]];

		if (!v->set || v->v != 0)
			continue;
		COMMENT(
		    m, upsmonconf_find_line(m->in->conf, v->line),
		    "changed: %s 0 made upsmon warn at every poll; in upsagent 0 means never, so "
		    "the poll interval, %ld, is used",
		    names[i], poll);
		v->v = poll;
		v->every_poll = true;
	}
	if (m->pollalert.set && m->pollalert.v != poll)
		COMMENT(
		    m, upsmonconf_find_line(m->in->conf, m->pollalert.line),
		    "not carried over: upsagent polls every poll-interval (%ld s), on battery too",
		    poll);
}

static const struct upsmonconf_line *first_line(const struct upsmonconf *c, const char *name)
{
	for (size_t i = 0; i < c->n_lines; i++)
		if (strcmp(c->lines[i].words[0], name) == 0)
			return &c->lines[i];
	return NULL;
}

static void um_finish_tls(struct um *m)
{
	const struct upsmonconf *c = m->in->conf;

	if (m->certpath)
		COMMENT(m, upsmonconf_find(c, "CERTPATH"),
			"changed: GnuTLS cannot read an NSS database; export the CA as PEM with "
			"certutil -L -d sql:%s -n NICK -a > /etc/upsagent/ca.pem (certutil -L -d "
			"sql:%s lists the NICKs) and set ca-file in each ups section",
			m->certpath, m->certpath);
}

static bool any_exec(const struct um *m)
{
	for (unsigned e = 0; e < UM_EVENTS_MAPPED; e++)
		if (m->flags[e] & UM_EXEC)
			return true;
	return false;
}

static int um_finish_exec(struct um *m)
{
	const struct upsmonconf *c = m->in->conf;

	if (m->notify_argv && !any_exec(m))
		return COMMENT(m, upsmonconf_find(c, "NOTIFYCMD"),
			       "not carried over: no NOTIFYFLAG has EXEC, so upsmon never ran it");
	if (m->notify_argv && m->notify_upssched)
		return um_sched(m);
	for (size_t i = 0; !m->notify_argv && i < c->n_lines; i++)
		if (strcmp(c->lines[i].words[0], "NOTIFYFLAG") == 0 && c->lines[i].n_words == 3 &&
		    strstr(c->lines[i].words[2], "EXEC"))
			return COMMENT(m, &c->lines[i],
				       "not carried over: EXEC, but there is no NOTIFYCMD to run");
	return 0;
}

/* Checks that need every line: the parser's notes, TLS, time rules. */
static void um_finish(struct um *m)
{
	const struct upsmonconf *c = m->in->conf;
	struct um_value *poll = &m->values[UM_POLL], *dead = &m->values[UM_DEAD];
	long p = poll->set ? poll->v : 5;

	for (size_t i = 0; i < c->n_notes; i++)
		um_comment_file(m, c->path, c->notes[i].line, "%s", c->notes[i].text);
	if (m->n_mon == 0)
		um_comment_file(m, c->path, 0,
				"no MONITOR line: there is no UPS to watch; add a ups "
				"section (upsagent.conf(5)) before starting upsagent");
	else if (!m->tls_warned && !(m->certverify && m->forcessl) && !m->in->transports)
		COMMENT(
		    m, first_line(c, "MONITOR"),
		    "meaning changes: upsmon used plain text unless FORCESSL 1 and CERTVERIFY 1 "
		    "said otherwise; upsagent always requires TLS (STARTTLS) and verifies the "
		    "server's certificate (upsd.conf CERTFILE on the server; ca-file or pin-sha256 "
		    "here), or write tls = \"off\" in a ups section");
	if ((dead->set ? dead->v : 15) < 2 * p) {
		um_comment(m, c, upsmonconf_find(c, dead->set ? "DEADTIME" : "POLLFREQ"),
			   "changed: dead-time%s must be at least twice the poll interval (%ld s), "
			   "so one lost poll never shuts the host down; %ld is used",
			   dead->set ? "" : " (the default, 15 s)", p, 2 * p);
		*dead = (struct um_value){2 * p, dead->line, true, false};
	}
	um_finish_every_poll(m, p);
	um_finish_power(m);
	if (m->shutdown_none)
		um_finish_no_shutdown(m);
	if (m->powerdown_line)
		um_finish_powerdown(m);
	um_finish_tls(m);
	um_finish_exec(m);
	um_finish_notify(m);
}

static void um_lines(struct um *m)
{
	const struct upsmonconf *c = m->in->conf;

	for (unsigned e = 0; e < UM_EVENTS; e++)
		m->flags[e] = UM_SYSLOG | UM_WALL; /* upsmon's default for every event */
	/* CERTPATH first: CERTIDENT's hint names it wherever it is. */
	if (upsmonconf_find(c, "CERTPATH"))
		on_tls(m, upsmonconf_find(c, "CERTPATH"));
	for (size_t i = 0; i < c->n_lines && m->error >= 0; i++)
		if (strcmp(c->lines[i].words[0], "CERTHOST") != 0 &&
		    strcmp(c->lines[i].words[0], "CERTPATH") != 0)
			on_line(m, &c->lines[i]);
	/* CERTHOST last: it refers to MONITOR lines wherever they are. */
	for (size_t i = 0; i < c->n_lines && m->error >= 0; i++)
		if (strcmp(c->lines[i].words[0], "CERTHOST") == 0)
			on_line(m, &c->lines[i]);
}

int upsmon_import(const struct upsmon_import_in *in, struct upsmon_import **ret)
{
	struct um m = {.in = in};
	int r;

	if (!(m.res = calloc(1, sizeof(*m.res))))
		return -ENOMEM;
	um_lines(&m);
	um_finish(&m);
	r = m.error;
	if (r >= 0)
		r = um_emit(&m);
	for (size_t i = 0; i < m.n_mon; i++)
		monitor_free(&m.mon[i]);
	free(m.mon);
	free(m.certpath);
	um_strv_free(m.shutdown_argv);
	um_strv_free(m.notify_argv);
	for (unsigned e = 0; e < UM_EVENTS; e++)
		free(m.messages[e]);
	if (r < 0) {
		upsmon_import_free(m.res);
		return r;
	}
	*ret = m.res;
	return 0;
}

struct upsmon_import *upsmon_import_free(struct upsmon_import *r)
{
	if (!r)
		return NULL;
	free(r->text);
	upsmon_notes_free(r->notes, r->n_notes);
	free(r->script_path);
	upsmon_passwords_free(r->passwords, r->n_passwords);
	um_servers_free(r);
	free(r);
	return NULL;
}
