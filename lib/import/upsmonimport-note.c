/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The notes of an import (each with its line echoed, secrets masked) and small helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "upsmonimport-internal.h"

/* ---- comments and notes ------------------------------------------------ */

/* Directives whose words are worth echoing; an unknown one may be a typo
 * of MONITOR, with a password in it. */
static bool known_directive(const char *d)
{
	static const char *const known[] = {
	    "MONITOR",	      "MINSUPPLIES",   "SHUTDOWNCMD",  "NOTIFYCMD",
	    "NOTIFYFLAG",     "NOTIFYMSG",     "POLLFREQ",     "POLLFREQALERT",
	    "DEADTIME",	      "HOSTSYNC",      "FINALDELAY",   "POWERDOWNFLAG",
	    "NOCOMMWARNTIME", "RBWARNTIME",    "OFFDURATION",  "OBLBDURATION",
	    "CERTPATH",	      "CERTIDENT",     "CERTHOST",     "CERTVERIFY",
	    "FORCESSL",	      "RUN_AS_USER",   "SHUTDOWNEXIT", "POLLFAIL_LOG_THROTTLE_MAX",
	    "DEBUG_MIN",      "ALARMCRITICAL", "AT",	       "CMDSCRIPT",
	    "PIPEFN",	      "LOCKFN",
	};

	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (strcmp(d, known[i]) == 0)
			return true;
	return false;
}

/* The password of conf's line i when it is a well-formed MONITOR line, else NULL. */
static const char *monitor_password(const struct upsmonconf *conf, size_t i)
{
	const struct upsmonconf_line *m = &conf->lines[i];

	return strcmp(m->words[0], "MONITOR") == 0 && m->n_words == 6 ? m->words[4] : NULL;
}

/* Whether w is, or holds, the password of a well-formed MONITOR line of conf
 * (those of 8 bytes or more inside a longer word too): a password pasted
 * into another directive is masked there as well. */
static bool holds_password(const struct upsmonconf *conf, const char *w)
{
	for (size_t i = 0; conf && i < conf->n_lines; i++) {
		const char *pw = monitor_password(conf, i);

		if (pw && *pw && (strcmp(w, pw) == 0 || (strlen(pw) >= 8 && strstr(w, pw))))
			return true;
	}
	return false;
}

/* Overwrites, in place, every copy of a MONITOR password of conf (of 6 bytes
 * or more: shorter ones are any common word) in a note's text, which may
 * quote any word of any line (a directive name, a bad value). */
static void mask_passwords(const struct upsmonconf *conf, char *text)
{
	for (size_t i = 0; conf && text && i < conf->n_lines; i++) {
		const char *pw = monitor_password(conf, i);
		size_t len = pw ? strlen(pw) : 0;

		if (len < 6)
			continue;
		for (char *p = strstr(text, pw); p; p = strstr(p + len, pw))
			memset(p, '*', len);
	}
}

/* The line as written, quoted where needed, with its secret masked. */
static void echo_line(FILE *f, const struct upsmonconf *conf, const struct upsmonconf_line *l)
{
	bool monitor = strcmp(l->words[0], "MONITOR") == 0;
	/* Where the password is, and from where nothing is copied: in a
	 * MONITOR line with a word too many or too few, any word after the
	 * system may be it (the fuzzer found one echoed from the third word). */
	bool certident = strcmp(l->words[0], "CERTIDENT") == 0;
	bool broken = monitor && l->n_words != 6;
	size_t secret = broken ? 2 : monitor ? 4 : certident ? 2 : SIZE_MAX;
	size_t end = broken || certident ? secret : l->n_words;

	if (!known_directive(l->words[0])) {
		fprintf(f, "%s ... (the rest is not copied: it may hold a password)", l->words[0]);
		return;
	}
	if (end < l->n_words)
		secret = end;
	for (size_t i = 0; i < l->n_words && i <= end; i++) {
		const char *w = i == secret || (i > 0 && holds_password(conf, l->words[i]))
				    ? "********"
				    : l->words[i];
		bool quote = !*w || strpbrk(w, " \t#\"\\");

		fputs(i ? " " : "", f);
		if (!quote) {
			fputs(w, f);
			continue;
		}
		fputc('"', f);
		for (; *w; w++)
			fputs(strchr("\"\\", *w) ? "\\" : "", f), fputc(*w, f);
		fputc('"', f);
	}
}

static char *echo_text(const struct upsmonconf *conf, const struct upsmonconf_line *l)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	echo_line(f, conf, l);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	mask_passwords(conf, text);
	return text;
}

static void um_vcomment(struct um *m, const char *file, unsigned line,
			const struct upsmonconf_line *l, const char *fmt, va_list ap)
    _printf_(5, 0);
static void um_vcomment(struct um *m, const char *file, unsigned line,
			const struct upsmonconf_line *l, const char *fmt, va_list ap)
{
	_cleanup_free_ char *text = NULL;
	struct upsmon_import *res = m->res;

	if (vasprintf(&text, fmt, ap) >= 0)
		mask_passwords(m->in->conf, text);
	else
		text = NULL;
	if (!text ||
	    upsmon_note_add(&res->notes, &res->n_notes, file, l ? l->line : line, "%s", text) < 0 ||
	    (l && !(res->notes[res->n_notes - 1].echo = echo_text(m->in->conf, l))))
		m->error = -ENOMEM;
}

int um_comment(struct um *m, const struct upsmonconf *file, const struct upsmonconf_line *l,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	um_vcomment(m, file->path, 0, l, fmt, ap);
	va_end(ap);
	return m->error;
}

int um_comment_file(struct um *m, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	um_vcomment(m, file, line, NULL, fmt, ap);
	va_end(ap);
	return m->error;
}

/* ---- helpers ----------------------------------------------------------- */

char **um_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

char **um_split(const char *s)
{
	size_t n = 0;
	char **v = calloc(strlen(s) / 2 + 2, sizeof(*v));

	while (v && *s) {
		size_t len = strcspn(s, " \t");

		if (len && !(v[n++] = strndup(s, len)))
			return um_strv_free(v);
		s += len + strspn(s + len, " \t");
	}
	return v;
}
