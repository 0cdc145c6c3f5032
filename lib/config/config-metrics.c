/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics section: where the HTTP exporter (agent/metrics) listens and
 * with which certificate, who may scrape it, and the textfile for
 * node_exporter. Like config-serve.c, each bad value is reported with its
 * line and loading goes on, so that one file shows every mistake at once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "config.h"
#include "target.h"

#define MAX_CONNECTIONS_DEFAULT 16
#define TIMEOUT_DEFAULT		(10 * USEC_PER_SEC)
#define TEXTFILE_SUFFIX		".prom" /* all that node_exporter's textfile collector reads */

/* ---- listen = {...} ---------------------------------------------------- */

/* One value into l (address and port; the mode is decided once the
 * certificate is known). false: reported. */
static bool listen_parse_one(const struct scope *s, unsigned idx, struct config_listen *l,
			     bool *loopback)
{
	const char *v = cfg_getnstr(s->sec, "listen", idx), *port;
	char host[INET6_ADDRSTRLEN + 8], text[INET6_ADDRSTRLEN];
	struct addr a = {0};

	if (listen_split(v, host, sizeof(host), &port) < 0 || !addr_parse(host, &a) || !port) {
		config_item_error(s, "listen", idx,
				  "'%.64s' is not a numeric address with a port, as in "
				  "\"127.0.0.1:9839\", \"[::]:9839\" or \"*:9839\"",
				  v);
		return false;
	}
	if (port_parse(port, &l->port) < 0) {
		config_item_error(s, "listen", idx,
				  "'%.64s': the port must be a number from 1 to 65535", v);
		return false;
	}
	*loopback = addr_loopback(&a);
	inet_ntop(a.family, a.bytes, text, sizeof(text));
	l->address = strdup(text);
	return true;
}

static bool listen_twice(const struct scope *s, const struct config_metrics *m,
			 const struct config_listen *l, unsigned idx)
{
	for (size_t j = 0; j < m->n_listen; j++)
		if (m->listen[j].port == l->port && strcmp(m->listen[j].address, l->address) == 0) {
			config_item_error(s, "listen", idx, "'%.64s' is listed twice",
					  cfg_getnstr(s->sec, "listen", idx));
			return true;
		}
	return false;
}

/* How many listeners are not on loopback, or -ENOMEM. */
static int metrics_listen(const struct scope *s, struct config_metrics *m)
{
	unsigned n = cfg_size(s->sec, "listen");
	int outside = 0;

	if (config_list_empty(s, "listen"))
		config_scope_error(s, "listen", "the list is empty (leave it out for none)");
	m->listen = calloc(n ? n : 1, sizeof(*m->listen));
	if (!m->listen)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct config_listen l = {.mode = CONFIG_LISTEN_PLAIN};
		bool loopback = true;

		if (!listen_parse_one(s, i, &l, &loopback))
			continue;
		if (!l.address)
			return -ENOMEM;
		if (listen_twice(s, m, &l, i)) {
			free(l.address);
			continue;
		}
		outside += !loopback;
		m->listen[m->n_listen++] = l;
	}
	return outside;
}

/* ---- TLS --------------------------------------------------------------- */

static void metrics_tls(const struct scope *s, struct config_metrics *m, int outside)
{
	bool cert = config_value(s, "cert-file"), key = config_value(s, "key-file");

	if (cert != key)
		config_scope_error(s, cert ? "cert-file" : "key-file",
				   "cert-file and key-file go together (the exporter's "
				   "certificate and its key)");
	if (config_value(s, "client-ca-file") && !cert)
		config_scope_error(s, "client-ca-file",
				   "mutual TLS needs TLS: cert-file and key-file");
	/* Readings and decisions are no secret, but who may read them is the
	 * administrator's to say: plaintext to the network only when written. */
	if (!cert && outside > 0 && cfg_size(s->sec, "allow") == 0)
		config_scope_error(s, "listen",
				   "plaintext HTTP on an address that is not loopback needs an "
				   "allow list of the networks that may scrape it (or cert-file "
				   "and key-file for TLS)");
	for (size_t i = 0; i < m->n_listen; i++)
		m->listen[i].mode = cert ? CONFIG_LISTEN_TLS : CONFIG_LISTEN_PLAIN;
}

/* ---- allow, numbers, textfile ------------------------------------------ */

static int metrics_allow(const struct scope *s, struct config_metrics *m)
{
	unsigned n = cfg_size(s->sec, "allow");

	if (config_list_empty(s, "allow"))
		config_scope_error(s, "allow", "the list is empty (leave it out for any address)");
	if (n == 0)
		return 0;
	m->allow = calloc(n, sizeof(*m->allow));
	if (!m->allow)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, "allow", i);

		if (net_parse(v, &m->allow[m->n_allow]) == 0)
			m->n_allow++;
		else
			config_item_error(
			    s, "allow", i,
			    "'%.64s' is not a numeric address or network (with no bits "
			    "set after the prefix), as in \"192.168.1.0/24\" or \"::1\"",
			    v);
	}
	return 0;
}

static void metrics_numbers(const struct scope *s, struct config_metrics *m)
{
	uint64_t t;

	m->max_connections = MAX_CONNECTIONS_DEFAULT;
	m->timeout = TIMEOUT_DEFAULT;
	(void)config_get_unsigned(s, "max-connections", 1024, &m->max_connections);
	if (config_value(s, "max-connections") && m->max_connections == 0) {
		config_scope_error(s, "max-connections", "must be at least 1");
		m->max_connections = MAX_CONNECTIONS_DEFAULT;
	}
	if (config_get_seconds(s, "timeout", false, &t) <= 0)
		return;
	if (t < USEC_PER_SEC || t > 300 * USEC_PER_SEC)
		config_scope_error(s, "timeout", "'%.64s' is not from 1 to 300 seconds",
				   config_value(s, "timeout"));
	else
		m->timeout = t;
}

static int metrics_textfile(const struct scope *s, struct config_metrics *m)
{
	size_t len, suffix = strlen(TEXTFILE_SUFFIX);
	int r = config_get_path(s, "textfile", false, &m->textfile);

	if (r <= 0)
		return r == -ENOMEM ? r : 0;
	len = strlen(m->textfile);
	if (len <= suffix + 1 || strcmp(m->textfile + len - suffix, TEXTFILE_SUFFIX) != 0 ||
	    m->textfile[len - suffix - 1] == '/')
		config_scope_error(s, "textfile",
				   "'%.64s' does not end in a name with \"%s\": node_exporter "
				   "reads only those",
				   m->textfile, TEXTFILE_SUFFIX);
	/* Never read back, so its directory needs no trust (the writer refuses
	 * to follow a link planted in its place); node_exporter's belongs to root. */
	return 0;
}

/* ---- who may connect --------------------------------------------------- */

/* The peer's address bytes and family; an IPv4-mapped IPv6 peer counts as
 * IPv4 against an IPv4 network. NULL for other families. */
static const uint8_t *peer_bytes(const struct sockaddr *sa, int net_family, int *family)
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family != AF_INET6)
		return NULL;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

	*family = AF_INET6;
	if (IN6_IS_ADDR_V4MAPPED(a6) && net_family == AF_INET) {
		*family = AF_INET;
		return &a6->s6_addr[12];
	}
	return a6->s6_addr;
}

static bool net_contains(const struct config_net *n, const struct sockaddr *sa)
{
	int family = 0;
	const uint8_t *addr = peer_bytes(sa, n->family, &family);
	unsigned bits = n->prefix;

	if (!addr || family != n->family)
		return false;
	for (unsigned i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((addr[i] & mask) != (n->addr[i] & mask))
			return false;
	}
	return true;
}

bool config_allows(const struct config_net *allow, size_t n, const struct sockaddr *sa)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (net_contains(&allow[i], sa))
			return true;
	return false;
}

/* ---- the section ------------------------------------------------------- */

static int metrics_load(const struct scope *s, struct config_metrics *m)
{
	int outside, r;

	m->line = config_line(s->p, s->sec, NULL, 0);
	metrics_numbers(s, m);
	outside = metrics_listen(s, m);
	r = outside < 0 ? outside
			: config_get_tls_files(s, &m->cert_file, &m->key_file, &m->client_ca_file);
	if (r >= 0) {
		metrics_tls(s, m, outside);
		r = metrics_allow(s, m);
	}
	if (r >= 0)
		r = metrics_textfile(s, m);
	if (r >= 0 && m->n_listen == 0 && !m->textfile && !config_value(s, "listen") &&
	    !config_value(s, "textfile"))
		config_scope_error(s, NULL,
				   "exports nowhere: write listen = {\"127.0.0.1:9839\"}, a "
				   "textfile, or both");
	return r == -ENOMEM ? r : 0;
}

int config_metrics_load(struct config_parse *p, cfg_t *cfg, struct config *c)
{
	unsigned n = cfg_size(cfg, "metrics");
	struct scope s = {p, NULL, "metrics: "};

	if (n == 0)
		return 0;
	s.sec = cfg_getnsec(cfg, "metrics", 0);
	if (n > 1)
		config_error(p, config_line(p, cfg_getnsec(cfg, "metrics", 1), NULL, 0),
			     "there is already a metrics section (line %u); there can be only one",
			     config_line(p, s.sec, NULL, 0));
	c->metrics = calloc(1, sizeof(*c->metrics));
	if (!c->metrics)
		return -ENOMEM;
	return metrics_load(&s, c->metrics);
}

struct config_metrics *config_metrics_free(struct config_metrics *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n_listen; i++)
		free(m->listen[i].address);
	free(m->listen);
	free(m->cert_file);
	free(m->key_file);
	free(m->client_ca_file);
	free(m->allow);
	free(m->textfile);
	free(m);
	return NULL;
}
