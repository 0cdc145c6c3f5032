/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status socket (control.h): "upsagent reload" (the unit's ExecReload=)
 * waits for the answer to "reload", so that systemctl reload fails when the
 * reload did.
 * The socket is mode 0660: root, the daemon's user and its group may ask. A
 * client that connects and says nothing is dropped after a second; nothing a
 * client does can block the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "macro.h"

#define CONTROL_TIMEOUT	    USEC_PER_SEC
#define CONTROL_MAX_CLIENTS 16

struct control_client {
	struct control *control;
	int fd;
	sd_event_source *io, *timer;
	struct control_client *prev, *next; /* control::clients */
};

struct control {
	sd_event *event;
	const struct control_ops *ops;
	void *userdata;
	int fd;
	char *path;
	sd_event_source *source;
	struct control_client *clients;
	unsigned n_clients;
};

static void client_free(struct control_client *c)
{
	struct control *ctl = c->control;

	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	ctl->n_clients--;
}

/* "fsd\n" or "fsd UPS\n": the line must be whole (a UPS name cut short
 * would force another UPS's shutdown, or none). */
static void control_fsd(const struct control *ctl, char *args, FILE *f)
{
	char msg[256] = "", *end = strchr(args, '\n');
	const char *ups = NULL;
	int r;

	if (!end) {
		fputs("failed: the request was cut short\n", f);
		return;
	}
	*end = '\0';
	if (*args == ' ')
		ups = ++args;
	if (ups && (!*ups || strpbrk(ups, " \t\r"))) {
		fputs("failed: expected fsd [UPS]\n", f);
		return;
	}
	r = ctl->ops->fsd(ctl->userdata, ups, msg, sizeof(msg));
	fprintf(f, "%s: %s\n", r < 0 ? "failed" : "ok", msg);
}

static void client_answer(struct control_client *c, char *request)
{
	const struct control *ctl = c->control;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (strncmp(request, "reload", 6) == 0) {
		int r = ctl->ops->reload(ctl->userdata);

		if (r < 0)
			fprintf(f, "failed: %s\n",
				r == -EBUSY    ? "a shutdown is in progress"
				: r == -EINVAL ? "the configuration does not load"
					       : strerror(-r));
		else
			fputs("ok\n", f);
	} else if (strncmp(request, "fsd", 3) == 0 && (request[3] == '\n' || request[3] == ' ')) {
		control_fsd(ctl, request + 3, f);
	} else
		ctl->ops->status(ctl->userdata, f, strncmp(request, "json", 4) == 0);
	fclose(f);
	/* One write; the reply is small. A client that does not read it
	 * loses it rather than holding the daemon up. */
	(void)send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(buf);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control_client *c = userdata;
	char request[128]; /* "fsd " and a UPS name of up to 64 characters */
	ssize_t n = recv(fd, request, sizeof(request) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0) {
		request[n] = '\0';
		client_answer(c, request);
	}
	client_free(c);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	client_free(userdata);
	return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control *ctl = userdata;
	struct control_client *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	c = ctl->n_clients < CONTROL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(cfd);
		return 0;
	}
	ctl->n_clients++;
	c->control = ctl;
	c->fd = cfd;
	c->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = c;
	ctl->clients = c;
	if (sd_event_add_io(ctl->event, &c->io, cfd, EPOLLIN, on_client_io, c) < 0 ||
	    sd_event_add_time_relative(ctl->event, &c->timer, CLOCK_MONOTONIC, CONTROL_TIMEOUT,
				       USEC_PER_MSEC * 100, on_client_timeout, c) < 0)
		client_free(c);
	return 0;
}

/* What is at path already: nothing, or a socket of ours that nobody
 * answers on (a daemon that died) is fine and goes; anything else - a file
 * another user planted, a live daemon - is an error that names it. */
static int control_clear(const char *path, const struct sockaddr_un *sa)
{
	_cleanup_close_ int probe = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : log_error_errno(-errno, "cannot look at %s: %s", path,
							 strerror(errno));
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		return log_error_errno(-EEXIST,
				       "%s exists and is not a socket of ours (%s owned by uid "
				       "%u): remove it, or set another status-socket",
				       path, S_ISSOCK(st.st_mode) ? "a socket" : "a file",
				       (unsigned)st.st_uid);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return log_error_errno(
		    -EADDRINUSE, "another upsagent answers on %s: is it running already?", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return log_error_errno(-errno, "cannot remove the stale socket %s: %s", path,
				       strerror(errno));
	return 0;
}

static int control_bind(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "the status socket path %s is too long",
				       path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = control_clear(path, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "cannot make the status socket: %s",
				       strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 8) < 0) {
		r = -errno;
		close(fd);
		return log_error_errno(r, "cannot open the status socket %s: %s", path,
				       strerror(-r));
	}
	return fd;
}

int control_open(sd_event *e, const char *path, const struct control_ops *ops, void *userdata,
		 struct control **ret)
{
	struct control *ctl;
	int r;

	*ret = NULL;
	if (!path || !path[0])
		return 0;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		return log_error_errno(-ENOMEM, "out of memory");
	}
	*ctl = (struct control){
	    .event = e, .ops = ops, .userdata = userdata, .fd = -1, .path = ctl->path};
	ctl->fd = control_bind(path); /* it says what went wrong */
	if (ctl->fd < 0) {
		r = ctl->fd;
		control_free(ctl);
		return r;
	}
	r = sd_event_add_io(e, &ctl->source, ctl->fd, EPOLLIN, on_accept, ctl);
	if (r < 0) {
		control_free(ctl);
		return log_error_errno(r, "cannot watch the status socket: %s", strerror(-r));
	}
	*ret = ctl;
	return 0;
}

struct control *control_free(struct control *ctl)
{
	if (!ctl)
		return NULL;
	while (ctl->clients)
		client_free(ctl->clients);
	ctl->source = sd_event_source_disable_unref(ctl->source);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		(void)unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
	return NULL;
}
