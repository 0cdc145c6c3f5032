/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the metrics module (metrics.h): the per-UPS families, each sample
 * labelled ups and server. The readings are NUT's variables in base units
 * (percent becomes a ratio 0..1); the decisions are the monitor's own.
 * upsagent.conf(5) lists each with its NUT variable and nut_exporter's name.
 *
 * Most of a UPS's lines change only when its reading or its verdict does:
 * each family's lines of a UPS (a "piece") are kept in the cache with the
 * value they were written from, and copied while that value is the same.
 * Those that move with the clock (reading age, on-battery seconds, timers)
 * are written at every exposition, from the UPS's labels escaped once.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics-internal.h"
#include "number.h"
#include "status.h"

/* The variables of a reading that become gauges, when present and numeric. */
static const struct var_metric {
	const char *name, *var, *help;
	double scale;
} var_metrics[] = {
    {"upsagent_ups_battery_charge_ratio", "battery.charge", "Battery charge, 0..1", 0.01},
    {"upsagent_ups_battery_runtime_seconds", "battery.runtime", "Battery runtime left", 1},
    {"upsagent_ups_battery_voltage_volts", "battery.voltage", "Battery voltage", 1},
    {"upsagent_ups_load_ratio", "ups.load", "Load, 0..1 of the UPS's capacity", 0.01},
    {"upsagent_ups_input_voltage_volts", "input.voltage", "Input voltage", 1},
    {"upsagent_ups_output_voltage_volts", "output.voltage", "Output voltage", 1},
    {"upsagent_ups_input_frequency_hertz", "input.frequency", "Input frequency", 1},
    {"upsagent_ups_output_frequency_hertz", "output.frequency", "Output frequency", 1},
};

/* The state set of ups.status: the tokens upsmon acts on or shows. */
static const enum status_token status_states[] = {
    STATUS_OL,	   STATUS_OB,  STATUS_LB,  STATUS_HB,	STATUS_RB,   STATUS_CHRG,  STATUS_DISCHRG,
    STATUS_BYPASS, STATUS_CAL, STATUS_OFF, STATUS_OVER, STATUS_TRIM, STATUS_BOOST, STATUS_FSD,
};

/* Short, stable names of the rules that make a UPS critical. */
static const char *const reason_names[_MONITOR_REASON_MAX] = {
    [MONITOR_REASON_NONE] = "none",	    [MONITOR_REASON_FSD] = "fsd",
    [MONITOR_REASON_LOST_CAL] = "lost-cal", [MONITOR_REASON_LOST_BYPASS] = "lost-bypass",
    [MONITOR_REASON_LOST_OFF] = "lost-off", [MONITOR_REASON_LOST_ALARM] = "lost-alarm",
    [MONITOR_REASON_LOST_OB] = "lost-ob",   [MONITOR_REASON_OFF] = "off",
    [MONITOR_REASON_OB_LB] = "ob-lb",	    [MONITOR_REASON_CHARGE] = "charge",
    [MONITOR_REASON_RUNTIME] = "runtime",   [MONITOR_REASON_OB_MAX] = "on-battery-max",
};

static const char *const comm_names[_MONITOR_COMM_MAX] = {
    [MONITOR_COMM_UNKNOWN] = "unknown", [MONITOR_COMM_OK] = "ok", [MONITOR_COMM_LOST] = "lost"};

/* The cached pieces of a UPS, one per family that does not move with the clock. */
enum piece_id {
	PIECE_STATUS,
	PIECE_VARS, /* one per var_metrics entry */
	PIECE_POLL_DURATION = PIECE_VARS + ELEMENTSOF(var_metrics),
	PIECE_POLL_FAILURES,
	PIECE_COMM,
	PIECE_CRITICAL,
	PIECE_REASON,
	PIECE_POWER_VALUE,
	_PIECE_MAX
};

struct piece {
	double key; /* what the text was written from; compared bit for bit */
	bool valid;
	struct metrics_buf text;
};

struct ups_entry {
	char *name, *server;	   /* the labels the pieces carry */
	struct metrics_buf labels; /* ups="...",server="..." escaped */
	struct piece piece[_PIECE_MAX];
};

struct metrics_cache {
	struct ups_entry *ups;
	size_t n;
};

struct metrics_cache *metrics_cache_new(void)
{
	return calloc(1, sizeof(struct metrics_cache));
}

static void entry_clear(struct ups_entry *e)
{
	free(e->name);
	free(e->server);
	metrics_buf_done(&e->labels);
	for (size_t p = 0; p < _PIECE_MAX; p++)
		metrics_buf_done(&e->piece[p].text);
	*e = (struct ups_entry){.name = NULL};
}

struct metrics_cache *metrics_cache_free(struct metrics_cache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->ups[i]);
	free(c->ups);
	free(c);
	return NULL;
}

/* Entry e is for u: written again from nothing when its labels changed
 * (a reload that renamed or reordered the UPSes). 0 or -ENOMEM. */
static int entry_sync(struct ups_entry *e, const struct metrics_ups *u)
{
	if (e->name && strcmp(e->name, u->name) == 0 && strcmp(e->server, u->server) == 0)
		return 0;
	entry_clear(e);
	e->name = strdup(u->name);
	e->server = strdup(u->server);
	if (!e->name || !e->server)
		return -ENOMEM;
	metrics_puts(&e->labels, "ups=\"");
	metrics_label_value(&e->labels, u->name);
	metrics_puts(&e->labels, "\",server=\"");
	metrics_label_value(&e->labels, u->server);
	metrics_put(&e->labels, "\"", 2); /* its NUL: e->labels.data is a string */
	return e->labels.failed ? -ENOMEM : 0;
}

static int cache_sync(struct metrics_cache *c, const struct metrics_ups *ups, size_t n)
{
	if (n > c->n) {
		struct ups_entry *grown = realloc(c->ups, n * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		memset(grown + c->n, 0, (n - c->n) * sizeof(*grown));
		c->ups = grown;
		c->n = n;
	}
	for (size_t i = 0; i < n; i++)
		if (entry_sync(&c->ups[i], &ups[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

/* name{ups="..",server=".."[,extra="..."]} value */
static void sample(struct metrics_buf *b, const char *name, enum metrics_kind kind,
		   const struct ups_entry *e, const struct metrics_label *extra, const char *value)
{
	metrics_puts(b, name);
	metrics_puts(b, metrics_kind_suffix(kind));
	metrics_puts(b, "{");
	metrics_puts(b, e->labels.data);
	if (extra) {
		metrics_puts(b, ",");
		metrics_puts(b, extra->name);
		metrics_puts(b, "=\"");
		metrics_label_value(b, extra->value);
		metrics_puts(b, "\"");
	}
	metrics_puts(b, "} ");
	metrics_puts(b, value);
	metrics_puts(b, "\n");
}

static void gauge(struct metrics_buf *b, const char *name, const struct ups_entry *e,
		  const struct metrics_label *extra, double v)
{
	char buf[METRICS_VALUE_LEN];

	sample(b, name, METRICS_GAUGE, e, extra, metrics_value(buf, v));
}

/* A state set: one sample per state, 1 for those that hold. */
static void stateset(struct metrics_buf *b, const char *name, const struct ups_entry *e,
		     const char *state, bool holds)
{
	struct metrics_label l = {name, state};

	sample(b, name, METRICS_STATESET, e, &l, holds ? "1" : "0");
}

/* ---- pieces ------------------------------------------------------------ */

/* Writes a piece of u into b from key; arg: which var_metrics entry. */
typedef void piece_fn(struct metrics_buf *b, const struct ups_entry *e, const struct metrics_ups *u,
		      size_t arg, double key);

/* Piece p of UPS e into out: the kept text while key is the same, else
 * written again (and kept unless memory ran out). */
static void put_piece(struct metrics_buf *out, struct ups_entry *e, enum piece_id p,
		      const struct metrics_ups *u, piece_fn *fn, size_t arg, double key)
{
	struct piece *pc = &e->piece[p];

	if (!pc->valid || memcmp(&pc->key, &key, sizeof(key)) != 0) {
		pc->text.len = 0;
		pc->text.failed = false;
		fn(&pc->text, e, u, arg, key);
		pc->key = key;
		pc->valid = !pc->text.failed;
		out->failed |= pc->text.failed;
	}
	metrics_put(out, pc->text.data, pc->text.len);
}

static void piece_status(struct metrics_buf *b, const struct ups_entry *e,
			 const struct metrics_ups *u, size_t arg, double key)
{
	for (size_t s = 0; s < ELEMENTSOF(status_states); s++)
		stateset(b, "upsagent_ups_status", e, status_token_to_string(status_states[s]),
			 u->status & STATUS_FLAG(status_states[s]));
}

/* A gauge from key, absent when key is NaN or negative (not known). */
static void piece_known(struct metrics_buf *b, const struct ups_entry *e,
			const struct metrics_ups *u, size_t arg, double key)
{
	static const char *const names[] = {
	    [PIECE_POLL_DURATION] = "upsagent_ups_poll_duration_seconds",
	    [PIECE_CRITICAL] = "upsagent_ups_critical",
	    [PIECE_POWER_VALUE] = "upsagent_ups_power_value",
	};
	const char *name =
	    arg < PIECE_POLL_DURATION ? var_metrics[arg - PIECE_VARS].name : names[arg];

	if (!isnan(key) && (arg < PIECE_POLL_DURATION || key >= 0))
		gauge(b, name, e, NULL, key);
}

static void piece_failures(struct metrics_buf *b, const struct ups_entry *e,
			   const struct metrics_ups *u, size_t arg, double key)
{
	char buf[METRICS_VALUE_LEN];

	snprintf(buf, sizeof(buf), "%" PRIu64, u->polls_failed);
	sample(b, "upsagent_ups_poll_failures", METRICS_COUNTER, e, NULL, buf);
}

static void piece_comm(struct metrics_buf *b, const struct ups_entry *e,
		       const struct metrics_ups *u, size_t arg, double key)
{
	for (unsigned c = 0; c < _MONITOR_COMM_MAX; c++)
		stateset(b, "upsagent_ups_communication", e, comm_names[c], u->comm == c);
}

static void piece_reason(struct metrics_buf *b, const struct ups_entry *e,
			 const struct metrics_ups *u, size_t arg, double key)
{
	for (unsigned r = 0; r < _MONITOR_REASON_MAX; r++)
		stateset(b, "upsagent_ups_critical_reason", e, reason_names[r], u->reason == r);
}

/* ---- families ---------------------------------------------------------- */

struct ctx {
	struct metrics_buf *b;
	enum metrics_format fmt;
	const struct metrics_ups *ups;
	size_t n;
	struct metrics_cache *c;
};

/* A family of cached pieces: its metadata, then piece p of each UPS. */
static void family(const struct ctx *x, const char *name, enum metrics_kind kind, const char *help,
		   enum piece_id p, piece_fn *fn, double (*key)(const struct metrics_ups *, size_t))
{
	metrics_family(x->b, x->fmt, name, kind, help);
	for (size_t i = 0; i < x->n; i++)
		put_piece(x->b, &x->c->ups[i], p, &x->ups[i], fn, p, key(&x->ups[i], p));
}

/* A reading's variable, scaled; NaN when absent or not a number. */
static double key_var(const struct metrics_ups *u, size_t p)
{
	const struct var_metric *vm = &var_metrics[p - PIECE_VARS];
	const char *text = u->vars ? varlist_get(u->vars, vm->var) : NULL;
	double v;

	return text && number_parse(text, &v) ? v * vm->scale : NAN;
}

static double key_status(const struct metrics_ups *u, size_t p)
{
	return u->status;
}

static double key_poll_duration(const struct metrics_ups *u, size_t p)
{
	return u->poll_duration;
}

/* A counter past 2^53 would share its key with its neighbours: 285 years of
 * failed polls every second first. */
static double key_failures(const struct metrics_ups *u, size_t p)
{
	return (double)u->polls_failed;
}

static double key_comm(const struct metrics_ups *u, size_t p)
{
	return u->comm;
}

static double key_critical(const struct metrics_ups *u, size_t p)
{
	return u->reason != MONITOR_REASON_NONE;
}

static double key_reason(const struct metrics_ups *u, size_t p)
{
	return u->reason;
}

static double key_power_value(const struct metrics_ups *u, size_t p)
{
	return u->power_value;
}

static void write_vars(const struct ctx *x)
{
	for (size_t m = 0; m < ELEMENTSOF(var_metrics); m++)
		family(x, var_metrics[m].name, METRICS_GAUGE, var_metrics[m].help, PIECE_VARS + m,
		       piece_known, key_var);
}

/* A family that moves with the clock: a sample per UPS whose value at
 * offset is known (>= 0), written at every exposition. */
static void write_known(const struct ctx *x, const char *name, const char *help, size_t offset)
{
	metrics_family(x->b, x->fmt, name, METRICS_GAUGE, help);
	for (size_t i = 0; i < x->n; i++) {
		double v = *(const double *)((const char *)&x->ups[i] + offset);

		if (v >= 0)
			gauge(x->b, name, &x->c->ups[i], NULL, v);
	}
}

static void write_timers(const struct ctx *x)
{
	static const char name[] = "upsagent_ups_timer_remaining_seconds";

	metrics_family(x->b, x->fmt, name, METRICS_GAUGE,
		       "Seconds left of each timed rule that is running (0: it ran out)");
	for (size_t i = 0; i < x->n; i++)
		for (unsigned t = 0; t < _MONITOR_TIMER_MAX; t++) {
			struct metrics_label l = {"rule",
						  monitor_timer_to_string((enum monitor_timer)t)};

			if (x->ups[i].timers[t] >= 0)
				gauge(x->b, name, &x->c->ups[i], &l, x->ups[i].timers[t]);
		}
}

static void write_polls(const struct ctx *x)
{
	write_known(x, "upsagent_ups_reading_age_seconds", "Seconds since the latest good reading",
		    offsetof(struct metrics_ups, reading_age));
	family(x, "upsagent_ups_poll_duration_seconds", METRICS_GAUGE,
	       "How long the last poll took, to its reading or its failure", PIECE_POLL_DURATION,
	       piece_known, key_poll_duration);
	family(x, "upsagent_ups_poll_failures", METRICS_COUNTER,
	       "Polls and attempts to reach the UPS that brought no reading", PIECE_POLL_FAILURES,
	       piece_failures, key_failures);
}

static void write_verdict(const struct ctx *x)
{
	family(x, "upsagent_ups_communication", METRICS_STATESET,
	       "Whether the UPS answers: unknown (never polled), ok, lost", PIECE_COMM, piece_comm,
	       key_comm);
	family(x, "upsagent_ups_critical", METRICS_GAUGE,
	       "1 when the monitor counts this UPS as critical (out of the host's supply)",
	       PIECE_CRITICAL, piece_known, key_critical);
	family(x, "upsagent_ups_critical_reason", METRICS_STATESET,
	       "The rule that made the UPS critical (none: not critical)", PIECE_REASON,
	       piece_reason, key_reason);
}

int metrics_write_ups(struct metrics_buf *b, enum metrics_format fmt, const struct metrics_ups *ups,
		      size_t n, struct metrics_cache *c)
{
	const struct ctx x = {b, fmt, ups, n, c};
	int r = cache_sync(c, ups, n);

	if (r < 0)
		return r;
	family(&x, "upsagent_ups_status", METRICS_STATESET,
	       "ups.status of the latest good reading, one state per token", PIECE_STATUS,
	       piece_status, key_status);
	write_vars(&x);
	write_polls(&x);
	write_verdict(&x);
	write_known(&x, "upsagent_ups_on_battery_seconds",
		    "Seconds since the UPS went on battery (0: not on battery)",
		    offsetof(struct metrics_ups, on_battery));
	write_timers(&x);
	family(&x, "upsagent_ups_power_value", METRICS_GAUGE,
	       "Power supplies of this host the UPS feeds (power-value)", PIECE_POWER_VALUE,
	       piece_known, key_power_value);
	return 0;
}
