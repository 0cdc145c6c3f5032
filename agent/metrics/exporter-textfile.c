/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the exporter module (exporter.h): node_exporter's textfile. Written
 * in the Prometheus text format to a temporary file beside it and renamed
 * over it, so that node_exporter never reads half a file, once per poll
 * round: when every UPS has ended a poll since the last write, or a poll
 * interval and a poll timeout after it, whichever comes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter-internal.h"
#include "log.h"
#include "macro.h"

/* ".NAME.tmp" beside NAME: node_exporter reads only *.prom. */
static char *temp_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL;

	if (asprintf(&tmp, "%.*s/.%s.tmp", (int)(slash - path), path, slash + 1) < 0)
		return NULL;
	return tmp;
}

/* All of text to fd, however the kernel splits it. */
static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int textfile_write_to(struct exporter *e, const char *tmp)
{
	_cleanup_close_ int fd = -1;
	int r;

	/* Rendered first, into a buffer kept from one round to the next (no
	 * page faults for a new one), then written at once. */
	r = e->ops->render(e->userdata, &e->textfile_text, e->cache, METRICS_PROMETHEUS);
	if (r < 0)
		return r;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* node_exporter runs as its own user: it must read what UMask=0077 hides. */
	(void)fchmod(fd, 0644);
	r = write_all(fd, e->textfile_text.data, e->textfile_text.len);
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	return r;
}

static int textfile_write(struct exporter *e)
{
	_cleanup_free_ char *tmp = temp_path(e->cfg->textfile);
	int r;

	if (!tmp)
		return -ENOMEM;
	r = textfile_write_to(e, tmp);
	if (r >= 0 && rename(tmp, e->cfg->textfile) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/* Each failure said once, with what to do, until a write works again. */
static void textfile_say(struct exporter *e, int r)
{
	if (r >= 0) {
		if (e->textfile_failing)
			log_info("metrics: writing %s again", e->cfg->textfile);
		e->textfile_failing = false;
		return;
	}
	if (e->textfile_failing)
		return;
	e->textfile_failing = true;
	log_warning("metrics: cannot write %s: %s%s", e->cfg->textfile, strerror(-r),
		    r == -EROFS || r == -EACCES || r == -EPERM
			? " (the service may write there only with ReadWritePaths= for its "
			  "directory, and the upsagent user needs write access: see "
			  "upsagent.conf(5), METRICS SECTION)"
			: "");
}

static void textfile_round(struct exporter *e)
{
	uint64_t wait = e->config->poll_interval + e->config->poll_timeout;

	textfile_say(e, textfile_write(e));
	memset(e->polled, 0, e->n_ups * sizeof(*e->polled));
	e->n_polled = 0;
	(void)sd_event_source_set_time_relative(e->textfile_timer, wait);
	(void)sd_event_source_set_enabled(e->textfile_timer, SD_EVENT_ONESHOT);
}

static int on_textfile_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	textfile_round(userdata);
	return 0;
}

void exporter_polled(struct exporter *e, size_t ups)
{
	if (!e || !e->cfg->textfile || ups >= e->n_ups || e->polled[ups])
		return;
	e->polled[ups] = true;
	if (++e->n_polled == e->n_ups)
		textfile_round(e);
}

int exporter_textfile_open(struct exporter *e)
{
	int r;

	if (!e->cfg->textfile)
		return 0;
	e->n_ups = e->config->n_ups;
	e->polled = calloc(e->n_ups ? e->n_ups : 1, sizeof(*e->polled));
	if (!e->polled)
		return log_error_errno(-ENOMEM, "metrics: out of memory");
	r = sd_event_add_time_relative(e->event, &e->textfile_timer, CLOCK_MONOTONIC,
				       e->config->poll_interval + e->config->poll_timeout,
				       10 * USEC_PER_MSEC, on_textfile_timer, e);
	if (r < 0)
		return log_error_errno(r, "metrics: cannot arm the textfile's timer: %s",
				       strerror(-r));
	log_info("metrics: writing %s after every poll round", e->cfg->textfile);
	return 0;
}

void exporter_textfile_close(struct exporter *e)
{
	e->textfile_timer = sd_event_source_disable_unref(e->textfile_timer);
	free(e->polled);
	e->polled = NULL;
	metrics_buf_done(&e->textfile_text);
}
