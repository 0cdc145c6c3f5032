/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status socket: a client connects, sends "text" or "json" and a line
 * end, reads the state of every UPS and of the host, and the daemon closes.
 * "reload" reloads the configuration, as SIGHUP does, and answers "ok" or
 * "failed: REASON": "upsagent reload" (the unit's ExecReload=) waits for
 * it, so that systemctl reload fails when the reload did.
 * The socket is mode 0600: only root and the daemon's own user may ask. A
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

#include "agent.h"
#include "escape.h"
#include "json.h"
#include "log.h"

#define CONTROL_TIMEOUT	    USEC_PER_SEC
#define CONTROL_MAX_CLIENTS 16

struct control_client {
	struct agent *agent;
	int fd;
	sd_event_source *io, *timer;
	struct control_client *prev, *next; /* clients */
};

/* The daemon has one control socket; its clients live here. */
static struct control_client *clients;
static unsigned n_clients;

static void client_free(struct control_client *c)
{
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	n_clients--;
}

static double age(const struct agent *a, uint64_t t)
{
	return t ? (double)(agent_now(a) - t) / USEC_PER_SEC : -1;
}

static void render_text(FILE *f, const struct agent *a)
{
	fprintf(f, "host: %s, supply %u of min-supplies %u%s\n",
		host_state_to_string(a->host.state), host_supply(a->host_ups, a->n_watches),
		a->config->min_supplies, a->dry_run ? ", dry run" : "");
	for (size_t i = 0; i < a->n_watches; i++) {
		const struct watch *w = a->watches[i];
		const struct host_ups *h = &a->host_ups[i];

		fprintf(f, "%s (%s): %s, %s, ", w->ups->name, w->upsname,
			w->last_ok ? w->last_status : "no data", watch_state(w));
		if (w->last_poll)
			fprintf(f, "last poll %.1f s ago%s, ", age(a, w->last_poll),
				w->last_ok ? "" : " failed");
		else
			fputs("not polled yet, ", f);
		if (h->critical)
			fprintf(f, "CRITICAL: %s", h->reason ? h->reason : "");
		else
			fputs("not critical", f);
		if (w->last_error[0]) {
			fputs(" (", f);
			escape_print(f, w->last_error); /* may quote a USB device's strings */
			fputc(')', f);
		}
		fputc('\n', f);
	}
}

static void json_pair(FILE *f, const char *key, const char *value, bool comma)
{
	json_print_string(f, key);
	fputc(':', f);
	if (value)
		json_print_string(f, value);
	else
		fputs("null", f);
	if (comma)
		fputc(',', f);
}

static void render_json_ups(FILE *f, const struct agent *a, size_t i)
{
	const struct watch *w = a->watches[i];
	const struct host_ups *h = &a->host_ups[i];

	fputc('{', f);
	json_pair(f, "name", w->ups->name, true);
	json_pair(f, "upsname", w->upsname, true);
	json_pair(f, "session", watch_state(w), true);
	json_pair(f, "status", w->last_ok ? w->last_status : NULL, true);
	fprintf(f, "\"last_poll_ok\":%s,", w->last_ok ? "true" : "false");
	if (w->last_poll)
		fprintf(f, "\"last_poll_age\":%.3f,", age(a, w->last_poll));
	else
		fputs("\"last_poll_age\":null,", f);
	fprintf(f, "\"power_value\":%u,\"critical\":%s,", h->power_value,
		h->critical ? "true" : "false");
	json_pair(f, "reason", h->critical ? h->reason : NULL, true);
	json_pair(f, "error", w->last_error[0] ? w->last_error : NULL, false);
	fputc('}', f);
}

static void render_json(FILE *f, const struct agent *a)
{
	fputs("{\"host\":{", f);
	json_pair(f, "state", host_state_to_string(a->host.state), true);
	fprintf(f, "\"supply\":%u,\"min_supplies\":%u,\"power_short\":%s,\"dry_run\":%s},",
		host_supply(a->host_ups, a->n_watches), a->config->min_supplies,
		host_power_short(&a->host, a->host_ups, a->n_watches) ? "true" : "false",
		a->dry_run ? "true" : "false");
	fputs("\"ups\":[", f);
	for (size_t i = 0; i < a->n_watches; i++) {
		if (i)
			fputc(',', f);
		render_json_ups(f, a, i);
	}
	fputs("]}\n", f);
}

static void client_answer(struct control_client *c, const char *request)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (strncmp(request, "reload", 6) == 0) {
		int r = agent_reload(c->agent);

		if (r < 0)
			fprintf(f, "failed: %s\n",
				r == -EBUSY    ? "a shutdown is in progress"
				: r == -EINVAL ? "the configuration does not load"
					       : strerror(-r));
		else
			fputs("ok\n", f);
	} else if (strncmp(request, "json", 4) == 0)
		render_json(f, c->agent);
	else
		render_text(f, c->agent);
	fclose(f);
	/* One write; the reply is small. A client that does not read it
	 * loses it rather than holding the daemon up. */
	(void)send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(buf);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control_client *c = userdata;
	char request[16];
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
	struct agent *a = userdata;
	struct control_client *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	c = n_clients < CONTROL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(cfd);
		return 0;
	}
	n_clients++;
	c->agent = a;
	c->fd = cfd;
	c->next = clients;
	if (clients)
		clients->prev = c;
	clients = c;
	if (sd_event_add_io(a->event, &c->io, cfd, EPOLLIN, on_client_io, c) < 0 ||
	    sd_event_add_time_relative(a->event, &c->timer, CLOCK_MONOTONIC, CONTROL_TIMEOUT,
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
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 8) < 0) {
		r = -errno;
		close(fd);
		return log_error_errno(r, "cannot open the status socket %s: %s", path,
				       strerror(-r));
	}
	return fd;
}

int control_open(struct agent *a)
{
	const char *path = a->config->status_socket;
	int r;

	if (!path || !path[0])
		return 0;
	a->control_path = strdup(path);
	if (!a->control_path)
		return log_error_errno(-ENOMEM, "out of memory");
	a->control_fd = control_bind(path); /* it says what went wrong */
	if (a->control_fd < 0)
		return a->control_fd;
	r = sd_event_add_io(a->event, &a->control_source, a->control_fd, EPOLLIN, on_accept, a);
	if (r < 0)
		return log_error_errno(r, "cannot watch the status socket: %s", strerror(-r));
	return 0;
}

void control_close(struct agent *a)
{
	while (clients)
		client_free(clients);
	a->control_source = sd_event_source_disable_unref(a->control_source);
	if (a->control_fd >= 0) {
		close(a->control_fd);
		(void)unlink(a->control_path);
	}
	a->control_fd = -1;
	free(a->control_path);
	a->control_path = NULL;
}
