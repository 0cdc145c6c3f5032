/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exposition's frame: families, samples, label escaping, and the host,
 * server and build metrics. The two formats differ only in the metadata
 * (OpenMetrics names a counter family without _total and has stateset and
 * info types, the Prometheus format has gauges for both) and in "# EOF".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics-internal.h"

const char *metrics_value(char buf[METRICS_VALUE_LEN], double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, METRICS_VALUE_LEN, "%.0f", v);
	else
		snprintf(buf, METRICS_VALUE_LEN, "%.9g", v);
	return buf;
}

/* ---- the buffer -------------------------------------------------------- */

void metrics_buf_done(struct metrics_buf *b)
{
	free(b->data);
	*b = (struct metrics_buf){.data = NULL};
}

/* Room for n more bytes, doubling: a scrape reuses the last one's size. */
static bool buf_reserve(struct metrics_buf *b, size_t n)
{
	size_t size = b->size ? b->size : 4096;
	char *data;

	if (b->failed)
		return false;
	if (b->size - b->len >= n)
		return true;
	while (size - b->len < n) {
		if (size > SIZE_MAX / 2)
			return !(b->failed = true);
		size *= 2;
	}
	data = realloc(b->data, size);
	if (!data)
		return !(b->failed = true);
	b->data = data;
	b->size = size;
	return true;
}

void metrics_put(struct metrics_buf *b, const char *s, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void metrics_puts(struct metrics_buf *b, const char *s)
{
	metrics_put(b, s, strlen(s));
}

/* ---- families and samples ---------------------------------------------- */

const char *metrics_kind_suffix(enum metrics_kind kind)
{
	return kind == METRICS_COUNTER ? "_total" : kind == METRICS_INFO ? "_info" : "";
}

static void family_line(struct metrics_buf *b, const char *what, const char *name,
			const char *suffix, const char *text)
{
	metrics_puts(b, what);
	metrics_puts(b, name);
	metrics_puts(b, suffix);
	metrics_puts(b, " ");
	metrics_puts(b, text);
	metrics_puts(b, "\n");
}

void metrics_family(struct metrics_buf *b, enum metrics_format fmt, const char *name,
		    enum metrics_kind kind, const char *help)
{
	static const char *const om_types[] = {"gauge", "counter", "stateset", "info"};
	const char *suffix = metrics_kind_suffix(kind);

	if (fmt == METRICS_OPENMETRICS) {
		family_line(b, "# TYPE ", name, "", om_types[kind]);
		family_line(b, "# HELP ", name, "", help);
		return;
	}
	/* The Prometheus format names the family as its samples are named. */
	family_line(b, "# HELP ", name, suffix, help);
	family_line(b, "# TYPE ", name, suffix, kind == METRICS_COUNTER ? "counter" : "gauge");
}

/* Both formats escape a label value's backslash, double quote and newline. */
void metrics_label_value(struct metrics_buf *b, const char *v)
{
	for (size_t n; *v; v += n) {
		n = strcspn(v, "\\\"\n");
		metrics_put(b, v, n);
		if (!v[n])
			break;
		metrics_puts(b, v[n] == '\n' ? "\\n" : v[n] == '"' ? "\\\"" : "\\\\");
		n++;
	}
}

void metrics_sample(struct metrics_buf *b, const char *name, enum metrics_kind kind,
		    const struct metrics_label *l, size_t n, const char *value)
{
	metrics_puts(b, name);
	metrics_puts(b, metrics_kind_suffix(kind));
	for (size_t i = 0; i < n; i++) {
		metrics_puts(b, i ? "," : "{");
		metrics_puts(b, l[i].name);
		metrics_puts(b, "=\"");
		metrics_label_value(b, l[i].value);
		metrics_puts(b, "\"");
	}
	metrics_puts(b, n ? "} " : " ");
	metrics_puts(b, value);
	metrics_puts(b, "\n");
}

/* ---- the host ---------------------------------------------------------- */

static void write_gauge(struct metrics_buf *b, enum metrics_format fmt, const char *name,
			const char *help, double v)
{
	char buf[METRICS_VALUE_LEN];

	metrics_family(b, fmt, name, METRICS_GAUGE, help);
	metrics_sample(b, name, METRICS_GAUGE, NULL, 0, metrics_value(buf, v));
}

static void write_host_state(struct metrics_buf *b, enum metrics_format fmt,
			     const struct metrics_host *h)
{
	static const char name[] = "upsagent_host_state";

	metrics_family(b, fmt, name, METRICS_STATESET,
		       "The host's shutdown sequence: watching, sync (a primary waits for its "
		       "secondaries), final-delay, done (power-off asked for)");
	for (unsigned s = 0; s < _HOST_STATE_MAX; s++) {
		struct metrics_label l = {name, host_state_to_string((enum host_state)s)};

		metrics_sample(b, name, METRICS_STATESET, &l, 1, h->state == s ? "1" : "0");
	}
}

static void write_host_timers(struct metrics_buf *b, enum metrics_format fmt,
			      const struct metrics_host *h)
{
	static const char name[] = "upsagent_host_timer_remaining_seconds";
	const struct {
		const char *rule;
		double left;
	} t[] = {{"host-sync", h->sync_left}, {"final-delay", h->final_left}};
	char buf[METRICS_VALUE_LEN];

	metrics_family(b, fmt, name, METRICS_GAUGE,
		       "Seconds left of each timed step of the shutdown that is running");
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct metrics_label l = {"rule", t[i].rule};

		if (t[i].left >= 0)
			metrics_sample(b, name, METRICS_GAUGE, &l, 1,
				       metrics_value(buf, t[i].left));
	}
}

static void write_host(struct metrics_buf *b, enum metrics_format fmt, const struct metrics_host *h)
{
	write_gauge(b, fmt, "upsagent_host_supply",
		    "Sum of power-value over the UPSes that are not critical", h->supply);
	write_gauge(b, fmt, "upsagent_host_min_supplies",
		    "The host shuts down when its supply falls below this (0: never)",
		    h->min_supplies);
	write_gauge(b, fmt, "upsagent_host_shutdown_in_progress",
		    "1 from the moment the host started shutting down",
		    h->state != HOST_STATE_WATCHING);
	write_host_state(b, fmt, h);
	write_host_timers(b, fmt, h);
}

/* ---- the server -------------------------------------------------------- */

static void write_counter(struct metrics_buf *b, enum metrics_format fmt, const char *name,
			  const char *help, uint64_t v)
{
	char buf[METRICS_VALUE_LEN];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	metrics_family(b, fmt, name, METRICS_COUNTER, help);
	metrics_sample(b, name, METRICS_COUNTER, NULL, 0, buf);
}

static void write_server(struct metrics_buf *b, enum metrics_format fmt,
			 const struct metrics_server *s)
{
	static const char logins[] = "upsagent_server_logins";
	char buf[METRICS_VALUE_LEN];

	write_gauge(b, fmt, "upsagent_server_clients",
		    "Clients connected to this host's UPS server, logged in or not", s->clients);
	metrics_family(b, fmt, logins, METRICS_GAUGE,
		       "Clients logged into each served UPS (NUMLOGINS, this host not counted)");
	for (size_t i = 0; i < s->n_ups; i++) {
		struct metrics_label l = {"ups", s->ups[i].name};

		metrics_sample(b, logins, METRICS_GAUGE, &l, 1,
			       metrics_value(buf, s->ups[i].logins));
	}
	write_counter(b, fmt, "upsagent_server_tls_handshakes",
		      "TLS handshakes the server completed", s->handshakes);
	write_counter(b, fmt, "upsagent_server_auth_failures",
		      "Logins the server refused (password, user or client certificate)",
		      s->auth_failures);
}

static void write_build(struct metrics_buf *b, enum metrics_format fmt, const char *version)
{
	static const char name[] = "upsagent_build";
	struct metrics_label l = {"version", version ? version : "unknown"};

	metrics_family(b, fmt, name, METRICS_INFO, "upsagent's version");
	metrics_sample(b, name, METRICS_INFO, &l, 1, "1");
}

int metrics_render(struct metrics_buf *b, const struct metrics_snapshot *s, enum metrics_format fmt,
		   struct metrics_cache *c)
{
	struct metrics_cache *own = c ? NULL : metrics_cache_new();
	int r;

	b->len = 0;
	b->failed = false;
	if (!c && !own)
		return -ENOMEM;
	write_build(b, fmt, s->version);
	write_host(b, fmt, &s->host);
	r = metrics_write_ups(b, fmt, s->ups, s->n_ups, c ? c : own);
	if (s->server)
		write_server(b, fmt, s->server);
	if (fmt == METRICS_OPENMETRICS)
		metrics_puts(b, "# EOF\n");
	metrics_cache_free(own);
	return r < 0 || b->failed ? -ENOMEM : 0;
}

int metrics_write(FILE *f, const struct metrics_snapshot *s, enum metrics_format fmt)
{
	struct metrics_buf b = {.data = NULL};
	int r = metrics_render(&b, s, fmt, NULL);

	if (r >= 0 && b.len && fwrite(b.data, 1, b.len, f) != b.len)
		r = -EIO;
	metrics_buf_done(&b);
	return r;
}

/* ---- negotiation ------------------------------------------------------- */

enum metrics_format metrics_format_from_accept(const char *accept)
{
	/* Prometheus asks for OpenMetrics first, text/plain with a lower q. */
	return accept && strstr(accept, "application/openmetrics-text") ? METRICS_OPENMETRICS
									: METRICS_PROMETHEUS;
}

const char *metrics_content_type(enum metrics_format fmt)
{
	return fmt == METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; "
					    "charset=utf-8"
					  : "text/plain; version=0.0.4; charset=utf-8";
}
