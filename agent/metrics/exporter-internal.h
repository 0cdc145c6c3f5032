/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the exporter module (exporter.h): exporter.c owns the listeners and
 * their sd-event sources, exporter-http.c answers requests,
 * exporter-textfile.c writes the textfile.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "exporter.h"

struct exporter_listener {
	struct exporter *e;
	struct MHD_Daemon *mhd;
	char name[64]; /* "127.0.0.1:9839", for messages */
	sd_event_source *io, *timer;
};

struct exporter {
	sd_event *event;
	const struct config *config;
	const struct config_metrics *cfg; /* config->metrics */
	const struct exporter_owner_ops *ops;
	void *userdata;
	struct exporter_listener *listeners;
	size_t n_listeners;
	/* PEM kept while the listeners live (libmicrohttpd reads them from memory) */
	char *cert, *key, *client_ca;
	size_t key_len;

	/* The per-UPS text that did not change since the last exposition: metrics.h. */
	struct metrics_cache *cache;
	/* Response bodies sent, kept for the next scrapes (exporter-http.c). */
	struct exporter_body *idle_bodies;
	size_t n_idle_bodies;

	/* the textfile */
	bool *polled; /* per UPS, since the last write */
	size_t n_polled, n_ups;
	sd_event_source *textfile_timer;
	bool textfile_failing;		  /* said once until it works again */
	struct metrics_buf textfile_text; /* kept, as the bodies, from one write to the next */
};

/* exporter-http.c: what libmicrohttpd calls. */
enum MHD_Result exporter_http_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version, const char *upload,
				      size_t *upload_size, void **con_cls);
enum MHD_Result exporter_http_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* Frees the bodies kept; after the daemons stopped (they give theirs back). */
void exporter_http_close(struct exporter *e);

/* exporter-textfile.c */
int exporter_textfile_open(struct exporter *e);
void exporter_textfile_close(struct exporter *e);
