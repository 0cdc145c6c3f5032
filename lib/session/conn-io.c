/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sockets, TLS records and the request queue of a session. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn-internal.h"
#include "log.h"

/* Timeouts need no precision; coarse timers let the kernel batch wake-ups. */
#define TIMER_ACCURACY (50 * USEC_PER_MSEC)

static int io_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int timer_handler(sd_event_source *s, uint64_t usec, void *userdata);

static double seconds(uint64_t usec)
{
	return (double)usec / (double)USEC_PER_SEC;
}

int conn_update_io(struct conn *c)
{
	uint32_t events = EPOLLIN;

	if (!c->io)
		return 0;
	if (c->state == CONN_CONNECTING)
		events = EPOLLOUT;
	else if (c->state == CONN_HANDSHAKE)
		events = tls_session_want_write(c->tls) ? EPOLLOUT : EPOLLIN;
	else if (c->out_len > 0)
		events |= EPOLLOUT;
	return sd_event_source_set_io_events(c->io, events);
}

int conn_arm_timer(struct conn *c)
{
	uint64_t next = c->phase_deadline;
	int r;

	if (c->requests && (next == 0 || c->requests->deadline < next))
		next = c->requests->deadline;
	if (next == 0)
		return c->timer ? sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) : 0;
	if (!c->timer)
		return sd_event_add_time(c->event, &c->timer, CLOCK_MONOTONIC, next, TIMER_ACCURACY,
					 timer_handler, c);
	r = sd_event_source_set_time(c->timer, next);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
	return r;
}

/* ---- connecting ------------------------------------------------------- */

static int try_address(struct conn *c)
{
	const struct addrinfo *a = c->addr;
	int one = 1, fd, r;

	fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
	if (fd < 0)
		return -errno;
	/* Requests are small lines; do not let Nagle hold a poll batch back. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	r = sd_event_add_io(c->event, &c->io, fd, EPOLLOUT, io_handler, c);
	if (r < 0) {
		close(fd);
		return r;
	}
	c->fd = fd;
	c->phase_deadline = conn_now(c) + c->cfg.connect_timeout;
	return conn_arm_timer(c);
}

int conn_probe_start(struct conn *c)
{
	snprintf(c->probe_why, sizeof(c->probe_why), "%s", tls_session_error(c->tls));
	c->tls = tls_session_free(c->tls);
	c->io = sd_event_source_disable_unref(c->io);
	close(c->fd);
	c->fd = -1;
	proto_reader_init(&c->in);
	c->probing = true;
	c->state = CONN_CONNECTING;
	return try_address(c);
}

/* Tries the addresses from c->addr on; ends the session when none is left. */
static void connect_next(struct conn *c)
{
	for (; c->addr; c->addr = c->addr->ai_next) {
		int r = try_address(c);

		if (r >= 0)
			return;
		c->connect_error = r;
	}
	if (c->connect_error == -ETIMEDOUT)
		conn_end(c, -ETIMEDOUT, "connection to %s timed out after %.1f s", c->peer,
			 seconds(c->cfg.connect_timeout));
	else
		conn_end(c, c->connect_error, "cannot connect to %s: %s", c->peer,
			 strerror(-c->connect_error));
}

/* Drops the socket of the address that failed and moves to the next one. */
static void connect_failed(struct conn *c, int error)
{
	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->phase_deadline = 0;
	c->connect_error = error;
	c->addr = c->addr->ai_next;
	connect_next(c);
}

static void connect_done(struct conn *c)
{
	int error = 0;
	socklen_t len = sizeof(error);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error != 0) {
		connect_failed(c, -error);
		return;
	}
	c->phase_deadline = 0;
	log_debug("%s: connected", c->peer);
	conn_setup_begin(c);
}

static void on_resolved(struct addrinfo *addrs, int error, void *userdata)
{
	struct conn *c = userdata;

	c->resolve = resolve_cancel(c->resolve);
	c->phase_deadline = 0;
	if (!addrs) {
		conn_end(c, error == EAI_NONAME ? -ENOENT : -EHOSTUNREACH, "cannot resolve %s: %s",
			 c->host, gai_strerror(error));
		return;
	}
	c->addrs = c->addr = addrs;
	connect_next(c);
}

int conn_connect(struct conn *c)
{
	int r;

	c->state = CONN_CONNECTING;
	c->connect_error = -EHOSTUNREACH;
	/* The connect timeout bounds the lookup too: a dead DNS server is
	 * as bad as a dead UPS server. */
	r = resolve_start(c->event, c->host, c->cfg.port, on_resolved, c, &c->resolve);
	if (r < 0) {
		c->state = CONN_IDLE;
		return r;
	}
	c->phase_deadline = conn_now(c) + c->cfg.connect_timeout;
	return conn_arm_timer(c);
}

/* ---- TLS handshake ---------------------------------------------------- */

void conn_handshake_step(struct conn *c)
{
	char desc[128];
	int r = tls_session_handshake(c->tls);

	if (r == -EAGAIN)
		return;
	if (c->probing) {
		/* It stopped at the ServerHello, or failed: either way done. */
		c->probing = false;
		conn_end(c, -EPROTONOSUPPORT, "TLS with %s failed: %s%s%s", c->peer, c->probe_why,
			 r == -EPROTONOSUPPORT ? "; asked again with older TLS offered, it picks "
					       : "",
			 r == -EPROTONOSUPPORT ? tls_session_error(c->tls) : "");
		return;
	}
	/* Nothing in common: name what the server does offer (once). */
	if (r == -EPROTONOSUPPORT && conn_probe_start(c) >= 0)
		return;
	if (r < 0) {
		conn_end(c, r, "TLS with %s failed: %s", c->peer, tls_session_error(c->tls));
		return;
	}
	c->phase_deadline = 0;
	log_debug("%s: %s", c->peer, tls_session_describe(c->tls, desc, sizeof(desc)));
	conn_setup_after_tls(c);
}

/* ---- writing ---------------------------------------------------------- */

static ssize_t io_write(struct conn *c, const void *buf, size_t n)
{
	ssize_t k;

	if (c->tls)
		return tls_session_write(c->tls, buf, n);
	do
		k = send(c->fd, buf, n, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return k;
}

static void out_consume(struct conn *c, size_t n)
{
	explicit_wipe(c->out, n); /* the bytes may hold PASSWORD */
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

/*
 * upsd 2.8 writes each answer on its own and leaves Nagle on: with two
 * requests in flight its second answer waits for our ACK of the first,
 * which Linux delays by up to 40 ms when the connection looks interactive
 * (measured: FSD + NUMLOGINS, USERNAME + PASSWORD, a poll of three
 * variables). TCP_QUICKACK makes the next reads ACK at once; the kernel may
 * fall back to delayed ACKs later, so it is set again at each such send.
 */
static void quickack(struct conn *c)
{
	int one = 1;

	if (c->n_requests > 1)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static int flush_out(struct conn *c)
{
	bool wrote = false;

	while (c->out_len > 0) {
		/* GnuTLS wants a record that said EAGAIN retried as it was. */
		size_t n = c->tls_inflight ? c->tls_inflight : c->out_len;
		ssize_t k = io_write(c, c->out, n);

		if (k == -EAGAIN) {
			c->tls_inflight = c->tls ? n : 0;
			break;
		}
		if (k < 0)
			return (int)k;
		c->tls_inflight = 0;
		out_consume(c, (size_t)k);
		wrote = true;
	}
	if (wrote)
		quickack(c);
	return 0;
}

void conn_io_last_words(struct conn *c)
{
	/* One try, never a wait: the socket is non-blocking, and a server
	 * that is gone costs nothing. */
	if (c->fd < 0 || c->state != CONN_CLOSING)
		return;
	(void)flush_out(c);
	if (c->tls && c->out_len == 0)
		tls_session_bye(c->tls);
}

static int out_append(struct conn *c, const char *line, size_t len)
{
	if (c->out_len + len > CONN_MAX_OUT)
		return -ENOBUFS;
	if (c->out_len + len > c->out_size) {
		size_t size = c->out_len + len + 512;
		char *p = malloc(size);

		if (!p)
			return -ENOMEM;
		/* Copy, never realloc: the old buffer may hold a password to wipe. */
		if (c->out) {
			memcpy(p, c->out, c->out_len);
			explicit_wipe(c->out, c->out_size);
			free(c->out);
		}
		c->out = p;
		c->out_size = size;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	return 0;
}

int conn_enqueue(struct conn *c, enum request_kind kind, size_t n, const char *const *words,
		 bool redact, conn_reply_fn fn, void *userdata)
{
	char line[PROTO_LINE_MAX + 2];
	struct request *r;
	int len, k;

	if (c->n_requests >= CONN_MAX_REQUESTS)
		return -ENOBUFS;
	len = proto_build(line, sizeof(line), n, words);
	if (len < 0) {
		explicit_wipe(line, sizeof(line)); /* a partial line may hold PASSWORD */
		return len;
	}
	r = request_new(kind, n, words, redact);
	k = r ? out_append(c, line, (size_t)len) : -ENOMEM;
	/* What proto_build() wrote, its NUL included: wiping all 4 KiB cost
	 * every request more instructions than the rest of the poll. */
	explicit_wipe(line, (size_t)len + 1);
	if (k < 0) {
		request_free(r);
		return k;
	}
	r->fn = (void (*)(void))fn;
	r->userdata = userdata;
	r->deadline = conn_now(c) + c->cfg.request_timeout;
	if (c->requests_tail)
		c->requests_tail->next = r;
	else
		c->requests = r;
	c->requests_tail = r;
	c->n_requests++;
	/* The socket nearly always takes a request at once: writing it now
	 * saves the trip through EPOLLOUT (two epoll_ctl and an epoll_wait per
	 * poll). Requests queued right behind it still wait for EPOLLOUT, so a
	 * batch leaves together. A write error is left for io_ready() to end
	 * the session: the caller is in the middle of queuing. */
	if (c->n_requests == 1 && c->out_len == (size_t)len && c->tls_inflight == 0 && c->io &&
	    c->state != CONN_CONNECTING && c->state != CONN_HANDSHAKE)
		(void)flush_out(c);
	(void)conn_update_io(c);
	return conn_arm_timer(c);
}

/* ---- reading ---------------------------------------------------------- */

static ssize_t io_read(struct conn *c, void *buf, size_t n)
{
	ssize_t k;

	if (c->tls)
		return tls_session_read(c->tls, buf, n);
	do
		k = recv(c->fd, buf, n, 0);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return k;
}

static void complete_head(struct conn *c, int result, const struct proto_reply *reply,
			  const char *value)
{
	struct request *r = c->requests;
	struct conn_reply out = {.value = value};
	int error = 0;

	c->requests = r->next;
	if (!c->requests)
		c->requests_tail = NULL;
	c->n_requests--;
	if (result == REQUEST_REFUSED) {
		out.err = reply->err;
		out.err_word = reply->err_word;
		error = proto_err_to_errno(reply->err);
	} else if (r->kind == REQUEST_LIST) {
		out.list = &r->list;
	}
	if (r->fn)
		((conn_reply_fn)r->fn)(c, error, &out, r->userdata);
	request_free(r);
}

/* Handles one reply line; false when the session ended. */
static bool dispatch_line(struct conn *c, const char *line)
{
	struct request *r = c->requests;
	struct proto_reply reply;
	const char *value;
	int k;

	if (!r) {
		conn_end(c, -EPROTO, "protocol error: %s sent an unsolicited line: \"%.80s\"",
			 c->peer, line);
		return false;
	}
	k = proto_reply_parse(line, &reply);
	if (k >= 0)
		k = request_match(r, &reply, line, &value);
	if (k == -E2BIG) {
		conn_end(c, -EPROTO, "protocol error: %s answered %s with more than %d items",
			 c->peer, r->label, PROTO_LIST_MAX);
		return false;
	}
	if (k < 0) {
		conn_end(c, -EPROTO, "protocol error: %s answered %s with \"%.80s\"", c->peer,
			 r->label, line);
		return false;
	}
	if (k != REQUEST_MORE)
		complete_head(c, k, &reply, value);
	return true;
}

/* Takes every complete line; false when the session ended or changed phase. */
static bool process_lines(struct conn *c, unsigned generation)
{
	for (;;) {
		char *line;
		size_t len;
		int k = proto_reader_next(&c->in, &line, &len);

		if (k == 0)
			return true;
		if (k == -EMSGSIZE) {
			conn_end(c, -EPROTO, "protocol error: %s sent a line longer than %d bytes",
				 c->peer, PROTO_LINE_MAX);
			return false;
		}
		if (k < 0) {
			conn_end(c, -EPROTO, "protocol error: %s sent binary data", c->peer);
			return false;
		}
		if (!dispatch_line(c, line))
			return false;
		/* A callback may have closed or restarted the session, or STARTTLS
		 * may have switched it to the handshake: stop reading plaintext. */
		if (c->generation != generation || c->state == CONN_IDLE ||
		    c->state == CONN_HANDSHAKE)
			return false;
	}
}

static void read_eof(struct conn *c)
{
	size_t pending = proto_reader_pending(&c->in);

	if (c->state == CONN_CLOSING)
		conn_end(c, 0, "closed");
	else if (pending > 0)
		conn_end(c, -ECONNRESET,
			 "%s closed the connection in the middle of a reply (%zu bytes "
			 "without end of line)",
			 c->peer, pending);
	else
		conn_end(c, -ECONNRESET, "%s closed the connection%s%s", c->peer,
			 c->requests ? " before answering " : "",
			 c->requests ? c->requests->label : "");
}

static void read_in(struct conn *c)
{
	unsigned generation = c->generation;

	for (;;) {
		size_t avail;
		char *p = proto_reader_space(&c->in, &avail);
		ssize_t k = io_read(c, p, avail);

		if (k == -EAGAIN)
			return;
		if (k == 0 || (k == -ECONNRESET && c->state == CONN_CLOSING)) {
			read_eof(c);
			return;
		}
		if (k < 0) {
			conn_end(c, (int)k, "connection to %s failed%s%s: %s", c->peer,
				 c->requests ? " before it answered " : "",
				 c->requests ? c->requests->label : "",
				 c->tls && tls_session_error(c->tls)[0] ? tls_session_error(c->tls)
									: strerror((int)-k));
			return;
		}
		proto_reader_commit(&c->in, (size_t)k);
		if (!process_lines(c, generation))
			return;
	}
}

/* ---- events ----------------------------------------------------------- */

static void io_ready(struct conn *c, uint32_t revents)
{
	unsigned generation = c->generation;
	int r;

	/* The peer hung up: what it said last (a TLS alert, an ERR) says more
	 * than our failing to send. */
	if (revents & (EPOLLHUP | EPOLLERR)) {
		read_in(c);
		if (c->generation != generation)
			return;
	}
	if (revents & EPOLLOUT) {
		r = flush_out(c);
		if (r < 0) {
			conn_end(c, r, "cannot send to %s: %s", c->peer,
				 c->tls && tls_session_error(c->tls)[0] ? tls_session_error(c->tls)
									: strerror(-r));
			return;
		}
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) && c->generation == generation)
		read_in(c);
}

static int io_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = conn_ref(userdata);
	unsigned generation = c->generation;

	if (c->state == CONN_CONNECTING)
		connect_done(c);
	else if (c->state == CONN_HANDSHAKE)
		conn_handshake_step(c);
	else
		io_ready(c, revents);
	if (c->generation == generation && c->state != CONN_IDLE) {
		(void)conn_update_io(c);
		(void)conn_arm_timer(c);
	}
	conn_unref(c);
	return 0;
}

static void phase_timeout(struct conn *c)
{
	if (c->resolve)
		conn_end(c, -ETIMEDOUT, "cannot resolve %s: no answer within %.1f s", c->host,
			 seconds(c->cfg.connect_timeout));
	else if (c->state == CONN_CONNECTING)
		connect_failed(c, -ETIMEDOUT);
	else
		conn_end(c, -ETIMEDOUT, "TLS handshake with %s timed out after %.1f s", c->peer,
			 seconds(c->cfg.request_timeout));
}

static int timer_handler(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct conn *c = conn_ref(userdata);
	uint64_t now = conn_now(c);

	if (c->phase_deadline && now >= c->phase_deadline)
		phase_timeout(c);
	else if (c->requests && now >= c->requests->deadline)
		conn_end(c, -ETIMEDOUT, "no reply from %s to %s within %.1f s", c->peer,
			 c->requests->label, seconds(c->cfg.request_timeout));
	else if (c->state != CONN_IDLE)
		(void)conn_arm_timer(c);
	conn_unref(c);
	return 0;
}
