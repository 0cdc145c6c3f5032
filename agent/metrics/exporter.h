/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics exporter (the metrics section): GET /metrics over HTTP/1.1
 * (libmicrohttpd, run on the owner's sd-event loop through its epoll
 * descriptor, TLS through GnuTLS) and node_exporter's textfile, written
 * after every poll round. It knows its owner only through the
 * exporter_owner_ops it was given: whatever it serves, the owner writes.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "metrics.h"

struct exporter;

/* The owner's side. Each gets the env's userdata. */
struct exporter_owner_ops {
	/* The exposition, now, in fmt, into b (metrics_render with the
	 * exporter's cache c). 0 or -errno. */
	int (*render)(void *userdata, struct metrics_buf *b, struct metrics_cache *c,
		      enum metrics_format fmt);
};

/* What the exporter is given; the owner keeps it alive as long as the exporter. */
struct exporter_env {
	sd_event *event;
	const struct config *config; /* its metrics section; poll-interval, the UPS count */
	const struct exporter_owner_ops *ops;
	void *userdata;
	/* Listening sockets systemd passed (upsagent-metrics.socket): served
	 * instead of binding listen's addresses. The exporter owns and closes
	 * them, also when it fails or has no metrics section. */
	const int *fds;
	size_t n_fds;
};

/*
 * Listeners bound and the textfile's round set up, from env->config->metrics;
 * *ret is NULL without a metrics section, else freed with exporter_free().
 * 0 or -errno, each failure logged.
 */
int exporter_open(const struct exporter_env *env, struct exporter **ret);
struct exporter *exporter_free(struct exporter *e);
/* The owner's UPS number ups ended a poll: once every UPS has, the round is
 * over and the textfile is written (or at the latest a poll interval and a
 * poll timeout after the last write, so that a stuck poll shows as age). */
void exporter_polled(struct exporter *e, size_t ups);
