/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serve section: the UPSes this host serves to others over the NUT
 * protocol (agent/serve.c), where it listens, with which certificate, to
 * whom, and the accounts. Like config.c, each bad value is reported with
 * its line and loading goes on with the default, so that one file shows
 * every mistake at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config-internal.h"
#include "config.h"
#include "target.h"

#define SERVE_TLS_PORT		  401  /* NUT over TLS 1.3 from the first byte */
#define SERVE_NUT_PORT		  3493 /* upsd's port: STARTTLS, or loopback plaintext */
#define MAX_CLIENTS_DEFAULT	  256
#define BEFORE_LOGIN_DEFAULT	  32 /* connections not authenticated yet */
#define BEFORE_LOGIN_PER_ADDRESS  4  /* of those, from one address */
#define HANDSHAKE_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
#define IDLE_TIMEOUT_DEFAULT	  (60 * USEC_PER_SEC) /* upsd drops a silent client after 60 s */
#define CERT_NAME_MAX		  253		      /* the longest DNS name */

/* The listen options, in the order of enum config_listen_mode. */
static const struct listen_opt {
	const char *name;
	uint16_t port; /* when the value has none */
} listen_opts[_CONFIG_LISTEN_MAX] = {
    [CONFIG_LISTEN_TLS] = {"listen", SERVE_TLS_PORT},
    [CONFIG_LISTEN_STARTTLS] = {"listen-starttls", SERVE_NUT_PORT},
    [CONFIG_LISTEN_PLAIN] = {"listen-plain", SERVE_NUT_PORT},
};

static const char *const role_names[] = {"secondary", "primary"};

/* Value idx of list name: "FILE:LINE: serve: name: message" at its own line. */
#define item_error config_item_error

/* ---- ups = {...} ------------------------------------------------------- */

static bool ups_known(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_ups; i++)
		if (strcmp(c->ups[i].name, name) == 0)
			return true;
	return false;
}

static int serve_ups(const struct scope *s, const struct config *c, struct config_serve *sv)
{
	unsigned n = cfg_size(s->sec, "ups");

	if (n == 0)
		return config_scope_error(s, config_list_empty(s, "ups") ? "ups" : NULL,
					  "%s: the names of the ups sections to serve, as in "
					  "ups = {\"rack-a\"}",
					  config_list_empty(s, "ups") ? "the list is empty"
								      : "ups is missing");
	sv->ups = calloc(n + 1, sizeof(*sv->ups));
	if (!sv->ups)
		return -ENOMEM;
	for (unsigned i = 0, k = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, "ups", i);
		bool twice = false;

		for (unsigned j = 0; j < k && !twice; j++)
			twice = strcmp(sv->ups[j], v) == 0;
		/* Without ups sections that is reported already, once. */
		if (c->n_ups > 0 && !ups_known(c, v))
			item_error(s, "ups", i, "'%.64s' is not the name of a ups section", v);
		else if (twice)
			item_error(s, "ups", i, "'%.64s' is listed twice", v);
		else if (!(sv->ups[k++] = strdup(v)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- listen, listen-starttls, listen-plain ----------------------------- */

/* Numeric only: a name would need DNS before the daemon could listen. */
bool addr_parse(const char *text, struct addr *a)
{
	if (inet_pton(AF_INET, text, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, text, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return false;
	return true;
}

/* "[v6]:port", "[v6]", "v4:port", "v4", "v6", "*:port", "*" into host and
 * port (NULL: none). -EINVAL: not of any of these forms. */
int listen_split(const char *v, char *host, size_t size, const char **port)
{
	const char *end = v[0] == '[' ? strchr(v, ']') : NULL, *colon = strchr(v, ':');
	size_t len;

	*port = NULL;
	host[0] = '\0';
	if (v[0] == '[') {
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		len = (size_t)(end - v - 1);
		v++;
		*port = end[1] ? end + 2 : NULL;
	} else if (colon && !strchr(colon + 1, ':')) {
		len = (size_t)(colon - v);
		*port = colon + 1;
	} else {
		len = strlen(v); /* bare IPv6 has two colons or more */
	}
	if (len >= size)
		return -EINVAL;
	memcpy(host, v, len);
	host[len] = '\0';
	if (strcmp(host, "*") == 0)
		snprintf(host, size, "::");
	return 0;
}

bool addr_loopback(const struct addr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, v6_loopback, sizeof(v6_loopback)) == 0;
}

/* One value of a listen option into l; false (reported) if it is bad. */
static bool listen_parse(const struct scope *s, enum config_listen_mode mode, unsigned idx,
			 struct config_listen *l)
{
	const char *name = listen_opts[mode].name, *v = cfg_getnstr(s->sec, name, idx), *port;
	char host[INET6_ADDRSTRLEN + 8], text[INET6_ADDRSTRLEN];
	struct addr a = {0};

	l->mode = mode;
	l->port = listen_opts[mode].port;
	if (listen_split(v, host, sizeof(host), &port) < 0 || !addr_parse(host, &a)) {
		if (host[0] && strspn(host, "0123456789.:[]*") < strlen(host) && !strchr(host, ':'))
			item_error(s, name, idx,
				   "'%.64s': not a numeric address; host names are not allowed "
				   "here (write 0.0.0.0, :: or an address of this host)",
				   v);
		else
			item_error(s, name, idx,
				   "'%.64s' is not an address with an optional port, as in "
				   "\"[::]:%u\", \"0.0.0.0\" or \"*:%u\"",
				   v, l->port, l->port);
		return false;
	}
	if (port && port_parse(port, &l->port) < 0) {
		item_error(s, name, idx, "'%.64s': the port must be a number from 1 to 65535", v);
		return false;
	}
	/* Beyond loopback only for the readers of an allow list: no login there. */
	if (mode == CONFIG_LISTEN_PLAIN && !addr_loopback(&a) && cfg_size(s->sec, "allow") == 0) {
		item_error(s, name, idx,
			   "'%.64s': plaintext beyond loopback (127.0.0.0/8, ::1) needs an "
			   "allow list: it serves reads to clients without TLS, to the "
			   "networks written there; use listen-starttls or listen for clients "
			   "that log in",
			   v);
		return false;
	}
	/* One spelling per address, so that duplicates show and the daemon
	 * can pass it to inet_pton() as it is. */
	inet_ntop(a.family, a.bytes, text, sizeof(text));
	l->address = strdup(text);
	return true;
}

/* Where listener j of sv is written, to point at it from a duplicate. */
struct listen_src {
	const char *text; /* libconfuse's copy, kept until the load ends */
	unsigned line;
};

static bool listen_twice(const struct scope *s, const struct config_serve *sv,
			 const struct listen_src *src, const struct config_listen *l,
			 const char *name, unsigned idx)
{
	for (size_t j = 0; j < sv->n_listen; j++) {
		const struct config_listen *o = &sv->listen[j];

		if (o->port != l->port || strcmp(o->address, l->address) != 0)
			continue;
		item_error(s, name, idx,
			   "'%.64s': the same address and port as '%.64s' (%s, line %u)",
			   cfg_getnstr(s->sec, name, idx), src[j].text, listen_opts[o->mode].name,
			   src[j].line);
		return true;
	}
	return false;
}

static int listen_add(const struct scope *s, enum config_listen_mode mode, unsigned idx,
		      struct config_serve *sv, struct listen_src *src)
{
	const char *name = listen_opts[mode].name;
	struct config_listen l = {0};

	if (!listen_parse(s, mode, idx, &l))
		return 0;
	if (!l.address)
		return -ENOMEM;
	if (listen_twice(s, sv, src, &l, name, idx)) {
		free(l.address);
		return 0;
	}
	src[sv->n_listen] = (struct listen_src){cfg_getnstr(s->sec, name, idx),
						config_line(s->p, s->sec, name, idx)};
	sv->listen[sv->n_listen++] = l;
	return 0;
}

static int serve_listen(const struct scope *s, struct config_serve *sv)
{
	_cleanup_free_ struct listen_src *src = NULL;
	size_t total = 0;
	bool any = false;

	for (unsigned m = 0; m < _CONFIG_LISTEN_MAX; m++) {
		total += cfg_size(s->sec, listen_opts[m].name);
		any = any || cfg_size(s->sec, listen_opts[m].name) > 0 ||
		      config_list_empty(s, listen_opts[m].name);
		if (config_list_empty(s, listen_opts[m].name))
			config_scope_error(s, listen_opts[m].name,
					   "the list is empty (leave it out for none)");
	}
	sv->listen = calloc(total ? total : 1, sizeof(*sv->listen));
	src = calloc(total ? total : 1, sizeof(*src));
	if (!sv->listen || !src)
		return -ENOMEM;
	if (!any) {
		sv->listen[0] =
		    (struct config_listen){CONFIG_LISTEN_TLS, strdup("::"), SERVE_TLS_PORT};
		sv->n_listen = 1;
		return sv->listen[0].address ? 0 : -ENOMEM;
	}
	for (unsigned m = 0; m < _CONFIG_LISTEN_MAX; m++)
		for (unsigned i = 0; i < cfg_size(s->sec, listen_opts[m].name); i++)
			if (listen_add(s, (enum config_listen_mode)m, i, sv, src) < 0)
				return -ENOMEM;
	return 0;
}

/* ---- certificates and keys --------------------------------------------- */

static bool serve_speaks_tls(const struct config_serve *sv)
{
	for (size_t i = 0; i < sv->n_listen; i++)
		if (sv->listen[i].mode != CONFIG_LISTEN_PLAIN)
			return true;
	return false;
}

static int serve_files(const struct scope *s, struct config_serve *sv)
{
	int r = config_get_tls_files(s, &sv->cert_file, &sv->key_file, &sv->client_ca_file);

	if (r >= 0)
		r = config_get_path(s, "client-crl-file", false, &sv->client_crl_file);
	if (r > 0)
		(void)config_check_readable(s, "client-crl-file", sv->client_crl_file);
	return r == -ENOMEM ? r : 0;
}

static void serve_tls(const struct scope *s, struct config_serve *sv)
{
	static const char *const bool_names[] = {"false", "true"};
	bool cert = config_value(s, "cert-file"), key = config_value(s, "key-file");
	unsigned required = 0;

	if (serve_speaks_tls(sv) && (!cert || !key))
		config_scope_error(s, NULL,
				   "%s is missing: the listeners that speak TLS (listen, "
				   "listen-starttls, or without any listen option [::]:401) need "
				   "the server's certificate and its key",
				   cert ? "key-file" : "cert-file");
	else if (cert != key)
		config_scope_error(s, cert ? "cert-file" : "key-file",
				   "cert-file and key-file go together (the server's "
				   "certificate and its key)");
	(void)config_get_choice(s, "client-certificate-required", bool_names,
				ELEMENTSOF(bool_names), &required);
	sv->client_cert_required = required;
	if (required && !config_value(s, "client-ca-file"))
		config_scope_error(s, "client-certificate-required",
				   "true needs client-ca-file, the CA that the client "
				   "certificates are verified against");
	if (config_value(s, "client-crl-file") && !config_value(s, "client-ca-file"))
		config_scope_error(s, "client-crl-file",
				   "needs client-ca-file, the CA whose revocations it lists");
}

/* ---- allow = {...} ----------------------------------------------------- */

/* "192.168.1.0/24", "2001:db8::/32", "10.0.0.5". 0, -EINVAL, or -EDOM:
 * bits set after the prefix, with *n holding the network it means. */
int net_parse(const char *v, struct config_net *n)
{
	const char *slash = strchr(v, '/');
	size_t len = slash ? (size_t)(slash - v) : strlen(v);
	char host[INET6_ADDRSTRLEN], *end;
	unsigned long prefix;
	struct addr a = {0};
	bool cut = false;

	if (len >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, len);
	host[len] = '\0';
	if (!addr_parse(host, &a))
		return -EINVAL;
	n->family = a.family;
	n->prefix = a.family == AF_INET ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > n->prefix)
			return -EINVAL;
		n->prefix = (unsigned)prefix;
	}
	memcpy(n->addr, a.bytes, sizeof(n->addr));
	for (unsigned bit = n->prefix; bit < (a.family == AF_INET ? 32u : 128u); bit++)
		if (n->addr[bit / 8] & (0x80 >> (bit % 8))) {
			n->addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
			cut = true;
		}
	return cut ? -EDOM : 0;
}

static int serve_allow(const struct scope *s, struct config_serve *sv)
{
	unsigned n = cfg_size(s->sec, "allow");

	/* "= {}" is the same as leaving it out: anyone. */
	if (n == 0)
		return 0;
	sv->allow = calloc(n, sizeof(*sv->allow));
	if (!sv->allow)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, "allow", i);
		struct config_net *net = &sv->allow[sv->n_allow];
		char text[INET6_ADDRSTRLEN];
		int r = net_parse(v, net);

		if (r == 0) {
			sv->n_allow++;
			continue;
		}
		if (r == -EDOM)
			item_error(s, "allow", i,
				   "'%.64s' has bits set after the first %u bits; the network "
				   "is %s/%u",
				   v, net->prefix,
				   inet_ntop(net->family, net->addr, text, sizeof(text)),
				   net->prefix);
		else
			item_error(s, "allow", i,
				   "'%.64s' is not a numeric address or network, as in "
				   "\"192.168.1.0/24\", \"2001:db8::/32\" or \"10.0.0.5\"",
				   v);
	}
	return 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* A count from 1 to 65535 into *ret, which holds the default. */
static void serve_count(const struct scope *s, const char *name, unsigned *ret)
{
	const char *v = config_value(s, name);
	unsigned long n;
	char *end;

	if (!v)
		return;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno || n < 1 || n > 65535)
		config_scope_error(s, name, "'%.64s' is not a whole number from 1 to 65535", v);
	else
		*ret = (unsigned)n;
}

static void serve_max_clients(const struct scope *s, struct config_serve *sv)
{
	sv->max_clients = MAX_CLIENTS_DEFAULT;
	sv->max_before_login = BEFORE_LOGIN_DEFAULT;
	sv->max_before_login_per_address = BEFORE_LOGIN_PER_ADDRESS;
	serve_count(s, "max-clients", &sv->max_clients);
	serve_count(s, "max-before-login", &sv->max_before_login);
	serve_count(s, "max-before-login-per-address", &sv->max_before_login_per_address);
	/* Within max-clients: a smaller max-clients is the budget then. */
	if (sv->max_before_login > sv->max_clients)
		sv->max_before_login = sv->max_clients;
}

static void serve_timeout(const struct scope *s, const char *name, unsigned min, unsigned max,
			  uint64_t *ret)
{
	uint64_t v;

	if (config_get_seconds(s, name, false, &v) <= 0)
		return;
	if (v < min * USEC_PER_SEC || v > max * USEC_PER_SEC)
		config_scope_error(s, name, "'%.64s' is not from %u to %u seconds",
				   config_value(s, name), min, max);
	else
		*ret = v;
}

/* ---- user NAME { ... } ------------------------------------------------- */

/* A subjectAltName as the certificate has it: a DNS name or an e-mail address. */
static bool cert_name_ok(const char *v)
{
	size_t n = strlen(v);

	return n > 0 && n <= CERT_NAME_MAX && config_text_ok(v) && !strpbrk(v, " \t\"'\\");
}

static void user_certificate_unique(const struct scope *s, const struct config_serve *sv,
				    const struct config_serve_user *u)
{
	for (size_t j = 0; j < sv->n_users; j++) {
		const struct config_serve_user *o = &sv->users[j];

		if (o == u || !o->certificate_name || o->certificate_type != u->certificate_type ||
		    strcasecmp(o->certificate_name, u->certificate_name) != 0)
			continue;
		config_scope_error(s, "client-certificate",
				   "'%.64s' is already the certificate of user %s (line %u)",
				   u->certificate_name, o->name, o->line);
		return;
	}
}

/* "DNS:name", "email:address", or bare: an address has an '@', a DNS name never. */
static void user_certificate_type(struct config_serve_user *u)
{
	static const struct {
		const char *prefix;
		enum tls_name_type type;
	} prefixes[] = {{"DNS:", TLS_NAME_DNS}, {"email:", TLS_NAME_EMAIL}};
	char *name = u->certificate_name;

	u->certificate_type = strchr(name, '@') ? TLS_NAME_EMAIL : TLS_NAME_DNS;
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (strncasecmp(name, prefixes[i].prefix, n) == 0) {
			u->certificate_type = prefixes[i].type;
			memmove(name, name + n, strlen(name + n) + 1);
			return;
		}
	}
}

static int user_certificate(const struct scope *s, const struct config_serve *sv,
			    struct config_serve_user *u)
{
	int r = config_get_string(s, "client-certificate", &u->certificate_name);

	if (r <= 0)
		return r;
	user_certificate_type(u);
	if (u->certificate_type == TLS_NAME_DNS && strchr(u->certificate_name, '@'))
		config_scope_error(s, "client-certificate",
				   "'%.64s': a DNS name has no '@' (write \"email:%.64s\" for "
				   "an e-mail address)",
				   u->certificate_name, u->certificate_name);
	if (!cert_name_ok(u->certificate_name))
		config_scope_error(s, "client-certificate",
				   "'%.64s' is not a name a certificate carries (a DNS name or "
				   "an e-mail address of up to %d characters)",
				   u->certificate_name, CERT_NAME_MAX);
	else
		user_certificate_unique(s, sv, u);
	return 0;
}

static int user_load(const struct scope *s, const struct config_serve *sv,
		     struct config_serve_user *u)
{
	static const char *const bool_names[] = {"false", "true"};
	unsigned role = CONFIG_ROLE_SECONDARY, plain = 0;
	int r;

	if (config_get_title(s, "a user name", &u->line, &u->name) < 0)
		return -ENOMEM;
	(void)config_get_choice(s, "role", role_names, ELEMENTSOF(role_names), &role);
	u->role = (enum config_role)role;
	/* The ups sections' password-file check: the password is not kept. */
	r = config_get_path(s, "password-file", false, &u->password_file);
	if (r > 0)
		(void)config_check_secret(s, "password-file", u->password_file, "password file");
	if (r == -ENOMEM || user_certificate(s, sv, u) == -ENOMEM)
		return -ENOMEM;
	if (config_get_choice(s, "plaintext-login", bool_names, ELEMENTSOF(bool_names), &plain) > 0)
		u->plaintext_login = plain;
	if (u->plaintext_login && !u->password_file)
		config_scope_error(s, "plaintext-login",
				   "needs a password-file: a plaintext login is USERNAME and "
				   "PASSWORD");
	if (!config_value(s, "password-file") && !config_value(s, "client-certificate"))
		config_scope_error(s, NULL,
				   "needs a password-file or a client-certificate (or both) "
				   "to log in with");
	return 0;
}

size_t config_serve_plaintext_users(const struct config_serve *sv, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; sv && i < sv->n_users; i++) {
		if (!sv->users[i].plaintext_login)
			continue;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", n ? ", " : "",
						 sv->users[i].name);
		n++;
	}
	return n;
}

static int serve_users(const struct scope *s, struct config_serve *sv)
{
	unsigned n = cfg_size(s->sec, "user"), ca_missing = 0;

	sv->users = calloc(n ? n : 1, sizeof(*sv->users));
	if (!sv->users)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct scope us = {s->p, cfg_getnsec(s->sec, "user", i), ""};
		struct config_serve_user *u = &sv->users[sv->n_users++];

		snprintf(us.what, sizeof(us.what), "serve: user %.64s: ", cfg_title(us.sec));
		if (user_load(&us, sv, u) < 0)
			return -ENOMEM;
		/* Once, at the first user that needs it: one mistake, one message. */
		if (u->certificate_name && !config_value(s, "client-ca-file") && !ca_missing++)
			config_scope_error(&us, "client-certificate",
					   "needs client-ca-file in the serve section, the CA "
					   "that client certificates are verified against");
	}
	return 0;
}

/* ---- the section ------------------------------------------------------- */

static int serve_load(const struct scope *s, const struct config *c, struct config_serve *sv)
{
	int r;

	sv->line = config_line(s->p, s->sec, NULL, 0);
	sv->handshake_timeout = HANDSHAKE_TIMEOUT_DEFAULT;
	sv->idle_timeout = IDLE_TIMEOUT_DEFAULT;
	serve_max_clients(s, sv);
	serve_timeout(s, "handshake-timeout", 1, 300, &sv->handshake_timeout);
	serve_timeout(s, "idle-timeout", 5, 3600, &sv->idle_timeout);
	r = serve_ups(s, c, sv);
	if (r >= 0 || r == -EINVAL)
		r = serve_listen(s, sv);
	if (r >= 0)
		r = serve_files(s, sv);
	if (r >= 0)
		serve_tls(s, sv);
	if (r >= 0)
		r = serve_allow(s, sv);
	if (r >= 0)
		r = serve_users(s, sv);
	return r == -ENOMEM ? r : 0;
}

int config_serve_load(struct config_parse *p, cfg_t *cfg, struct config *c)
{
	unsigned n = cfg_size(cfg, "serve");
	struct scope s = {p, NULL, "serve: "};

	if (n == 0)
		return 0;
	s.sec = cfg_getnsec(cfg, "serve", 0);
	if (n > 1)
		config_error(p, config_line(p, cfg_getnsec(cfg, "serve", 1), NULL, 0),
			     "there is already a serve section (line %u); there can be only one",
			     config_line(p, s.sec, NULL, 0));
	c->serve = calloc(1, sizeof(*c->serve));
	if (!c->serve)
		return -ENOMEM;
	return serve_load(&s, c, c->serve);
}

struct config_serve *config_serve_free(struct config_serve *sv)
{
	if (!sv)
		return NULL;
	config_argv_free(sv->ups);
	for (size_t i = 0; i < sv->n_listen; i++)
		free(sv->listen[i].address);
	free(sv->listen);
	free(sv->cert_file);
	free(sv->key_file);
	free(sv->client_ca_file);
	free(sv->client_crl_file);
	free(sv->allow);
	for (size_t i = 0; i < sv->n_users; i++) {
		free(sv->users[i].name);
		free(sv->users[i].password_file);
		free(sv->users[i].certificate_name);
	}
	free(sv->users);
	free(sv);
	return NULL;
}
