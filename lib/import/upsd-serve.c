/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsd.conf and upsd.users into the serve section (upsdimport-internal.h).
 * The other hosts keep their upsmon.conf: the same addresses and ports,
 * the same users and passwords. upsd 2.8 cannot refuse a login in
 * plaintext (only a client's FORCESSL can), and which clients had it is
 * not written on this host: so every user that logs in with upsmon is
 * marked plaintext-login (never FSD in plaintext), each a note saying how
 * to move its hosts to STARTTLS, and that the line goes once they have.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confwrite.h"
#include "macro.h"
#include "nutword.h"
#include "upsdimport-internal.h"

#define UI_LISTEN_MAX 16

struct serve_model {
	char *listen[UI_LISTEN_MAX + 1]; /* "ADDR:PORT", NULL-terminated */
	size_t n_listen;
	bool public; /* a listener beyond loopback */
	const char *certfile;
	unsigned certfile_line;
	const char *certpath; /* NSS: exported by hand */
	const char *certident;
	long maxconn; /* -1: upsd's default */
};

bool nut_word_ok_or_note(struct ui *x, const struct nut_section *s)
{
	if (nut_word_ok(s->name))
		return true;
	ui_note(x, x->in->ups_path, s->line,
		"[%s]: not carried over: a UPS name is one word of letters, digits and - _ .",
		s->name);
	return false;
}

static bool loopback(const char *addr)
{
	return strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0 ||
	       strncmp(addr, "127.", 4) == 0;
}

static int listen_add(struct ui *x, struct serve_model *m, const char *addr, unsigned port)
{
	char *l = NULL;

	if (m->n_listen == UI_LISTEN_MAX)
		return 0;
	if (asprintf(&l, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port) < 0)
		return x->error = -ENOMEM;
	m->listen[m->n_listen++] = l;
	m->public |= !loopback(addr);
	return 0;
}

/* LISTEN ADDR [PORT]: numeric addresses only, as upsagent binds them. */
static void on_listen(struct ui *x, struct serve_model *m, const struct upsmonconf_line *l)
{
	const char *file = x->in->upsd->path, *addr = l->words[1];
	long port = 3493;
	char *end = NULL;

	if (l->n_words == 3)
		port = strtol(l->words[2], &end, 10);
	if (l->n_words < 2 || l->n_words > 3 || (end && (*end || port < 1 || port > 65535))) {
		ui_note(x, file, l->line, "not carried over: LISTEN ADDRESS [PORT] expected");
		return;
	}
	if (strcasecmp(addr, "localhost") == 0) {
		listen_add(x, m, "127.0.0.1", (unsigned)port);
		listen_add(x, m, "::1", (unsigned)port);
	} else if (strspn(addr, "0123456789.") == strlen(addr) || strchr(addr, ':')) {
		listen_add(x, m, addr, (unsigned)port);
	} else {
		ui_note(x, file, l->line,
			"not carried over: LISTEN %s: upsagent listens on numeric addresses; write "
			"its address into listen",
			addr);
	}
}

static void on_upsd_line(struct ui *x, struct serve_model *m, const struct upsmonconf_line *l)
{
	const char *d = l->words[0], *file = x->in->upsd->path;
	const char *v = l->n_words > 1 ? l->words[1] : "";

	if (strcmp(d, "LISTEN") == 0)
		on_listen(x, m, l);
	else if (strcmp(d, "CERTFILE") == 0 && l->n_words == 2) {
		m->certfile = v;
		m->certfile_line = l->line;
	} else if (strcmp(d, "CERTPATH") == 0 && l->n_words == 2)
		m->certpath = v;
	else if (strcmp(d, "CERTIDENT") == 0 && l->n_words >= 2)
		m->certident = v;
	else if (strcmp(d, "MAXCONN") == 0 && l->n_words == 2)
		m->maxconn = strtol(v, NULL, 10);
	else if (strcmp(d, "MAXAGE") == 0 && strcmp(v, "15") == 0)
		; /* upsd's default, and what upsagent does */
	else if (strcmp(d, "MAXAGE") == 0)
		ui_note(x, file, l->line,
			"not carried over: MAXAGE %s: upsagent serves a UPS's variables while its "
			"last reading is younger than 15 s or three poll intervals, whichever is "
			"longer, then ERR DATA-STALE",
			v);
	else if (strcmp(d, "CERTREQUEST") == 0)
		ui_note(x, file, l->line,
			"not carried over: CERTREQUEST: client certificates are client-ca-file and "
			"client-certificate-required in the serve section, with a PEM CA");
	else if (strcmp(d, "STATEPATH") != 0 && strcmp(d, "DISABLE_WEAK_SSL") != 0)
		ui_note(x, file, l->line, "not carried over: %s has no counterpart in upsagent", d);
}

static void upsd_conf(struct ui *x, struct serve_model *m)
{
	for (size_t i = 0; x->in->upsd && i < x->in->upsd->n_lines; i++)
		on_upsd_line(x, m, &x->in->upsd->lines[i]);
	/* Without LISTEN, upsd 2.8 listens on localhost only. */
	if (m->n_listen == 0) {
		listen_add(x, m, "127.0.0.1", 3493);
		listen_add(x, m, "::1", 3493);
	}
}

/* ---- users ------------------------------------------------------------ */

static int password_add(struct ui *x, const char *user, const char *password, unsigned line)
{
	struct upsd_import *r = x->res;
	struct upsmon_password *bigger =
	    reallocarray(r->passwords, r->n_passwords + 1, sizeof(*bigger));
	struct upsmon_password *p;

	if (!bigger)
		return x->error = -ENOMEM;
	r->passwords = bigger;
	p = &bigger[r->n_passwords];
	*p = (struct upsmon_password){.line = line};
	if (asprintf(&p->section, "user %s", user) < 0)
		p->section = NULL;
	if (asprintf(&p->path, "%s/user-%s.pw", x->in->password_dir, user) < 0)
		p->path = NULL;
	p->password = strdup(password);
	r->n_passwords++;
	if (!p->section || !p->path || !p->password)
		return x->error = -ENOMEM;
	return 0;
}

static int plaintext_add(struct ui *x, const char *user)
{
	size_t n = 0;
	char **bigger;

	while (x->res->plaintext_users && x->res->plaintext_users[n])
		n++;
	bigger = reallocarray(x->res->plaintext_users, n + 2, sizeof(*bigger));
	if (!bigger)
		return x->error = -ENOMEM;
	x->res->plaintext_users = bigger;
	bigger[n] = strdup(user);
	bigger[n + 1] = NULL;
	return bigger[n] ? 0 : (x->error = -ENOMEM);
}

/* "upsmon primary" (or master), "upsmon secondary" (or slave); NULL: none. */
static const char *user_role(struct ui *x, const struct nut_section *s)
{
	unsigned line = 0;
	const char *upsmon = nut_section_get(s, "upsmon", &line);

	if (!upsmon)
		return NULL;
	if (!strcasecmp(upsmon, "primary") || !strcasecmp(upsmon, "master"))
		return "primary";
	if (strcasecmp(upsmon, "secondary") != 0 && strcasecmp(upsmon, "slave") != 0)
		ui_note(x, x->in->users_path, line, "[%s] upsmon %s: taken as secondary", s->name,
			upsmon);
	return "secondary";
}

static void user_notes(struct ui *x, const struct nut_section *s, const char *role)
{
	const char *file = x->in->users_path;
	unsigned line = 0;

	if (nut_section_get(s, "actions", &line))
		ui_note(x, file, line,
			"[%s] actions: not carried over: the server is read-only (SET refused; "
			"FSD only from a primary user)",
			s->name);
	if (nut_section_get(s, "instcmds", &line))
		ui_note(x, file, line,
			"[%s] instcmds: not carried over: the server runs no instant command "
			"(upscmd gets CMD-NOT-SUPPORTED)",
			s->name);
	if (!role)
		ui_note(x, file, s->line,
			"[%s] has no upsmon line: kept as a secondary user (it may log in and "
			"read, as upsc does without one; never FSD)",
			s->name);
}

static void user_write(struct ui *x, FILE *f, const struct nut_section *s, bool tls)
{
	const char *role = user_role(x, s), *password = nut_section_get(s, "password", NULL);

	user_notes(x, s, role);
	if (!password || !password[0]) {
		ui_note(x, x->in->users_path, s->line,
			"[%s] has no password: not carried over (it could not log in to upsd)",
			s->name);
		return;
	}
	if (password_add(x, s->name, password, s->line) < 0)
		return;
	fprintf(f, "\tuser %s {\n", s->name);
	confwrite_option(f, "\t\t", "role", role ? role : "secondary");
	confwrite_option(f, "\t\t", "password-file",
			 x->res->passwords[x->res->n_passwords - 1].path);
	if (role) {
		fputs(
		    tls ? "\t\t# upsd also took this login in plaintext, from hosts without "
			  "FORCESSL 1:\n"
			  "\t\t# remove this line once every host of this user has FORCESSL 1.\n"
			: "\t\t# upsd took this login in plaintext: its hosts keep their "
			  "upsmon.conf\n"
			  "\t\t# until each moves to STARTTLS (upsagent check-config says how).\n",
		    f);
		fputs("\t\tplaintext-login = true\n", f);
		(void)plaintext_add(x, s->name);
	}
	fputs("\t}\n", f);
}

static void users_write(struct ui *x, FILE *f, bool tls)
{
	size_t n = 0;

	for (size_t i = 0; i < x->in->users.n && x->error >= 0; i++) {
		const struct nut_section *s = &x->in->users.s[i];

		if (!s->name)
			continue;
		if (!nut_word_ok(s->name)) {
			ui_note(x, x->in->users_path, s->line,
				"[%s]: not carried over: a user name is one plain word", s->name);
			continue;
		}
		user_write(x, f, s, tls);
		n++;
	}
	if (n == 0)
		ui_note(x, x->in->users_path ? x->in->users_path : "upsd.users", 0,
			"no user: nobody can log in to the server, so no other host can wait "
			"for its FSD; add user sections (upsagent.conf(5))");
}

/* ---- the section ------------------------------------------------------- */

static void cert_write(struct ui *x, FILE *f, const struct serve_model *m)
{
	const char *file = x->in->upsd ? x->in->upsd->path : "upsd.conf";

	if (m->certfile) {
		/* NUT's CERTFILE holds the certificate and its key in one PEM. */
		confwrite_option(f, "\t", "cert-file", m->certfile);
		confwrite_option(f, "\t", "key-file", m->certfile);
		ui_note(x, file, m->certfile_line,
			"CERTFILE %s: cert-file and key-file; the key must be readable by the "
			"daemon's user alone (install -m 0600 -o upsagent, or LoadCredential= and "
			"key-file = \"${CREDENTIALS_DIRECTORY}/...\")",
			m->certfile);
	} else if (m->certpath) {
		fprintf(f,
			"\t# upsd's certificate is in the NSS database %s; GnuTLS cannot read it:\n"
			"\t#   pk12util -o /etc/upsagent/server.p12 -n \"%s\" -d sql:%s\n"
			"\t#   openssl pkcs12 -in /etc/upsagent/server.p12 -nodes -out "
			"/etc/upsagent/server.pem\n"
			"\t#cert-file = \"/etc/upsagent/server.pem\"\n"
			"\t#key-file = \"/etc/upsagent/server.pem\"\n",
			m->certpath, m->certident ? m->certident : "NICKNAME", m->certpath);
		ui_note(x, file, 0,
			"CERTPATH %s is an NSS database: export the certificate and key with "
			"pk12util and openssl pkcs12 (the commands are in the serve section), then "
			"uncomment cert-file and key-file",
			m->certpath);
	}
}

static void listen_write(FILE *f, const struct serve_model *m, bool tls)
{
	confwrite_list(f, "\t", tls ? "listen-starttls" : "listen-plain", m->listen);
	if (!tls && m->public) {
		/* upsd took anyone who reached its address: the same, said. */
		fputs("\t# upsd took anyone who reached these addresses; narrow this down:\n", f);
		fputs("\tallow = {\"0.0.0.0/0\", \"::/0\"}\n", f);
	}
}

static void serve_write(struct ui *x, FILE *f, const struct serve_model *m)
{
	char *names[64 + 1] = {0};
	size_t n = 0;
	bool tls = m->certfile || m->certpath;

	for (size_t i = 0; i < x->res->n_local && n < 64; i++)
		if (x->res->local[i].options)
			names[n++] = (char *)x->res->local[i].ups;
	x->res->n_served = n;
	fputs("\n# upsd.conf and upsd.users: upsagent serves this host's UPS itself.\nserve {\n",
	      f);
	confwrite_list(f, "\t", "ups", names);
	listen_write(f, m, tls);
	cert_write(x, f, m);
	if (m->maxconn > 0)
		fprintf(f, "\tmax-clients = %ld\t# MAXCONN\n",
			m->maxconn < 10000 ? m->maxconn : 10000);
	users_write(x, f, tls);
	fputs("}\n", f);
}

int ui_serve(struct ui *x)
{
	struct serve_model m = {.maxconn = -1};
	size_t len = 0, n = 0;
	FILE *f = NULL;

	for (size_t i = 0; i < x->res->n_local; i++)
		n += x->res->local[i].options != NULL;
	if (n == 0)
		return ui_note(x, x->in->ups_path, 0,
			       "no UPS that upsagent can drive (usbhid-ups): nothing to serve; "
			       "NUT keeps serving the UPSes of this host");
	upsd_conf(x, &m);
	if (x->error >= 0 && !(f = open_memstream(&x->res->serve_text, &len)))
		x->error = -ENOMEM;
	if (x->error >= 0) {
		serve_write(x, f, &m);
		if (fclose(f) != 0)
			x->error = -ENOMEM;
	}
	for (size_t i = 0; i < m.n_listen; i++)
		free(m.listen[i]);
	return x->error;
}
