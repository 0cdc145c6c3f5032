/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conn.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn-internal.h"
#include "escape.h"
#include "log.h"
#include "macro.h"

static const char *const state_names[_CONN_STATE_MAX] = {
    [CONN_IDLE] = "idle",	 [CONN_CONNECTING] = "connecting", [CONN_HANDSHAKE] = "handshake",
    [CONN_SETUP] = "setting up", [CONN_READY] = "ready",	   [CONN_CLOSING] = "closing",
};

const char *conn_state_to_string(enum conn_state s)
{
	return s < _CONN_STATE_MAX ? state_names[s] : "invalid";
}

static char *strdup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static int conn_copy_config(struct conn *c, const struct conn_config *cfg)
{
	bool oom = false;

	c->cfg = *cfg;
	c->cfg.host = c->host = strdup_or_null(cfg->host, &oom);
	c->cfg.ups = c->ups = strdup_or_null(cfg->ups, &oom);
	c->cfg.server_name = c->server_name = strdup_or_null(cfg->server_name, &oom);
	c->cfg.pin = c->pin = strdup_or_null(cfg->pin, &oom);
	c->cfg.user = c->user = strdup_or_null(cfg->user, &oom);
	c->cfg.password_file = c->password_file = strdup_or_null(cfg->password_file, &oom);
	c->cfg.password = c->password = strdup_or_null(cfg->password, &oom);
	if (oom)
		return -ENOMEM;
	if (!c->host || !c->ups || (c->cfg.tls != TLS_MODE_OFF && !c->cfg.creds))
		return -EINVAL;
	if (c->host[0] == '\0' || c->ups[0] == '\0' || c->cfg.port == 0)
		return -EINVAL;
	if (asprintf(&c->peer, "%s port %u", c->host, c->cfg.port) < 0) {
		c->peer = NULL;
		return -ENOMEM;
	}
	return 0;
}

int conn_new(sd_event *e, const struct conn_config *cfg, const struct conn_callbacks *cb,
	     void *userdata, struct conn **ret)
{
	struct conn *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->n_ref = 1;
	c->fd = -1;
	c->event = sd_event_ref(e);
	c->cb = cb;
	c->userdata = userdata;
	r = conn_copy_config(c, cfg);
	if (r < 0) {
		conn_unref(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct conn *conn_ref(struct conn *c)
{
	if (c)
		c->n_ref++;
	return c;
}

static void conn_free(struct conn *c)
{
	conn_teardown(c);
	free(c->host);
	free(c->ups);
	free(c->server_name);
	free(c->pin);
	free(c->user);
	free(c->password_file);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->peer);
	free(c->out);
	sd_event_unref(c->event);
	free(c);
}

struct conn *conn_unref(struct conn *c)
{
	if (!c)
		return NULL;
	if (--c->n_ref == 0)
		conn_free(c);
	return NULL;
}

enum conn_state conn_get_state(const struct conn *c)
{
	return c->state;
}

enum conn_state conn_get_ended_in(const struct conn *c)
{
	return c->ended_in;
}

void *conn_get_userdata(const struct conn *c)
{
	return c->userdata;
}

const char *conn_peer(const struct conn *c)
{
	return c->peer;
}

const char *conn_protocol_version(const struct conn *c)
{
	return c->protocol_version;
}

const char *conn_describe(struct conn *c, char *buf, size_t len)
{
	if (!c->tls) {
		snprintf(buf, len, "plaintext");
		return buf;
	}
	return tls_session_describe(c->tls, buf, len);
}

uint64_t conn_now(struct conn *c)
{
	uint64_t now = 0;

	(void)sd_event_now(c->event, CLOCK_MONOTONIC, &now);
	return now;
}

/* Closes the socket and drops every source; requests stay queued. */
void conn_teardown(struct conn *c)
{
	conn_io_last_words(c);
	c->generation++;
	c->io = sd_event_source_disable_unref(c->io);
	c->timer = sd_event_source_disable_unref(c->timer);
	c->resolve = resolve_cancel(c->resolve);
	c->phase_deadline = 0;
	c->tls = tls_session_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->addrs)
		freeaddrinfo(c->addrs);
	c->addrs = c->addr = NULL;
	if (c->out)
		explicit_wipe(c->out, c->out_len); /* it may hold PASSWORD */
	c->out_len = 0;
	c->tls_inflight = 0;
}

/* Completes every queued request with error, oldest first. */
static void conn_flush_requests(struct conn *c, int error)
{
	struct request *r;

	while ((r = c->requests)) {
		c->requests = r->next;
		if (!c->requests)
			c->requests_tail = NULL;
		c->n_requests--;
		if (r->fn)
			((conn_reply_fn)r->fn)(c, error, NULL, r->userdata);
		request_free(r);
	}
}

/* Ends the session: error < 0 with a sentence, or 0 for a clean close. */
void conn_end(struct conn *c, int error, const char *fmt, ...)
{
	char raw[sizeof(c->message)];
	va_list ap;

	if (c->state == CONN_IDLE)
		return;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (c->probing) {
		/* The diagnostic handshake did not get as far as the server's
		 * choice: the real failure is the one to report. */
		snprintf(raw, sizeof(raw), "TLS with %s failed: %s", c->peer, c->probe_why);
		error = -EPROTONOSUPPORT;
		c->probing = false;
		c->state = CONN_HANDSHAKE;
	}
	/* The message quotes the peer (ERR words, certificate names) and ends
	 * up in status output too, not only in the log. */
	escape_line(c->message, sizeof(c->message), raw);
	if (c->tls)
		snprintf(c->peer_pin, sizeof(c->peer_pin), "%s", tls_session_peer_pin(c->tls));
	log_debug("%s: session ended: %s", c->peer, c->message);
	conn_ref(c);
	conn_teardown(c);
	c->ended_in = c->state;
	c->state = CONN_IDLE;
	conn_flush_requests(c, error < 0 ? error : -ECONNABORTED);
	if (c->cb && c->cb->closed)
		c->cb->closed(c, error, c->message, c->userdata);
	conn_unref(c);
}

int conn_start(struct conn *c)
{
	if (c->state != CONN_IDLE)
		return -EBUSY;
	c->protocol_version[0] = '\0';
	c->message[0] = '\0';
	proto_reader_init(&c->in);
	return conn_connect(c);
}

void conn_close(struct conn *c)
{
	if (c->state == CONN_READY) {
		static const char *const logout[] = {"LOGOUT"};

		/* "OK Goodbye", or "Goodbye..." from older servers; then EOF. */
		if (conn_enqueue(c, REQUEST_ANY, 1, logout, false, NULL, NULL) >= 0) {
			c->state = CONN_CLOSING;
			return;
		}
	}
	conn_end(c, 0, "closed");
}

int conn_get(struct conn *c, const char *what, size_t nargs, const char *const *args,
	     conn_reply_fn fn, void *userdata)
{
	const char *words[8] = {"GET", what};

	if (nargs > ELEMENTSOF(words) - 2)
		return -EINVAL;
	memcpy(words + 2, args, nargs * sizeof(*args));
	return conn_request(c, REQUEST_ANSWER, nargs + 2, words, fn, userdata);
}

int conn_get_var(struct conn *c, const char *var, conn_reply_fn fn, void *userdata)
{
	const char *args[] = {c->ups, var};

	return conn_get(c, "VAR", 2, args, fn, userdata);
}

int conn_list(struct conn *c, size_t nquery, const char *const *query, conn_reply_fn fn,
	      void *userdata)
{
	const char *words[8] = {"LIST"};

	if (nquery == 0 || nquery > ELEMENTSOF(words) - 1)
		return -EINVAL;
	memcpy(words + 1, query, nquery * sizeof(*query));
	return conn_request(c, REQUEST_LIST, nquery + 1, words, fn, userdata);
}

int conn_command(struct conn *c, size_t n, const char *const *words, conn_reply_fn fn,
		 void *userdata)
{
	return conn_request(c, REQUEST_COMMAND, n, words, fn, userdata);
}

/* Requests from the owner: only on a ready session. */
int conn_request(struct conn *c, enum request_kind kind, size_t n, const char *const *words,
		 conn_reply_fn fn, void *userdata)
{
	if (c->state != CONN_READY)
		return -ENOTCONN;
	return conn_enqueue(c, kind, n, words, false, fn, userdata);
}

const char *conn_peer_pin(const struct conn *c)
{
	return c->peer_pin;
}
