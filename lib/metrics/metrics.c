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

static const char *kind_suffix(enum metrics_kind kind)
{
	return kind == METRICS_COUNTER ? "_total" : kind == METRICS_INFO ? "_info" : "";
}

void metrics_family(FILE *f, enum metrics_format fmt, const char *name, enum metrics_kind kind,
		    const char *help)
{
	static const char *const om_types[] = {"gauge", "counter", "stateset", "info"};

	if (fmt == METRICS_OPENMETRICS) {
		fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, om_types[kind], name, help);
		return;
	}
	/* The Prometheus format names the family as its samples are named. */
	fprintf(f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, kind_suffix(kind), help, name,
		kind_suffix(kind), kind == METRICS_COUNTER ? "counter" : "gauge");
}

/* A sample line is built in memory and written at once: a scrape of a
 * thousand UPSes is some forty thousand lines (bench/metrics). */
struct line {
	char buf[1024];
	size_t len;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - l->len)
		n = sizeof(l->buf) - l->len; /* label values are names: never this long */
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* Both formats escape a label value's backslash, double quote and newline. */
static void line_label_value(struct line *l, const char *v)
{
	for (size_t n; *v; v += n) {
		n = strcspn(v, "\\\"\n");
		line_put(l, v, n);
		if (!v[n])
			break;
		line_puts(l, v[n] == '\n' ? "\\n" : v[n] == '"' ? "\\\"" : "\\\\");
		n++;
	}
}

void metrics_sample(FILE *f, const char *name, enum metrics_kind kind,
		    const struct metrics_label *l, size_t n, const char *value)
{
	struct line line = {.len = 0};

	line_puts(&line, name);
	line_puts(&line, kind_suffix(kind));
	for (size_t i = 0; i < n; i++) {
		line_puts(&line, i ? "," : "{");
		line_puts(&line, l[i].name);
		line_puts(&line, "=\"");
		line_label_value(&line, l[i].value);
		line_puts(&line, "\"");
	}
	line_puts(&line, n ? "} " : " ");
	line_puts(&line, value);
	line_puts(&line, "\n");
	fwrite_unlocked(line.buf, 1, line.len, f);
}

/* ---- the host ---------------------------------------------------------- */

static void write_gauge(FILE *f, enum metrics_format fmt, const char *name, const char *help,
			double v)
{
	char buf[METRICS_VALUE_LEN];

	metrics_family(f, fmt, name, METRICS_GAUGE, help);
	metrics_sample(f, name, METRICS_GAUGE, NULL, 0, metrics_value(buf, v));
}

static void write_host_state(FILE *f, enum metrics_format fmt, const struct metrics_host *h)
{
	static const char name[] = "upsagent_host_state";

	metrics_family(f, fmt, name, METRICS_STATESET,
		       "The host's shutdown sequence: watching, sync (a primary waits for its "
		       "secondaries), final-delay, done (power-off asked for)");
	for (unsigned s = 0; s < _HOST_STATE_MAX; s++) {
		struct metrics_label l = {name, host_state_to_string((enum host_state)s)};

		metrics_sample(f, name, METRICS_STATESET, &l, 1, h->state == s ? "1" : "0");
	}
}

static void write_host_timers(FILE *f, enum metrics_format fmt, const struct metrics_host *h)
{
	static const char name[] = "upsagent_host_timer_remaining_seconds";
	const struct {
		const char *rule;
		double left;
	} t[] = {{"host-sync", h->sync_left}, {"final-delay", h->final_left}};
	char buf[METRICS_VALUE_LEN];

	metrics_family(f, fmt, name, METRICS_GAUGE,
		       "Seconds left of each timed step of the shutdown that is running");
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct metrics_label l = {"rule", t[i].rule};

		if (t[i].left >= 0)
			metrics_sample(f, name, METRICS_GAUGE, &l, 1,
				       metrics_value(buf, t[i].left));
	}
}

static void write_host(FILE *f, enum metrics_format fmt, const struct metrics_host *h)
{
	write_gauge(f, fmt, "upsagent_host_supply",
		    "Sum of power-value over the UPSes that are not critical", h->supply);
	write_gauge(f, fmt, "upsagent_host_min_supplies",
		    "The host shuts down when its supply falls below this (0: never)",
		    h->min_supplies);
	write_gauge(f, fmt, "upsagent_host_shutdown_in_progress",
		    "1 from the moment the host started shutting down",
		    h->state != HOST_STATE_WATCHING);
	write_host_state(f, fmt, h);
	write_host_timers(f, fmt, h);
}

/* ---- the server -------------------------------------------------------- */

static void write_counter(FILE *f, enum metrics_format fmt, const char *name, const char *help,
			  uint64_t v)
{
	char buf[METRICS_VALUE_LEN];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	metrics_family(f, fmt, name, METRICS_COUNTER, help);
	metrics_sample(f, name, METRICS_COUNTER, NULL, 0, buf);
}

static void write_server(FILE *f, enum metrics_format fmt, const struct metrics_server *s)
{
	static const char logins[] = "upsagent_server_logins";
	char buf[METRICS_VALUE_LEN];

	write_gauge(f, fmt, "upsagent_server_clients",
		    "Clients connected to this host's UPS server, logged in or not", s->clients);
	metrics_family(f, fmt, logins, METRICS_GAUGE,
		       "Clients logged into each served UPS (NUMLOGINS, this host not counted)");
	for (size_t i = 0; i < s->n_ups; i++) {
		struct metrics_label l = {"ups", s->ups[i].name};

		metrics_sample(f, logins, METRICS_GAUGE, &l, 1,
			       metrics_value(buf, s->ups[i].logins));
	}
	write_counter(f, fmt, "upsagent_server_tls_handshakes",
		      "TLS handshakes the server completed", s->handshakes);
	write_counter(f, fmt, "upsagent_server_auth_failures",
		      "Logins the server refused (password, user or client certificate)",
		      s->auth_failures);
}

static void write_build(FILE *f, enum metrics_format fmt, const char *version)
{
	static const char name[] = "upsagent_build";
	struct metrics_label l = {"version", version ? version : "unknown"};

	metrics_family(f, fmt, name, METRICS_INFO, "upsagent's version");
	metrics_sample(f, name, METRICS_INFO, &l, 1, "1");
}

int metrics_write(FILE *f, const struct metrics_snapshot *s, enum metrics_format fmt)
{
	int r;

	/* One lock for the whole exposition, not one per line (fwrite_unlocked). */
	flockfile(f);
	write_build(f, fmt, s->version);
	write_host(f, fmt, &s->host);
	metrics_write_ups(f, fmt, s->ups, s->n_ups);
	if (s->server)
		write_server(f, fmt, s->server);
	if (fmt == METRICS_OPENMETRICS)
		fputs_unlocked("# EOF\n", f);
	r = ferror_unlocked(f) ? -EIO : 0;
	funlockfile(f);
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
