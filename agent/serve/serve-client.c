/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One client of the server: its socket, its TLS session (from the first
 * byte on a TLS listener, after STARTTLS on a STARTTLS one), its lines and
 * its replies, each bounded. A client that is slow, silent, hostile or gone
 * costs only itself: every wait is a timer or an event on the shared loop,
 * its unsent replies are capped, and it is dropped when it overruns them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "serve-internal.h"

static void client_close(struct serve_client *c, const char *why);
static void client_update(struct serve_client *c);
static void client_reap(struct serve_client *c);

static const char *client_user(const struct serve_client *c)
{
	return c->ss.username ? c->ss.username : c->ss.cert_name ? c->ss.cert_name : "(no user)";
}

static void client_arm_timer(struct serve_client *c, uint64_t usec)
{
	(void)sd_event_source_set_time_relative(c->timer, usec);
	(void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/* Sends what is queued: 0 when all is out, -EAGAIN when the socket is full, or -errno. */
static int client_flush(struct serve_client *c)
{
	while (c->out.len > 0) {
		ssize_t n;

		if (c->tls && !c->handshaking)
			n = tls_session_write(c->tls, c->out.buf, c->out.len);
		else {
			n = send(c->fd, c->out.buf, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0)
				n = errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		if (n < 0)
			return (int)n;
		serve_out_consume(&c->out, (size_t)n);
	}
	return 0;
}

static int client_start_tls(struct serve_client *c)
{
	enum tls_version min = c->mode == CONFIG_LISTEN_TLS ? TLS_VERSION_1_3 : TLS_VERSION_1_2;
	int r;

	if (!c->srv->creds)
		return -ENOPKG;
	r = tls_server_session_new(c->srv->creds, c->fd, min, &c->tls);
	if (r < 0)
		return r;
	c->creds = tls_creds_ref(c->srv->creds);
	c->handshaking = true;
	client_arm_timer(c, c->srv->cfg->handshake_timeout);
	return 0;
}

/* The client certificate's user, if a user names one of its subjectAltNames. */
static void client_match_certificate(struct serve_client *c)
{
	const struct config_serve *cfg = c->srv->cfg;

	for (size_t i = 0; i < cfg->n_users; i++) {
		const char *name = cfg->users[i].certificate_name;

		if (name &&
		    tls_session_peer_has_name(c->tls, cfg->users[i].certificate_type, name)) {
			c->ss.cert_name = name; /* the config owns it; re-matched at reload */
			c->cert_type = cfg->users[i].certificate_type;
			return;
		}
	}
}

static void client_handshake(struct serve_client *c)
{
	char desc[128];
	int r = tls_session_handshake(c->tls);

	if (r == -EAGAIN)
		return;
	if (r < 0) {
		const char *alert = tls_session_alert_sent(c->tls);
		char why[512];

		snprintf(why, sizeof(why), "TLS handshake failed: %s%s%s",
			 tls_session_error(c->tls), alert ? "; sent alert " : "",
			 alert ? alert : "");
		client_close(c, why);
		return;
	}
	c->handshaking = false;
	c->ss.tls = true;
	c->srv->handshakes++;
	client_match_certificate(c);
	/* A certificate that names a user has authenticated it: no newcomer to evict. */
	if (c->ss.cert_name)
		serve_door_leave(c->srv, c);
	log_debug("serve: %s: %s%s%s", c->who, tls_session_describe(c->tls, desc, sizeof(desc)),
		  c->ss.cert_name ? ", client certificate " : "",
		  c->ss.cert_name ? c->ss.cert_name : "");
	client_arm_timer(c, c->srv->cfg->idle_timeout);
}

/* After STARTTLS: nothing may follow the command in plaintext (a man in
 * the middle would inject commands there, CVE-2011-0411's lesson). */
static void client_after_starttls(struct serve_client *c)
{
	int r;

	c->ss.want_starttls = false;
	if (proto_reader_pending(&c->in) > 0) {
		client_close(c, "sent more after STARTTLS before the TLS handshake");
		return;
	}
	r = client_start_tls(c);
	if (r < 0)
		client_close(c, "cannot start TLS");
}

static int on_client_pace(sd_event_source *s, uint64_t usec, void *userdata);

/* An authentication was answered: the door says how long that answer waits
 * (failures from the client's address). Returns whether c is held. */
static bool client_pace(struct serve_client *c, bool failed)
{
	uint64_t delay = serve_door_guess(c->srv, c, client_user(c), failed);
	int r;

	if (!failed && c->ss.role != SERVE_ROLE_NONE)
		serve_door_leave(c->srv, c); /* authenticated: no longer a newcomer to evict */
	if (delay == 0)
		return false;
	if (!c->pace)
		r = sd_event_add_time_relative(c->srv->event, &c->pace, CLOCK_MONOTONIC, delay, 0,
					       on_client_pace, c);
	else
		r = sd_event_source_set_time_relative(c->pace, delay);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->pace, SD_EVENT_ONESHOT);
	if (r < 0)
		return false; /* no timer: answered at once rather than never */
	c->held = true;
	return true;
}

/* One line answered; false when c must stop (closed, or its answer held). */
static bool client_line(struct serve_client *c, const char *line)
{
	unsigned failures = c->ss.auth_failures;

	client_arm_timer(c, c->srv->cfg->idle_timeout);
	c->ss.login_changed = false;
	c->ss.auth_tried = false;
	if (serve_handle(&c->ss, &serve_ops, c->srv, line, &c->out) < 0) {
		client_close(c, "out of memory");
		return false;
	}
	c->srv->auth_failures += c->ss.auth_failures - failures; /* for the metrics */
	if (c->ss.login_changed)
		serve_login_changed(c->srv, c);
	if (c->out.overflow) {
		client_close(c, "did not read its replies");
		return false;
	}
	if (c->ss.want_close)
		c->closing = true;
	if (c->ss.auth_tried && client_pace(c, c->ss.auth_failures != failures))
		return false;
	return true;
}

/* Answers the lines read so far; stops at STARTTLS, LOGOUT, a held answer or a full queue. */
static void client_lines(struct serve_client *c)
{
	while (!c->closing && !c->ss.want_starttls && !c->held && c->out.len < SERVE_OUT_PAUSE) {
		char *line;
		size_t len;
		int r = proto_reader_next(&c->in, &line, &len);

		if (r == 0)
			return;
		if (r == -EMSGSIZE) {
			client_close(c, "sent a line longer than 4096 bytes");
			return;
		}
		if (r < 0) {
			client_close(c, "sent control bytes");
			return;
		}
		if (!client_line(c, line))
			return;
	}
}

/* Reads what has come; 0 at the end of the stream, -EAGAIN, or -errno. */
static ssize_t client_read(struct serve_client *c)
{
	size_t avail;
	char *p = proto_reader_space(&c->in, &avail);
	ssize_t n;

	if (avail == 0)
		return -EAGAIN; /* a full line waits: client_lines() takes it first */
	if (c->tls)
		n = tls_session_read(c->tls, p, avail);
	else {
		n = recv(c->fd, p, avail, MSG_DONTWAIT);
		if (n < 0)
			n = errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	if (n > 0)
		proto_reader_commit(&c->in, (size_t)n);
	return n;
}

/* Reads and answers until the socket has nothing more or c must wait:
 * false when it is closed. */
static bool client_take(struct serve_client *c)
{
	for (;;) {
		char why[256];
		ssize_t n;

		client_lines(c);
		if (c->fd < 0)
			return false;
		if (c->closing || c->ss.want_starttls || c->held || c->out.len >= SERVE_OUT_PAUSE)
			return true;
		n = client_read(c);
		if (n == -EAGAIN)
			return true;
		if (n > 0)
			continue;
		snprintf(why, sizeof(why), "connection lost: %s",
			 c->tls && tls_session_error(c->tls)[0] ? tls_session_error(c->tls)
								: strerror((int)-n));
		client_close(c, n == 0 ? "closed the connection without LOGOUT" : why);
		return false;
	}
}

/*
 * Reads, answers and sends, as long as the client takes its replies: lines
 * it pipelined behind a full queue are answered once the queue drains, not
 * when more bytes come (they may never: the client waits for its answers).
 */
static void client_pump(struct serve_client *c)
{
	int r;

	if (c->held)
		return; /* the pace timer goes on */
	for (;;) {
		bool paused;

		if (!client_take(c))
			return;
		if (c->held)
			return; /* what is queued goes with the held answer, in order */
		paused = c->out.len >= SERVE_OUT_PAUSE;
		r = client_flush(c);
		if (r < 0)
			break;
		/* All sent: what was read behind the pause is answered now. */
		if (!paused || c->closing || c->ss.want_starttls || c->held)
			break;
	}
	if (r < 0 && r != -EAGAIN && !(c->closing && c->ss.want_close))
		log_debug("serve: %s: cannot send: %s", c->who, strerror(-r));
	if (r < 0 && r != -EAGAIN) {
		/* After LOGOUT a client may close before it reads OK Goodbye. */
		client_close(c, c->closing && c->ss.want_close ? NULL : "connection lost");
		return;
	}
	if (r == 0 && c->closing) {
		client_close(c, NULL);
		return;
	}
	if (r == 0 && c->ss.want_starttls)
		client_after_starttls(c);
}

static void client_update(struct serve_client *c)
{
	uint32_t ev;

	if (c->held)
		ev = 0; /* the answer waits for the pace timer */
	else if (c->handshaking)
		ev = tls_session_want_write(c->tls) ? EPOLLOUT : EPOLLIN;
	else {
		ev = c->out.len > 0 ? EPOLLOUT : 0;
		if (!c->closing && !c->ss.want_starttls && c->out.len < SERVE_OUT_PAUSE)
			ev |= EPOLLIN;
	}
	(void)sd_event_source_set_io_events(c->io, ev);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct serve_client *c = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	if (c->handshaking) {
		client_handshake(c);
		if (c->fd < 0) {
			client_reap(c);
			return 0;
		}
		if (c->handshaking) {
			client_update(c);
			return 0;
		}
	}
	client_pump(c);
	if (c->fd >= 0 && c->handshaking)
		client_handshake(c); /* ClientHello may already be here */
	if (c->fd >= 0)
		client_update(c);
	else
		client_reap(c);
	return 0;
}

static int on_client_pace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct serve_client *c = userdata;

	(void)s;
	(void)usec;
	c->held = false;
	client_arm_timer(c, c->srv->cfg->idle_timeout); /* the wait was ours, not idleness */
	client_pump(c);
	if (c->fd >= 0)
		client_update(c);
	else
		client_reap(c);
	return 0;
}

static int on_client_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct serve_client *c = userdata;

	(void)s;
	(void)usec;
	client_close(c, c->handshaking ? "TLS handshake timed out" : "idle for too long");
	client_reap(c);
	return 0;
}

static void peer_format(struct serve_client *c, const struct sockaddr_storage *peer)
{
	uint16_t port = 0;

	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;

		/* A v4 client on a dual-stack socket: show it as v4, as upsd does. */
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], c->addr, sizeof(c->addr));
		else
			inet_ntop(AF_INET6, &a->sin6_addr, c->addr, sizeof(c->addr));
		port = ntohs(a->sin6_port);
	} else if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)peer;

		inet_ntop(AF_INET, &a->sin_addr, c->addr, sizeof(c->addr));
		port = ntohs(a->sin_port);
	} else
		snprintf(c->addr, sizeof(c->addr), "local");
	snprintf(c->who, sizeof(c->who), "%s port %u", c->addr, port);
}

int serve_client_new(struct server *srv, int fd, const struct sockaddr_storage *peer,
		     const struct serve_listener *l)
{
	enum config_listen_mode mode = l->mode;
	struct serve_client *c = calloc(1, sizeof(*c));
	sd_event *e = srv->event;
	int r;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	c->mode = mode;
	peer_format(c, peer);
	proto_reader_init(&c->in);
	serve_session_init(&c->ss);
	c->ss.starttls_ok = mode == CONFIG_LISTEN_STARTTLS;
	c->ss.plain_ok = mode == CONFIG_LISTEN_PLAIN;
	c->ss.reads_only = l->reads_only;
	/* The listeners a client without TLS could log in on under upsd, when
	 * some user may still do so (plaintext-login). */
	c->ss.legacy_logins =
	    mode != CONFIG_LISTEN_TLS && config_serve_plaintext_users(srv->cfg, NULL, 0) > 0;
	serve_addr_of(peer, &c->key);
	serve_out_init(&c->out, SERVE_OUT_MAX);
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->n_clients++;
	serve_door_enter(srv, c);
	r = sd_event_add_io(e, &c->io, fd, EPOLLIN, on_client_io, c);
	if (r >= 0)
		r = sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC,
					       srv->cfg->idle_timeout, USEC_PER_SEC / 10,
					       on_client_timer, c);
	if (r >= 0 && mode == CONFIG_LISTEN_TLS)
		r = client_start_tls(c);
	if (r < 0) {
		client_close(c, "cannot set up the session");
		client_reap(c);
		return r;
	}
	log_debug("serve: %s connected", c->who);
	return 0;
}

static void client_unlink(struct serve_client *c)
{
	struct server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else if (srv->clients == c)
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	srv->n_clients--;
	serve_door_leave(srv, c);
}

/* Everything but the struct itself, which the entry point that called
 * client_close() frees last (client_reap): code below it still looks at
 * c->fd to learn that the client is gone. */
static void client_teardown(struct serve_client *c)
{
	if (c->fd < 0)
		return;
	c->io = sd_event_source_disable_unref(c->io);
	c->timer = sd_event_source_disable_unref(c->timer);
	c->pace = sd_event_source_disable_unref(c->pace);
	if (c->tls) {
		if (!c->handshaking)
			tls_session_bye(c->tls);
		c->tls = tls_session_free(c->tls);
	}
	/* The last session of credentials a reload replaced frees them. */
	c->creds = tls_creds_free(c->creds);
	close(c->fd);
	c->fd = -1;
	client_unlink(c);
}

static void client_reap(struct serve_client *c)
{
	explicit_bzero(&c->in, sizeof(c->in)); /* it may still hold a PASSWORD line */
	serve_session_done(&c->ss);
	serve_out_done(&c->out);
	free(c->login_ups);
	free(c);
}

void serve_client_evict(struct serve_client *c)
{
	client_close(c, "closed for a newcomer (connections before login at their limit)");
	client_reap(c);
}

void serve_client_free(struct serve_client *c)
{
	client_teardown(c);
	client_reap(c);
}

/* why: NULL for a clean end (LOGOUT, end of stream). */
static void client_close(struct serve_client *c, const char *why)
{
	if (c->ss.login >= 0) {
		if (why)
			log_notice("serve: %s@%s, logged into %s, is gone: %s", client_user(c),
				   c->who, c->login_ups ? c->login_ups : "?", why);
		else
			log_info("serve: %s@%s logged out of %s", client_user(c), c->who,
				 c->login_ups ? c->login_ups : "?");
		c->ss.login = -1;
		serve_login_changed(c->srv, NULL);
	} else if (why)
		log_debug("serve: %s: %s", c->who, why);
	client_teardown(c);
}

void serve_client_drop_ups(struct server *srv, size_t index)
{
	struct serve_client *c = srv->clients;

	while (c) {
		struct serve_client *next = c->next;

		if (c->ss.login == (int)index) {
			client_close(c, "its UPS is no longer served");
			client_reap(c);
		}
		c = next;
	}
}
