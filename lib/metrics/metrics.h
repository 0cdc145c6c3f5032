/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics exposition (upsagent.conf(5), METRICS SECTION): a snapshot of
 * the host, its UPSes and its server, written as OpenMetrics text or as the
 * Prometheus text format (what node_exporter's textfile collector reads).
 * Pure: a plain struct in, text out, no clock and no I/O but the FILE given;
 * whoever fills the snapshot owns everything it points to.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"
#include "monitor.h"
#include "varlist.h"

enum metrics_format {
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	METRICS_PROMETHEUS,  /* text/plain; version=0.0.4: node_exporter's textfile, curl */
	_METRICS_FORMAT_MAX
};

/* "Not known" for the double fields below. */
#define METRICS_NONE (-1.0)

/* One watched UPS, labelled ups="name", server="server". */
struct metrics_ups {
	const char *name;	    /* its ups section */
	const char *server;	    /* "HOST:PORT", "usb" or "sim" */
	const struct varlist *vars; /* the latest good reading; NULL: none yet */
	double reading_age;	    /* seconds since that reading; METRICS_NONE without one */
	uint32_t status;	    /* its STATUS_FLAG() bits, FSD latch included */
	double poll_duration;	    /* seconds the last poll took; METRICS_NONE: none yet */
	uint64_t polls_failed;	    /* attempts that ended without a reading */
	enum monitor_comm comm;
	enum monitor_reason reason; /* MONITOR_REASON_NONE: not critical */
	double on_battery;	    /* seconds since OB came; 0 when not on battery */
	double
	    timers[_MONITOR_TIMER_MAX]; /* seconds left (0: ran out); METRICS_NONE: not running */
	unsigned power_value;
};

struct metrics_host {
	enum host_state state;
	unsigned supply, min_supplies;
	double sync_left;  /* primary waiting for logins: seconds of host-sync left, or NONE */
	double final_left; /* seconds of final-delay left, or METRICS_NONE */
};

/* This daemon's server (the serve section). */
struct metrics_served {
	const char *name; /* a served ups section */
	unsigned logins;
};

struct metrics_server {
	unsigned clients;	/* connected now, logged in or not */
	uint64_t handshakes;	/* TLS handshakes completed */
	uint64_t auth_failures; /* logins refused: bad password, user or certificate */
	const struct metrics_served *ups;
	size_t n_ups;
};

struct metrics_snapshot {
	const char *version; /* upsagent_build_info */
	struct metrics_host host;
	const struct metrics_ups *ups;
	size_t n_ups;
	const struct metrics_server *server; /* NULL without a serve section */
};

/* A growable text buffer. Kept from one exposition to the next, its pages
 * stay mapped: a fresh 300 KiB buffer per scrape cost more in page faults
 * than the formatting (bench/metrics). */
struct metrics_buf {
	char *data;
	size_t len, size;
	bool failed; /* out of memory: the text is incomplete */
};

void metrics_buf_done(struct metrics_buf *b);

/* Each UPS's sample lines as last written, each kept with the value it was
 * written from and reused while that value is the same: a scrape formats
 * again only what changed since the last one, and the time-dependent samples
 * (reading age, on-battery seconds, timers). One serves both formats. */
struct metrics_cache;

struct metrics_cache *metrics_cache_new(void);
struct metrics_cache *metrics_cache_free(struct metrics_cache *c);

/* Replaces b's text with the exposition of s in fmt; c is NULL or kept
 * between calls (s->ups[i] is c's UPS i while its name and server are).
 * 0, or -ENOMEM with b's text incomplete. */
int metrics_render(struct metrics_buf *b, const struct metrics_snapshot *s, enum metrics_format fmt,
		   struct metrics_cache *c);
/* The same, without a cache, to f. 0, -ENOMEM, or -EIO when f failed. */
int metrics_write(FILE *f, const struct metrics_snapshot *s, enum metrics_format fmt);

/* The format a scraper's Accept header asks for: OpenMetrics when it names
 * application/openmetrics-text, else the Prometheus text format (NULL too). */
enum metrics_format metrics_format_from_accept(const char *accept);
/* The Content-Type of fmt. */
const char *metrics_content_type(enum metrics_format fmt);
