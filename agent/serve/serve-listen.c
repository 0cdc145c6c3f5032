/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's listening sockets: handed over by systemd (upsagent.socket,
 * so that the daemon never needs the privilege to bind port 401), or bound
 * from the serve section when run outside systemd. And the door: the allowed
 * networks, max-clients and the budget before login (serve-door.c) are
 * checked at accept, before any byte is read. A listener that cannot accept
 * for want of file descriptors rests a moment instead of waking at once
 * again (the socket stays readable): the others and the loop go on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "serve-internal.h"

static const char *const mode_names[_CONFIG_LISTEN_MAX] = {
    [CONFIG_LISTEN_TLS] = "TLS",
    [CONFIG_LISTEN_STARTTLS] = "STARTTLS",
    [CONFIG_LISTEN_PLAIN] = "plaintext",
};

static void listener_accept_one(struct serve_listener *l, int fd, struct sockaddr_storage *peer)
{
	struct server *srv = l->srv;
	struct serve_addr key;

	if (!config_allows(srv->cfg->allow, srv->cfg->n_allow, (const struct sockaddr *)peer)) {
		char host[INET6_ADDRSTRLEN] = "?";

		(void)getnameinfo((struct sockaddr *)peer, sizeof(*peer), host, sizeof(host), NULL,
				  0, NI_NUMERICHOST);
		log_debug("serve: %s: refused, not in allow", host);
		close(fd);
		return;
	}
	serve_addr_of(peer, &key);
	if (serve_door_admit(srv, &key) < 0) {
		if (srv->refused_full++ == 0)
			log_warning("serve: max-clients (%u) clients are logged in: refusing new "
				    "connections",
				    srv->max_clients);
		close(fd);
		return;
	}
	if (srv->refused_full > 0) {
		log_notice("serve: below max-clients again; %u connection(s) were refused",
			   srv->refused_full);
		srv->refused_full = 0;
	}
	/* Replies are whole lines written at once: Nagle would only hold the
	 * next one (and the STARTTLS handshake) for the peer's delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	(void)serve_client_new(srv, fd, peer, l);
}

static int on_rested(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct serve_listener *l = userdata;

	(void)s;
	(void)usec;
	(void)sd_event_source_set_enabled(l->io, SD_EVENT_ON);
	return 0;
}

/* Out of fds or memory: the connection waits in the backlog while l rests,
 * rather than the loop spinning on a socket that stays readable. Said once,
 * then summed up (serve-door.c). */
static void listener_rest(struct serve_listener *l, int error)
{
	uint64_t now = 0;

	(void)sd_event_now(l->srv->event, CLOCK_MONOTONIC, &now);
	if (l->starved++ == 0 && (l->said == 0 || now > l->said + SERVE_SUMMARY_EVERY)) {
		l->said = now;
		log_warning("serve: %s: cannot accept: %s; pausing it for %llu ms", l->name,
			    strerror(error),
			    (unsigned long long)(SERVE_ACCEPT_PAUSE / USEC_PER_MSEC));
	}
	(void)sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
	if (!l->rest &&
	    sd_event_add_time_relative(l->srv->event, &l->rest, CLOCK_MONOTONIC, SERVE_ACCEPT_PAUSE,
				       USEC_PER_MSEC * 10, on_rested, l) < 0) {
		(void)sd_event_source_set_enabled(l->io,
						  SD_EVENT_ON); /* no timer: spin, not stop */
		return;
	}
	(void)sd_event_source_set_time_relative(l->rest, SERVE_ACCEPT_PAUSE);
	(void)sd_event_source_set_enabled(l->rest, SD_EVENT_ONESHOT);
}

static int on_accept(sd_event_source *s, int lfd, uint32_t revents, void *userdata)
{
	struct serve_listener *l = userdata;

	(void)s;
	(void)revents;
	for (unsigned i = 0; i < SERVE_ACCEPT_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				listener_rest(l, errno);
				break;
			}
			/* EAGAIN: all taken. The rest (ECONNABORTED, ...) concern one client. */
			if (errno != ECONNABORTED && errno != EINTR)
				break;
			continue;
		}
		listener_accept_one(l, fd, &peer);
	}
	return 0;
}

static void listener_name(struct serve_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
		(void)getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
				  sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(l->name, sizeof(l->name), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static bool is_loopback(const struct sockaddr_storage *ss);

/* A wildcard address is not loopback: it takes the network's clients too. */
static bool listener_on_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && is_loopback(&ss);
}

static int listener_add(struct server *srv, int fd, bool owned, enum config_listen_mode mode)
{
	struct serve_listener *ls, *l;

	ls = reallocarray(srv->listeners, srv->n_listeners + 1, sizeof(*ls));
	if (!ls) {
		if (owned)
			close(fd);
		return -ENOMEM;
	}
	srv->listeners = ls;
	l = &ls[srv->n_listeners++];
	*l = (struct serve_listener){.srv = srv, .fd = fd, .owned = owned, .mode = mode};
	listener_name(l);
	l->reads_only = mode == CONFIG_LISTEN_PLAIN && !listener_on_loopback(fd);
	return 0;
}

/* The sockets' sd-event sources, once the array has stopped moving. */
static int listeners_watch(struct server *srv)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		struct serve_listener *l = &srv->listeners[i];
		int r = sd_event_add_io(srv->event, &l->io, l->fd, EPOLLIN, on_accept, l);

		if (r < 0)
			return log_error_errno(r, "serve: %s: %s", l->name, strerror(-r));
		log_info("serve: listening on %s (%s)%s", l->name, mode_names[l->mode],
			 srv->socket_activated ? ", from systemd" : "");
		if (l->reads_only)
			log_warning("serve: %s speaks plaintext beyond loopback: anyone on the "
				    "path reads the UPS's data; reads only there (VER, HELP, "
				    "NETVER, PROTVER, LIST, GET), no USERNAME, PASSWORD, LOGIN or "
				    "FSD",
				    l->name);
	}
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

/* What a socket from systemd speaks: FileDescriptorName=starttls or plain
 * if it says so, else the serve section's entry with its port, else TLS. */
static int activated_mode(const struct config_serve *cfg, int fd, const char *name,
			  enum config_listen_mode *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	*ret = CONFIG_LISTEN_TLS;
	if (name && strcmp(name, "starttls") == 0)
		*ret = CONFIG_LISTEN_STARTTLS;
	else if (name && strcmp(name, "plain") == 0)
		*ret = CONFIG_LISTEN_PLAIN;
	else /* upsagent.socket names all its sockets "tls": the port decides */
		for (size_t i = 0; i < cfg->n_listen; i++)
			if (cfg->listen[i].port == port)
				*ret = cfg->listen[i].mode;
	/* Plaintext beyond loopback: reads only, and only for an allow list. */
	if (*ret == CONFIG_LISTEN_PLAIN && !is_loopback(&ss) && cfg->n_allow == 0)
		return -EPERM;
	return 0;
}

static int listeners_from_systemd(struct server *srv, const struct serve_socket *sockets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd = sockets[i].fd, r;
		enum config_listen_mode mode;

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			log_error("serve: socket %d from systemd is not a listening stream socket",
				  fd);
			return -EINVAL;
		}
		r = activated_mode(srv->cfg, fd, sockets[i].name, &mode);
		if (r == -EPERM) {
			log_error("serve: socket %d from systemd would speak plaintext on a "
				  "non-loopback address without an allow list: refused",
				  fd);
			return r;
		}
		if (r < 0)
			return log_error_errno(r, "serve: socket %d: %s", fd, strerror(-r));
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		r = listener_add(srv, fd, true, mode);
		if (r < 0)
			return r;
	}
	srv->socket_activated = true;
	return 0;
}

/* "::" alone takes IPv4 too, unless 0.0.0.0 is listed with the same port. */
static bool wants_v6only(const struct config_serve *cfg, const struct config_listen *li)
{
	if (strcmp(li->address, "::") != 0)
		return true;
	for (size_t i = 0; i < cfg->n_listen; i++)
		if (cfg->listen[i].port == li->port &&
		    strcmp(cfg->listen[i].address, "0.0.0.0") == 0)
			return true;
	return false;
}

static int listener_bind(struct server *srv, const struct config_listen *li)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char port[8];
	int fd, one = 1, v6only, r;

	snprintf(port, sizeof(port), "%u", li->port);
	r = getaddrinfo(li->address, port, &hints, &ai);
	if (r != 0) {
		log_error("serve: cannot listen on %s port %s: %s", li->address, port,
			  gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r = fd < 0 ? -errno : 0;
	if (r >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		r = -errno;
	v6only = wants_v6only(srv->cfg, li);
	if (r >= 0 && ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		r = -errno;
	if (r >= 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		r = -errno;
	if (r >= 0 && listen(fd, SOMAXCONN) < 0)
		r = -errno;
	freeaddrinfo(ai);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return log_error_errno(
		    r, "serve: cannot listen on %s port %s: %s%s", li->address, port, strerror(-r),
		    r == -EACCES && li->port < 1024
			? " (ports below 1024 come from the socket unit: "
			  "systemctl stop upsagent, enable --now upsagent.socket, start upsagent)"
			: "");
	}
	return listener_add(srv, fd, true, li->mode);
}

int serve_listen_open(struct server *srv, const struct serve_socket *sockets, size_t n)
{
	int r = 0;

	if (n > 0)
		r = listeners_from_systemd(srv, sockets, n);
	else
		for (size_t i = 0; i < srv->cfg->n_listen && r >= 0; i++)
			r = listener_bind(srv, &srv->cfg->listen[i]);
	if (r >= 0)
		r = listeners_watch(srv);
	return r;
}

void serve_listen_close(struct server *srv)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		struct serve_listener *l = &srv->listeners[i];

		l->io = sd_event_source_disable_unref(l->io);
		l->rest = sd_event_source_disable_unref(l->rest);
		if (l->owned && l->fd >= 0)
			close(l->fd);
	}
	free(srv->listeners);
	srv->listeners = NULL;
	srv->n_listeners = 0;
}

/* Sockets systemd passed to a daemon that serves nothing: said and closed,
 * so that a socket unit left enabled is not silently a black hole. */
void serve_listen_refuse_unused(const struct serve_socket *sockets, size_t n)
{
	if (n == 0)
		return;
	log_warning("systemd passed %zu listening socket(s) but upsagent.conf has no serve "
		    "section: closing them (systemctl disable --now upsagent.socket)",
		    n);
	for (size_t i = 0; i < n; i++)
		close(sockets[i].fd);
}
