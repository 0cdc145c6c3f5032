/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"

struct resolve {
	sd_event_source *io;
	sd_event_source *defer; /* answers that need no thread */
	int fd;			/* our end of the socket pair */
	resolve_fn done;
	void *userdata;
	struct addrinfo *addrs;
	int error;
};

/* What the thread owns: its own copies, and its end of the socket pair. */
struct lookup {
	char host[256];
	char port[8];
	int fd;
};

/* The one message the thread sends; small enough to go in one piece. */
struct answer {
	struct addrinfo *addrs;
	int error;
};

static const struct addrinfo hints_stream = {.ai_socktype = SOCK_STREAM,
					     .ai_flags = AI_NUMERICSERV};

static void *lookup_thread(void *arg)
{
	struct lookup *l = arg;
	struct answer a;

	memset(&a, 0, sizeof(a)); /* the padding crosses the socket too */
	a.error = getaddrinfo(l->host, l->port, &hints_stream, &a.addrs);
	/* When the lookup was cancelled meanwhile, the other end is closed:
	 * the send fails (EPIPE, without a SIGPIPE) and the answer is ours to
	 * free. */
	if (send(l->fd, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a) && a.addrs)
		freeaddrinfo(a.addrs);
	close(l->fd);
	free(l);
	return NULL;
}

static void resolve_finish(struct resolve *r, struct addrinfo *addrs, int error)
{
	resolve_fn done = r->done;
	void *userdata = r->userdata;

	r->done = NULL;
	done(addrs, error, userdata);
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct resolve *r = userdata;
	struct answer a = {NULL, EAI_SYSTEM};
	ssize_t n = read(fd, &a, sizeof(a));

	if (n != (ssize_t)sizeof(a))
		a = (struct answer){NULL, EAI_SYSTEM};
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	resolve_finish(r, a.addrs, a.error);
	return 0;
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct resolve *r = userdata;

	resolve_finish(r, TAKE_PTR(r->addrs), r->error);
	return 0;
}

static int start_thread(struct resolve *r, const char *host, const char *port)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_attr_t attr;
	pthread_t t;
	int p[2], e;

	if (!l)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0) {
		free(l);
		return -errno;
	}
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	l->fd = p[1];
	r->fd = p[0];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &attr, lookup_thread, l);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		close(p[1]);
		free(l);
		return -e;
	}
	return 0;
}

int resolve_start(sd_event *e, const char *host, uint16_t port, resolve_fn done, void *userdata,
		  struct resolve **ret)
{
	struct addrinfo hints = hints_stream;
	struct resolve *r;
	char service[8];
	int k;

	if (strlen(host) >= 256)
		return -ENAMETOOLONG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->done = done;
	r->userdata = userdata;
	snprintf(service, sizeof(service), "%u", port);
	hints.ai_flags |= AI_NUMERICHOST;
	r->error = getaddrinfo(host, service, &hints, &r->addrs);
	if (r->error == 0)
		k = sd_event_add_defer(e, &r->defer, on_defer, r);
	else if ((k = start_thread(r, host, service)) >= 0)
		k = sd_event_add_io(e, &r->io, r->fd, EPOLLIN, on_answer, r);
	if (k < 0) {
		resolve_cancel(r);
		return k;
	}
	*ret = r;
	return 0;
}

/* The thread may have sent its answer just now: after shutdown(SHUT_RD)
 * any later send fails (EPIPE, and the thread frees the answer), and one
 * already queued is read here and freed, so no answer is ever lost. */
static void resolve_drop_answer(int fd)
{
	struct answer a;

	(void)shutdown(fd, SHUT_RD);
	if (recv(fd, &a, sizeof(a), MSG_DONTWAIT) == (ssize_t)sizeof(a) && a.addrs)
		freeaddrinfo(a.addrs);
	close(fd);
}

struct resolve *resolve_cancel(struct resolve *r)
{
	if (!r)
		return NULL;
	sd_event_source_disable_unref(r->io);
	sd_event_source_disable_unref(r->defer);
	if (r->fd >= 0)
		resolve_drop_answer(r->fd);
	if (r->addrs)
		freeaddrinfo(r->addrs);
	free(r);
	return NULL;
}
