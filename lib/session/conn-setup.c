/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The steps from a connected socket to a ready session. Order matters for
 * security: STARTTLS and the handshake (with verification) come first, then
 * PROTVER inside TLS proves the session works, and only then do USERNAME and
 * PASSWORD cross the wire.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn-internal.h"
#include "log.h"
#include "secret.h"

static void setup_protver(struct conn *c);
static void setup_credentials(struct conn *c);
static void setup_login(struct conn *c);
static void setup_primary(struct conn *c);
static void setup_ready(struct conn *c);

static int setup_send(struct conn *c, enum request_kind kind, size_t n, const char *const *words,
		      bool redact, conn_reply_fn fn)
{
	int r = conn_enqueue(c, kind, n, words, redact, fn, NULL);

	if (r < 0)
		conn_end(c, r, "cannot queue %s for %s: %s", words[0], c->peer, strerror(-r));
	return r;
}

static void setup_tls(struct conn *c)
{
	const char *name = c->server_name ? c->server_name : c->host;
	int r;

	r = c->probing
		? tls_session_new_probe(c->cfg.creds, c->fd, name, c->cfg.tls_min, &c->tls)
		: tls_session_new(c->cfg.creds, c->fd, name, c->pin, c->cfg.tls_min, &c->tls);
	if (r < 0) {
		conn_end(c, r, "cannot set up TLS for %s: %s", c->peer, strerror(-r));
		return;
	}
	c->state = CONN_HANDSHAKE;
	c->phase_deadline = conn_now(c) + c->cfg.request_timeout;
	(void)conn_arm_timer(c);
	conn_handshake_step(c);
}

static void on_starttls(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	if (!reply)
		return; /* the session already ended */
	if (reply->err == PROTO_ERR_FEATURE_NOT_SUPPORTED ||
	    reply->err == PROTO_ERR_FEATURE_NOT_CONFIGURED) {
		conn_end(c, -EOPNOTSUPP,
			 "%s does not offer TLS (STARTTLS: ERR %s); refusing to continue in "
			 "plaintext (tls = off would allow it)",
			 c->peer, reply->err_word);
		return;
	}
	if (error < 0) {
		conn_end(c, -EPROTO, "%s refused STARTTLS: ERR %s", c->peer, reply->err_word);
		return;
	}
	/* Bytes after "OK STARTTLS" were sent in plaintext by someone who
	 * wants them read as if they came through TLS: STARTTLS injection. */
	if (proto_reader_pending(&c->in) > 0) {
		conn_end(c, -EPROTO,
			 "protocol error: %s sent data after OK STARTTLS, before the TLS "
			 "handshake (injection attempt?)",
			 c->peer);
		return;
	}
	proto_reader_init(&c->in);
	setup_tls(c);
}

void conn_setup_begin(struct conn *c)
{
	static const char *const starttls[] = {"STARTTLS"};

	c->state = CONN_SETUP;
	switch (c->cfg.tls) {
	case TLS_MODE_DIRECT:
		setup_tls(c);
		break;
	case TLS_MODE_STARTTLS:
		(void)setup_send(c, REQUEST_COMMAND, 1, starttls, false, on_starttls);
		break;
	default:
		setup_protver(c);
		break;
	}
}

void conn_setup_after_tls(struct conn *c)
{
	c->state = CONN_SETUP;
	setup_protver(c);
}

/* A version answer: "1.3", "1.2" ... */
static bool version_ok(const char *v)
{
	if (!isdigit((unsigned char)*v))
		return false;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v) && *v != '.')
			return false;
	return true;
}

/* PROTVER (protocol 1.3) or NETVER (1.2): a version in answer proves the
 * session carries the protocol both ways. Without one, whatever is at the
 * other end gets no credential. */
static void on_version(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	static const char *const netver[] = {"NETVER"};
	bool first = c->protocol_version[0] == '\0';

	if (!reply)
		return;
	if (error >= 0 && version_ok(reply->value)) {
		snprintf(c->protocol_version, sizeof(c->protocol_version), "%s", reply->value);
		log_debug("%s: protocol version %s", c->peer, c->protocol_version);
		setup_credentials(c);
		return;
	}
	if (first) {
		/* First refusal: an older server; ask the old way. */
		snprintf(c->protocol_version, sizeof(c->protocol_version), "?");
		(void)setup_send(c, REQUEST_ANY, 1, netver, false, on_version);
		return;
	}
	conn_end(c, -EPROTO,
		 "%s answered neither PROTVER nor NETVER with a version (%s%s): not a NUT "
		 "server; no credential was sent",
		 c->peer, error < 0 ? "ERR " : "", error < 0 ? reply->err_word : reply->value);
}

static void setup_protver(struct conn *c)
{
	static const char *const protver[] = {"PROTVER"};

	(void)setup_send(c, REQUEST_ANY, 1, protver, false, on_version);
}

static bool credential_refused(struct conn *c, int error, const struct conn_reply *reply)
{
	if (!reply)
		return true; /* the session already ended */
	if (error < 0)
		conn_end(c, -EACCES, "%s refused the credentials of user '%s': ERR %s", c->peer,
			 c->user, reply->err_word);
	return error < 0;
}

static void on_username(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	(void)credential_refused(c, error, reply);
}

/* USERNAME and PASSWORD go out pipelined; LOGIN follows the second OK. */
static void on_password(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	if (!credential_refused(c, error, reply))
		setup_login(c);
}

/* The password lives in memory only from this read until its line is
 * queued: read at every login (so a rotated file needs no reload), wiped
 * at once; the queued bytes are wiped as the socket takes them. */
static void setup_credentials(struct conn *c)
{
	const char *username[] = {"USERNAME", c->user};
	char err[512], *secret = NULL;
	int r;

	if (!c->user) {
		setup_login(c);
		return;
	}
	if (c->password_file)
		r = secret_read_file(c->password_file, &secret, err, sizeof(err));
	else if (c->password)
		r = (secret = strdup(c->password)) ? 0 : -ENOMEM;
	else
		r = -EINVAL;
	if (r < 0) {
		conn_end(c, r, "%s",
			 c->password_file ? err
			 : c->password	  ? strerror(-r)
					  : "a user needs a password file");
		return;
	}
	if (setup_send(c, REQUEST_COMMAND, 2, username, false, on_username) >= 0) {
		const char *password[] = {"PASSWORD", secret};

		(void)setup_send(c, REQUEST_COMMAND, 2, password, true, on_password);
	}
	secret_free(secret);
}

static void on_login(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	if (!reply)
		return;
	switch (reply->err) {
	case PROTO_ERR_NONE:
		setup_primary(c);
		return;
	case PROTO_ERR_ACCESS_DENIED:
		conn_end(c, -EACCES,
			 "access denied: %s refused user '%s' for UPS %s (wrong "
			 "password, or the user may not log in)",
			 c->peer, c->user ? c->user : "", c->ups);
		return;
	case PROTO_ERR_USERNAME_REQUIRED:
	case PROTO_ERR_PASSWORD_REQUIRED:
		conn_end(c, -EACCES,
			 "access denied: %s wants a user and password to log in "
			 "to UPS %s",
			 c->peer, c->ups);
		return;
	case PROTO_ERR_UNKNOWN_UPS:
		conn_end(c, -ENODEV, "unknown UPS '%s' on %s", c->ups, c->peer);
		return;
	default:
		conn_end(c, error, "%s refused LOGIN %s: ERR %s", c->peer, c->ups, reply->err_word);
		return;
	}
}

static void setup_login(struct conn *c)
{
	const char *login[] = {"LOGIN", c->ups};

	if (!c->cfg.login) {
		setup_ready(c);
		return;
	}
	(void)setup_send(c, REQUEST_COMMAND, 2, login, false, on_login);
}

static void on_primary(struct conn *c, int error, const struct conn_reply *reply, void *ud)
{
	const char *master[] = {"MASTER", c->ups};

	if (!reply)
		return;
	if (error >= 0) {
		setup_ready(c);
		return;
	}
	/* Servers before protocol 1.3 know the old word only. */
	if (!c->master_fallback && reply->err != PROTO_ERR_ACCESS_DENIED) {
		c->master_fallback = true;
		(void)setup_send(c, REQUEST_COMMAND, 2, master, false, on_primary);
		return;
	}
	conn_end(c, -EACCES,
		 "%s does not let user '%s' be primary for UPS %s (ERR %s): it "
		 "needs 'upsmon primary' in upsd.users",
		 c->peer, c->user ? c->user : "", c->ups, reply->err_word);
}

static void setup_primary(struct conn *c)
{
	const char *primary[] = {"PRIMARY", c->ups};

	if (!c->cfg.primary) {
		setup_ready(c);
		return;
	}
	c->master_fallback = false;
	(void)setup_send(c, REQUEST_COMMAND, 2, primary, false, on_primary);
}

static void setup_ready(struct conn *c)
{
	c->state = CONN_READY;
	log_debug("%s: ready", c->peer);
	if (c->cb && c->cb->ready)
		c->cb->ready(c, c->userdata);
}
