/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Typed access to the values libconfuse holds, for config.c: each getter
 * converts and checks one option and reports a bad value with its line, in
 * the words of the section it is in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "config.h"
#include "number.h"
#include "nutword.h"
#include "owner.h"
#include "secret.h"

#define SECONDS_MAX 1e9 /* 31 years: far past any sensible value, far from overflow */

/* ---- messages --------------------------------------------------------- */

static unsigned scope_line(const struct scope *s, const char *name)
{
	unsigned line = config_line(s->p, s->sec, name, 0);

	return line ? line : config_line(s->p, s->sec, NULL, 0);
}

static void scope_report(const struct scope *s, const char *name, bool named, const char *fmt,
			 va_list ap) _printf_(4, 0);
static void scope_report(const struct scope *s, const char *name, bool named, const char *fmt,
			 va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	named = named && name;
	config_error(s->p, scope_line(s, name), "%s%s%s%s", s->what, named ? name : "",
		     named ? ": " : "", msg);
}

int config_scope_error(const struct scope *s, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scope_report(s, name, true, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_scope_error_at(const struct scope *s, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scope_report(s, name, false, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void config_scope_warning(const struct scope *s, const char *name, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_warning(s->p, scope_line(s, name), "%s%s: %s", s->what, name, msg);
}

/* ---- single values ----------------------------------------------------- */
/* Each getter: 0 when the option is absent (*ret untouched), 1 when set,
 * -EINVAL when the value is bad (reported), -ENOMEM. */

bool config_list_empty(const struct scope *s, const char *name)
{
	const cfg_opt_t *opt = cfg_getopt(s->sec, name);

	/* The parser marks an option it saw; "= {}" leaves it without values. */
	return opt && opt->nvalues == 0 && (opt->flags & CFGF_MODIFIED);
}

const char *config_value(const struct scope *s, const char *name)
{
	return cfg_size(s->sec, name) > 0 ? cfg_getstr(s->sec, name) : NULL;
}

int config_get_seconds(const struct scope *s, const char *name, bool never_ok, uint64_t *ret)
{
	const char *v = config_value(s, name);
	double d;

	if (!v)
		return 0;
	if (never_ok && strcmp(v, "never") == 0) {
		*ret = MONITOR_NEVER;
		return 1;
	}
	if (!number_parse(v, &d) || d > SECONDS_MAX)
		return config_scope_error(s, name, "'%.64s' is not a number of seconds%s", v,
					  never_ok ? " or \"never\"" : "");
	*ret = (uint64_t)(d * USEC_PER_SEC + 0.5);
	return 1;
}

int config_get_unsigned(const struct scope *s, const char *name, unsigned max, unsigned *ret)
{
	const char *v = config_value(s, name);
	double d;

	if (!v)
		return 0;
	if (v[strspn(v, "0123456789")] != '\0' || !number_parse(v, &d) || d > max)
		return config_scope_error(s, name, "'%.64s' is not a whole number from 0 to %u", v,
					  max);
	*ret = (unsigned)d;
	return 1;
}

int config_get_percent(const struct scope *s, const char *name, double *ret)
{
	const char *v = config_value(s, name);

	if (!v)
		return 0;
	if (!number_parse(v, ret) || *ret > 100)
		return config_scope_error(s, name, "'%.64s' is not a percentage from 0 to 100", v);
	return 1;
}

int config_get_choice(const struct scope *s, const char *name, const char *const *names, size_t n,
		      unsigned *ret)
{
	const char *v = config_value(s, name);

	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*ret = (unsigned)i;
			return 1;
		}
	return config_scope_error(s, name, "'%.64s' is not one of \"%s\", \"%s\"%s%s%s", v,
				  names[0], names[1], n > 2 ? ", \"" : "", n > 2 ? names[2] : "",
				  n > 2 ? "\"" : "");
}

bool config_text_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return false;
	return true;
}

int config_get_string(const struct scope *s, const char *name, char **ret)
{
	const char *v = config_value(s, name);

	if (!v)
		return 0;
	if (!config_text_ok(v))
		return config_scope_error(s, name, "control characters are not allowed");
	*ret = strdup(v);
	return *ret ? 1 : -ENOMEM;
}

int config_get_title(const struct scope *s, const char *what, unsigned *line, char **ret)
{
	*line = config_line(s->p, s->sec, NULL, 0);
	*ret = strdup(cfg_title(s->sec));
	if (!*ret)
		return -ENOMEM;
	if (!nut_word_ok(*ret))
		config_scope_error(s, NULL,
				   "'%.64s' is not %s (one word, without quotes, '#' or '@')", *ret,
				   what);
	return 0;
}

/* A file name: absolute, since the daemon's working directory is "/". */
int config_get_path(const struct scope *s, const char *name, bool empty_ok, char **ret)
{
	const char *v = config_value(s, name);

	if (!v)
		return 0;
	if (!(v[0] == '/' || (empty_ok && v[0] == '\0')))
		return config_scope_error(s, name, "'%.64s' is not an absolute path%s", v,
					  empty_ok ? " (or \"\" for none)" : "");
	return config_get_string(s, name, ret);
}

int config_check_private_path(const struct scope *s, const char *name, const char *path)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	char *slash;

	/* "/run/upsagent/../../etc/passwd" is not in /run/upsagent. */
	if (strstr(path, "/../") || (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")))
		return config_scope_error(s, name, "'%.64s' may not contain \"..\"", path);
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	/* Not there yet: systemd's RuntimeDirectory= makes it, ours. */
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0
				       : config_scope_error(s, name, "cannot look at %s: %s", dir,
							    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return config_scope_error(s, name, "%s is not a directory", dir);
	if (!owner_trusted(st.st_uid) || (st.st_mode & 0022))
		return config_scope_error(
		    s, name,
		    "%s is a directory other users can write to (owner uid %u, mode %04o): "
		    "they could plant or replace %s there; use a directory of root's or the "
		    "daemon's own, such as /run/upsagent",
		    dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int config_check_readable(const struct scope *s, const char *name, const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return config_scope_error(s, name, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	return 0;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* secret.c speaks of a "password file"; the server's key is another kind. */
static void secret_words(char *err, size_t len, const char *what)
{
	static const char word[] = "password file";
	char *at = strstr(err, word), rest[512];

	if (!at || strcmp(what, word) == 0)
		return;
	snprintf(rest, sizeof(rest), "%s", at + strlen(word));
	snprintf(at, len - (size_t)(at - err), "%s%s", what, rest);
}

/* Read here, so that a bad file fails the load with its line, then wiped:
 * the daemon reads the file again when it needs it and keeps nothing. */
int config_check_secret(const struct scope *s, const char *name, const char *path, const char *what)
{
	char *secret = NULL, err[512];
	int r;

	if (s->p->secrets == CONFIG_SECRETS_SKIP)
		return 0;
	r = secret_read_file(path, &secret, err, sizeof(err));
	secret_free(secret);
	if (r == -ENOENT && s->p->secrets == CONFIG_SECRETS_OUTSIDE &&
	    path_under(path, CONFIG_CREDENTIALS_DIR)) {
		config_scope_warning(s, name,
				     "%s not checked: it is a credential that systemd hands "
				     "to upsagent.service only while it runs (LoadCredential=); "
				     "check the file it is loaded from",
				     path);
		return 0;
	}
	if (r < 0) {
		secret_words(err, sizeof(err), what);
		return config_scope_error(s, name, "%s", err);
	}
	return 0;
}

/* A command must be a program file, whoever runs the check (root or not). */
int config_check_program(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "cannot use %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		snprintf(err, errlen, "%s is not an executable file", path);
		return -EACCES;
	}
	return 0;
}

char **config_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
	return NULL;
}

/* A command as a list of strings: the program (an absolute path), then its arguments. */
int config_get_argv(const struct scope *s, const char *name, char ***ret)
{
	unsigned n = cfg_size(s->sec, name);
	const char *prog = n > 0 ? cfg_getnstr(s->sec, name, 0) : NULL;
	char **argv;

	if (!prog)
		return config_list_empty(s, name) ? config_scope_error(s, name, "the list is empty")
						  : 0;
	if (prog[0] != '/')
		return config_scope_error(s, name,
					  "'%.64s' is not an absolute path (the program comes "
					  "first, as in {\"/usr/bin/logger\", \"-t\", \"ups\"})",
					  prog);
	argv = calloc(n + 1, sizeof(*argv));
	for (unsigned i = 0; argv && i < n; i++) {
		const char *a = cfg_getnstr(s->sec, name, i);

		if (!config_text_ok(a)) {
			config_argv_free(argv);
			return config_scope_error(s, name, "control characters are not allowed");
		}
		if (!(argv[i] = strdup(a)))
			argv = config_argv_free(argv);
	}
	if (!argv)
		return -ENOMEM;
	*ret = argv;
	return 1;
}

/* ---- upsname, messages ------------------------------------------------- */

/* Printable ASCII without blanks: one word, as upsmon.conf's MONITOR has it. */
static bool word_printable(const char *v)
{
	for (; *v; v++)
		if (*v <= 0x20 || *v >= 0x7f)
			return false;
	return true;
}

int config_get_upsname(const struct scope *s, const char *name, char **ret)
{
	const char *v = config_value(s, name);

	if (!v)
		return 0;
	if (!*v || strlen(v) > CONFIG_UPSNAME_MAX || !word_printable(v))
		return config_scope_error(s, name,
					  "'%.64s' is not an UPSNAME (1 to %d printable characters "
					  "without blanks, as in \"myups\" or \"myups@host:3493\")",
					  v, CONFIG_UPSNAME_MAX);
	*ret = strdup(v);
	return *ret ? 1 : -ENOMEM;
}

/* upsmon fills its NOTIFYMSG with printf: "%s" (the UPSNAME, then the
 * details), "%%"; any other conversion would read what is not there. */
static bool message_format_ok(const char *t)
{
	unsigned n_s = 0;

	for (const char *p = strchr(t, '%'); p; p = strchr(p + 2, '%')) {
		if (p[1] == 's')
			n_s++;
		else if (p[1] != '%')
			return false;
	}
	return n_s <= 2;
}

/* "EVENT=TEXT" into messages[EVENT]; blanks around EVENT and before TEXT are dropped. */
static int message_add(const struct scope *s, const char *name, unsigned i, char **messages)
{
	const char *v = cfg_getnstr(s->sec, name, i), *eq = strchr(v, '='), *text;
	unsigned line = config_line(s->p, s->sec, name, i);
	char event[32];
	size_t len;
	int e;

	if (!eq) {
		config_error(s->p, line, "%s%s: '%.64s' is not EVENT=TEXT", s->what, name, v);
		return 0;
	}
	v += strspn(v, " \t");
	for (len = (size_t)(eq - v); len > 0 && strchr(" \t", v[len - 1]); len--)
		;
	snprintf(event, sizeof(event), "%.*s", (int)(len < sizeof(event) ? len : 0), v);
	text = eq + 1 + strspn(eq + 1, " \t");
	if ((e = config_event_from_string(event)) < 0)
		config_error(s->p, line, "%s%s: unknown event '%.*s'", s->what, name,
			     (int)(len > 64 ? 64 : len), v);
	else if (messages[e])
		config_error(s->p, line, "%s%s: a second text for %s", s->what, name, event);
	else if (!*text || strlen(text) > CONFIG_MESSAGE_MAX || !config_text_ok(text))
		config_error(s->p, line,
			     "%s%s: the text for %s must have 1 to %d characters, no control "
			     "characters",
			     s->what, name, event, CONFIG_MESSAGE_MAX);
	else if (!message_format_ok(text))
		config_error(s->p, line,
			     "%s%s: the text for %s may hold \"%%s\" (the UPSNAME, then the "
			     "details) at most twice, and \"%%%%\"; no other %%",
			     s->what, name, event);
	else if (!(messages[e] = strdup(text)))
		return -ENOMEM;
	return 0;
}

int config_get_messages(const struct scope *s, const char *name, char **messages)
{
	unsigned n = cfg_size(s->sec, name);

	if (config_list_empty(s, name))
		return config_scope_error(s, name,
					  "the list is empty (leave messages out for "
					  "the default texts)");
	for (unsigned i = 0; i < n; i++)
		if (message_add(s, name, i, messages) < 0)
			return -ENOMEM;
	return n > 0;
}

void config_item_error(const struct scope *s, const char *name, unsigned idx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_error(s->p, config_line(s->p, s->sec, name, idx), "%s%s: %s", s->what, name, msg);
}

int config_get_tls_files(const struct scope *s, char **cert, char **key, char **client_ca)
{
	int r;

	r = config_get_path(s, "cert-file", false, cert);
	if (r > 0)
		(void)config_check_readable(s, "cert-file", *cert);
	if (r >= 0 || r == -EINVAL)
		r = config_get_path(s, "key-file", false, key);
	/* A private key: a secret, as the password files are. */
	if (r > 0)
		(void)config_check_secret(s, "key-file", *key, "key file");
	if (r >= 0 || r == -EINVAL)
		r = config_get_path(s, "client-ca-file", false, client_ca);
	if (r > 0)
		(void)config_check_readable(s, "client-ca-file", *client_ca);
	return r == -ENOMEM ? r : 0;
}
