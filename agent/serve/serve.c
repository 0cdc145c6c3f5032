/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server: listeners (from systemd's socket unit, or bound from the
 * serve section), the table of served UPSes (watches of this daemon, so any
 * source can be served), the accounts, and the login counts that the host's
 * shutdown waits on as upsmon's primary waits on upsd's NUMLOGINS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "secret.h"
#include "serve-internal.h"

/* ---- the protocol's questions ------------------------------------------- */

static size_t ops_ups_count(void *ud)
{
	return ((struct server *)ud)->n_ups;
}

static const char *ops_ups_name(void *ud, size_t i)
{
	return ((struct server *)ud)->ups[i].name;
}

static const char *ops_ups_desc(void *ud, size_t i)
{
	const struct server *srv = ud;
	const struct varlist *v = srv->ops->vars(srv->userdata, srv->ups[i].index, NULL);

	return v ? varlist_get(v, "device.model") : NULL;
}

static int ops_ups_vars(void *ud, size_t i, const struct varlist **ret)
{
	struct server *srv = ud;
	uint64_t when = 0, now = 0, max_age = 3 * srv->config->poll_interval;
	const struct varlist *v = srv->ops->vars(srv->userdata, srv->ups[i].index, &when);

	if (!v)
		return -ENOTCONN;
	if (max_age < SERVE_STALE_MIN)
		max_age = SERVE_STALE_MIN;
	(void)sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
	if (now > when + max_age)
		return -ESTALE;
	*ret = v;
	return 0;
}

static unsigned ops_ups_numlogins(void *ud, size_t i)
{
	struct server *srv = ud;
	unsigned n = 0;

	for (struct serve_client *c = srv->clients; c; c = c->next)
		n += c->ss.login == (int)i;
	return n;
}

static void ops_ups_clients(void *ud, size_t i, void (*fn)(const char *addr, void *ctx), void *ctx)
{
	for (struct serve_client *c = ((struct server *)ud)->clients; c; c = c->next)
		if (c->ss.login == (int)i)
			fn(c->addr, ctx);
}

/* Compares all of both, whatever differs first: no timing hint. */
static bool secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0;
}

static bool password_ok(const struct config_serve_user *u, const char *password)
{
	char err[256], *secret = NULL;
	bool ok;

	if (!u->password_file || !password)
		return false;
	/* Read at each login, never kept: the file may change, a reload is not needed. */
	if (secret_read_file(u->password_file, &secret, err, sizeof(err)) < 0) {
		log_error("serve: user %s: %s", u->name, err);
		return false;
	}
	ok = secret_equal(secret, password);
	secret_free(secret);
	return ok;
}

/* By USERNAME, or else by the certificate name a session matched: the
 * config's own string (client_match_certificate()), so the pointer says it. */
static const struct config_serve_user *user_find(const struct config_serve *cfg, const char *name,
						 const char *cert_name)
{
	for (size_t i = 0; i < cfg->n_users; i++) {
		const struct config_serve_user *u = &cfg->users[i];

		if (name ? strcmp(u->name, name) == 0 : u->certificate_name == cert_name)
			return u;
	}
	return NULL;
}

/* After a reload: the user whose certificate name and type a session matched before. */
static const struct config_serve_user *
user_find_cert(const struct config_serve *cfg, const char *cert_name, enum tls_name_type type)
{
	for (size_t i = 0; i < cfg->n_users; i++) {
		const struct config_serve_user *u = &cfg->users[i];

		if (u->certificate_name && u->certificate_type == type &&
		    strcasecmp(u->certificate_name, cert_name) == 0)
			return u;
	}
	return NULL;
}

static int ops_authenticate(void *ud, const char *user, const char *password, const char *cert_name,
			    bool clear, enum serve_role *ret)
{
	const struct config_serve *cfg = ((struct server *)ud)->cfg;
	const struct config_serve_user *u;
	bool ok;

	if (!user && !cert_name)
		return -EACCES;
	u = user_find(cfg, user, cert_name);
	if (!u)
		return -EACCES;
	/* A certificate that names this user suffices; otherwise the password. */
	ok = (cert_name && u->certificate_name == cert_name) || password_ok(u, password);
	/* In clear only those the administrator (or import-upsd) allowed so. */
	if (!ok || (clear && !u->plaintext_login))
		return -EACCES;
	*ret = u->role == CONFIG_ROLE_PRIMARY ? SERVE_ROLE_PRIMARY : SERVE_ROLE_SECONDARY;
	return 0;
}

static int ops_set_fsd(void *ud, size_t i, const char *user)
{
	const struct server *srv = ud;

	log_warning("serve: primary user %s set forced shutdown (FSD) on %s", user ? user : "?",
		    srv->ups[i].name);
	srv->ops->set_fsd(srv->userdata, srv->ups[i].index);
	return 0;
}

const struct serve_ops serve_ops = {
    .ups_count = ops_ups_count,
    .ups_name = ops_ups_name,
    .ups_desc = ops_ups_desc,
    .ups_vars = ops_ups_vars,
    .ups_numlogins = ops_ups_numlogins,
    .ups_clients = ops_ups_clients,
    .authenticate = ops_authenticate,
    .set_fsd = ops_set_fsd,
};

void serve_login_changed(struct server *srv, struct serve_client *c)
{
	if (c && c->ss.login >= 0 && (size_t)c->ss.login < srv->n_ups) {
		const char *name = srv->ups[c->ss.login].name;

		free(c->login_ups);
		c->login_ups = strdup(name);
		log_info("serve: %s@%s logged into %s (%s)",
			 c->ss.username ? c->ss.username : c->ss.cert_name, c->who, name,
			 c->ss.role == SERVE_ROLE_PRIMARY ? "primary" : "secondary");
	}
	/* A host waiting for its secondaries to leave asks again now. */
	srv->ops->logins_changed(srv->userdata);
}

unsigned server_logins(const struct server *srv, size_t ups)
{
	for (size_t i = 0; srv && i < srv->n_ups; i++)
		if (srv->ups[i].index == ups)
			return ops_ups_numlogins((void *)srv, i);
	return 0;
}

struct server_counters server_counters(const struct server *srv)
{
	if (!srv)
		return (struct server_counters){0};
	return (struct server_counters){srv->n_clients, srv->handshakes, srv->auth_failures};
}

/* ---- life cycle ----------------------------------------------------------- */

static int server_map_ups(struct server *srv)
{
	size_t n = 0;

	while (srv->cfg->ups[n])
		n++;
	free(srv->ups);
	srv->ups = calloc(n ? n : 1, sizeof(*srv->ups));
	if (!srv->ups)
		return -ENOMEM;
	srv->n_ups = 0;
	for (size_t i = 0; i < n; i++) {
		int index = srv->ops->find(srv->userdata, srv->cfg->ups[i]);

		if (index >= 0)
			srv->ups[srv->n_ups++] =
			    (struct serve_ups){.name = srv->cfg->ups[i], .index = (size_t)index};
	}
	return 0;
}

static bool server_needs_tls(const struct config_serve *cfg, bool activated)
{
	/* Sockets from systemd speak TLS unless said otherwise: creds always then. */
	if (activated || cfg->n_listen == 0)
		return true;
	for (size_t i = 0; i < cfg->n_listen; i++)
		if (cfg->listen[i].mode != CONFIG_LISTEN_PLAIN)
			return true;
	return false;
}

static int server_load_creds(const struct config_serve *cfg, struct tls_creds **ret)
{
	struct tls_server_options o = {
	    .cert_file = cfg->cert_file,
	    .key_file = cfg->key_file,
	    .client_ca_file = cfg->client_ca_file,
	    .client_crl_file = cfg->client_crl_file,
	    .client_cert_required = cfg->client_cert_required,
	};
	char err[512];
	int r = tls_server_creds_new(&o, ret, err, sizeof(err));

	if (r < 0)
		log_error("serve: %s", err[0] ? err : strerror(-r));
	return r;
}

/*
 * max-clients against RLIMIT_NOFILE (the daemon raised it to its hard limit
 * at start; the unit's LimitNOFILE= sets that): every client is an fd, and
 * SERVE_FD_RESERVE more stay for hooks, logind and the status socket, so
 * that they work at max-clients. -ERANGE when they do not fit: said, and
 * srv->max_clients is what fits.
 */
static int server_check_fds(struct server *srv)
{
	struct rlimit rl;
	rlim_t left;

	srv->max_clients = srv->cfg->max_clients;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	left = rl.rlim_cur > SERVE_FD_RESERVE + srv->n_listeners
		   ? rl.rlim_cur - SERVE_FD_RESERVE - srv->n_listeners
		   : 1;
	if (srv->cfg->max_clients <= left)
		return 0;
	log_error("serve: max-clients = %u is more than the %llu file descriptors left for "
		  "clients (RLIMIT_NOFILE %llu, %u kept for hooks, logind and the status "
		  "socket): lower max-clients, or raise LimitNOFILE= in the unit",
		  srv->cfg->max_clients, (unsigned long long)left, (unsigned long long)rl.rlim_cur,
		  SERVE_FD_RESERVE);
	srv->max_clients = (unsigned)left;
	return -ERANGE;
}

static void server_take_env(struct server *srv, const struct server_env *env)
{
	srv->event = env->event;
	srv->config = env->config;
	srv->ops = env->ops;
	srv->userdata = env->userdata;
	srv->cfg = env->config->serve;
}

/* At every start and reload: who may still log in in clear, by name. */
static void server_warn_plaintext(const struct server *srv)
{
	char names[512];
	size_t n = config_serve_plaintext_users(srv->cfg, names, sizeof(names));

	if (n > 0)
		log_warning("serve: user%s %s may log in in plaintext (plaintext-login): the "
			    "password crosses the network in clear; move their hosts to STARTTLS "
			    "(upsagent check-config says how) and remove plaintext-login",
			    n == 1 ? "" : "s", names);
}

int server_open(const struct server_env *env, struct server **ret)
{
	struct server *srv;
	int r;

	*ret = NULL;
	if (!env->config->serve) {
		serve_listen_refuse_unused(env->sockets, env->n_sockets);
		return 0;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	server_take_env(srv, env);
	*ret = srv;
	r = server_map_ups(srv);
	if (r >= 0)
		r = serve_door_open(srv);
	if (r >= 0)
		r = serve_listen_open(srv, env->sockets, env->n_sockets);
	if (r >= 0)
		r = server_check_fds(srv);
	if (r >= 0 && server_needs_tls(srv->cfg, srv->socket_activated))
		r = server_load_creds(srv->cfg, &srv->creds);
	if (r < 0)
		return r; /* the caller frees; each failure was logged */
	for (size_t i = 0; i < srv->n_ups; i++)
		log_info("serve: sharing %s", srv->ups[i].name);
	server_warn_plaintext(srv);
	return 0;
}

struct server *server_free(struct server *srv)
{
	if (!srv)
		return NULL;
	/* The door first: nobody gets in while the clients are let go. */
	serve_listen_close(srv);
	while (srv->clients)
		serve_client_free(srv->clients);
	tls_creds_free(srv->creds);
	serve_door_close(srv);
	free(srv->ups);
	free(srv);
	return NULL;
}

/* After a reload: the clients' pointers into the old configuration are re-made. */
static void server_rebind_clients(struct server *srv)
{
	struct serve_client *c = srv->clients;

	while (c) {
		struct serve_client *next = c->next;
		const struct config_serve_user *u = NULL;

		if (c->ss.cert_name)
			u = user_find_cert(srv->cfg, c->ss.cert_name, c->cert_type);
		c->ss.cert_name = u ? u->certificate_name : NULL;
		c->ss.role = SERVE_ROLE_NONE; /* roles and passwords may have changed: ask again */
		c->ss.login = -1;
		for (size_t i = 0; c->login_ups && i < srv->n_ups; i++)
			if (strcmp(srv->ups[i].name, c->login_ups) == 0)
				c->ss.login = (int)i;
		if (c->login_ups && c->ss.login < 0)
			serve_client_free(c); /* its UPS is no longer served */
		c = next;
	}
}

int server_apply(struct server **pp, const struct server_env *env)
{
	struct server *srv = *pp;
	struct tls_creds *creds = NULL;
	int r;

	if (!env->config->serve) {
		if (srv)
			log_notice("serve: the serve section is gone: no longer serving");
		*pp = server_free(srv);
		return 0;
	}
	if (!srv)
		return server_open(env, pp);
	server_take_env(srv, env);
	(void)server_check_fds(srv); /* said; what fits is served until a restart */
	r = server_map_ups(srv);
	if (r < 0)
		return r;
	server_rebind_clients(srv);
	/* The old ones live on in the sessions that hold them, and go with the last. */
	if (server_needs_tls(srv->cfg, srv->socket_activated) &&
	    server_load_creds(srv->cfg, &creds) >= 0) {
		tls_creds_free(srv->creds);
		srv->creds = creds;
	}
	if (!srv->socket_activated)
		log_debug("serve: listeners are kept as they were; a change of listen takes a "
			  "restart");
	server_warn_plaintext(srv);
	return 0;
}
