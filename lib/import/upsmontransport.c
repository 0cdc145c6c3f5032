/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the import (upsmonimport-internal.h): how each ups section
 * reaches its server. upsmon ran in plaintext or with STARTTLS it did not
 * verify (CERTVERIFY 0) far more often than not; requiring verified TLS
 * there would leave the host unprotected after the switch. So the CLI
 * probes each server first (upsmon_import::servers) and the section is
 * written as what works: verified TLS, a key pinned on first use, or
 * plaintext said plainly, each with a comment and a warning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confwrite.h"
#include "upsmonimport-internal.h"

int um_servers(struct um *m)
{
	struct upsmon_import *r = m->res;

	r->servers = calloc(m->n_mon ? m->n_mon : 1, sizeof(*r->servers));
	if (!r->servers)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_mon; i++) {
		const struct um_monitor *u = &m->mon[i];
		struct upsmon_server *s = &r->servers[r->n_servers++];

		*s = (struct upsmon_server){.host = u->host,
					    .port = u->port ? u->port : 3493,
					    .ups = u->ups,
					    .user = u->user,
					    .server_name = u->server_name,
					    .primary = u->primary,
					    .local = u->local != NULL,
					    .line = u->line};
		/* The model goes when the import ends: the result keeps copies. */
		s->section = strdup(u->name);
		s->host = strdup(u->host);
		s->ups = strdup(u->ups);
		s->user = u->user ? strdup(u->user) : NULL;
		s->server_name = u->server_name ? strdup(u->server_name) : NULL;
		for (size_t j = 0; j < r->n_passwords; j++)
			if (strcmp(r->passwords[j].section, u->name) == 0)
				s->password = r->passwords[j].password;
		if (!s->section || !s->host || !s->ups || (u->user && !s->user) ||
		    (u->server_name && !s->server_name))
			return -ENOMEM;
	}
	return 0;
}

void um_servers_free(struct upsmon_import *r)
{
	for (size_t i = 0; i < r->n_servers; i++) {
		free((char *)r->servers[i].section);
		free((char *)r->servers[i].host);
		free((char *)r->servers[i].ups);
		free((char *)r->servers[i].user);
		free((char *)r->servers[i].server_name);
	}
	free(r->servers);
}

static void emit_pinned(struct um *m, FILE *f, const struct um_monitor *u,
			const struct upsmon_transport *t)
{
	fprintf(f,
		"\t# Trusted on first use: the key %s showed on %s. Its certificate\n"
		"\t# cannot be verified (%s); upsmon did not check it (CERTVERIFY 0).\n"
		"\t# Better: its CA as ca-file, and this line removed.\n",
		u->host, t->when, t->why);
	confwrite_option(f, "\t", "pin-sha256", t->pin);
	um_comment_file(m, m->in->conf->path, u->line,
			"MONITOR %s: the server's certificate cannot be verified (%s): its key is "
			"pinned as trusted on first use (pin-sha256); check that it is %s's",
			u->system, t->why, u->host);
}

static void emit_plain(struct um *m, FILE *f, const struct um_monitor *u,
		       const struct upsmon_transport *t)
{
	fprintf(f,
		"\t# %s offers no TLS (%s, probed %s): the session, password\n"
		"\t# included, crosses the network in clear, as it did under upsmon.\n"
		"\t# Turn TLS on at that server (upsd.conf CERTFILE, or upsagent's own\n"
		"\t# serve section on that host), then remove this line.\n",
		u->host, t->why, t->when);
	confwrite_option(f, "\t", "tls", "off");
	um_comment_file(m, m->in->conf->path, u->line,
			"MONITOR %s: %s offers no TLS: tls = \"off\", the password crosses the "
			"network in clear as it did under upsmon; turn TLS on at that server "
			"(upsd.conf CERTFILE, or upsagent's serve section there)",
			u->system, u->host);
}

const struct upsmon_local *um_local(const struct um *m, const struct um_monitor *u)
{
	static const char *const here[] = {"localhost", "127.0.0.1", "::1", "[::1]"};
	bool local = false;

	for (size_t i = 0; i < sizeof(here) / sizeof(here[0]); i++)
		local |= strcasecmp(u->host, here[i]) == 0;
	for (size_t i = 0; local && i < m->in->n_local; i++)
		if (strcmp(m->in->local[i].ups, u->ups) == 0 && (u->port ? u->port : 3493) == 3493)
			return &m->in->local[i];
	return NULL;
}

void um_emit_transport(struct um *m, FILE *f, size_t i)
{
	const struct upsmon_transport *t =
	    m->in->transports && i < m->in->n_transports ? &m->in->transports[i] : NULL;
	const struct um_monitor *u = &m->mon[i];

	if (!t || t->tls == UPSMON_TLS_UNPROBED) {
		if (m->certpath)
			fputs("\t#ca-file = \"/etc/upsagent/ca.pem\"\t# see the certutil command "
			      "above\n",
			      f);
		return;
	}
	switch (t->tls) {
	case UPSMON_TLS_VERIFIED:
		fprintf(f, "\t# Verified TLS: read on %s.\n", t->when);
		if (t->ca_file)
			confwrite_option(f, "\t", "ca-file", t->ca_file);
		break;
	case UPSMON_TLS_PINNED:
		emit_pinned(m, f, u, t);
		break;
	case UPSMON_TLS_OFF:
		emit_plain(m, f, u, t);
		break;
	case UPSMON_TLS_UNPROBED:
		break;
	}
}
