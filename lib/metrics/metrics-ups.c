/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the metrics module (metrics.h): the per-UPS families, each sample
 * labelled ups and server. The readings are NUT's variables in base units
 * (percent becomes a ratio 0..1); the decisions are the monitor's own.
 * upsagent.conf(5) lists each with its NUT variable and nut_exporter's name.
 */
#include <inttypes.h>
#include <stddef.h>

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

/* The labels of u, with room for one more (a state, a rule). */
static size_t ups_labels(const struct metrics_ups *u, struct metrics_label l[3])
{
	l[0] = (struct metrics_label){"ups", u->name};
	l[1] = (struct metrics_label){"server", u->server};
	return 2;
}

static void sample(FILE *f, const char *name, enum metrics_kind kind, const struct metrics_ups *u,
		   const struct metrics_label *extra, const char *value)
{
	struct metrics_label l[3];
	size_t n = ups_labels(u, l);

	if (extra)
		l[n++] = *extra;
	metrics_sample(f, name, kind, l, n, value);
}

static void gauge(FILE *f, const char *name, const struct metrics_ups *u,
		  const struct metrics_label *extra, double v)
{
	char buf[METRICS_VALUE_LEN];

	sample(f, name, METRICS_GAUGE, u, extra, metrics_value(buf, v));
}

static void write_vars(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	for (size_t m = 0; m < ELEMENTSOF(var_metrics); m++) {
		const struct var_metric *vm = &var_metrics[m];

		metrics_family(f, fmt, vm->name, METRICS_GAUGE, vm->help);
		for (size_t i = 0; i < n; i++) {
			const char *text = ups[i].vars ? varlist_get(ups[i].vars, vm->var) : NULL;
			double v;

			if (text && number_parse(text, &v))
				gauge(f, vm->name, &ups[i], NULL, v * vm->scale);
		}
	}
}

/* A state set: one sample per state, 1 for those that hold. */
static void stateset(FILE *f, const char *name, const struct metrics_ups *u, const char *state,
		     bool holds)
{
	struct metrics_label l = {name, state};

	sample(f, name, METRICS_STATESET, u, &l, holds ? "1" : "0");
}

static void write_status(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	static const char name[] = "upsagent_ups_status";

	metrics_family(f, fmt, name, METRICS_STATESET,
		       "ups.status of the latest good reading, one state per token");
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < ELEMENTSOF(status_states); s++)
			stateset(f, name, &ups[i], status_token_to_string(status_states[s]),
				 ups[i].status & STATUS_FLAG(status_states[s]));
}

static void write_comm(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	static const char name[] = "upsagent_ups_communication";

	metrics_family(f, fmt, name, METRICS_STATESET,
		       "Whether the UPS answers: unknown (never polled), ok, lost");
	for (size_t i = 0; i < n; i++)
		for (unsigned c = 0; c < _MONITOR_COMM_MAX; c++)
			stateset(f, name, &ups[i], comm_names[c], ups[i].comm == c);
}

static void write_critical(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups,
			   size_t n)
{
	static const char name[] = "upsagent_ups_critical", why[] = "upsagent_ups_critical_reason";

	metrics_family(f, fmt, name, METRICS_GAUGE,
		       "1 when the monitor counts this UPS as critical (out of the host's supply)");
	for (size_t i = 0; i < n; i++)
		gauge(f, name, &ups[i], NULL, ups[i].reason != MONITOR_REASON_NONE);
	metrics_family(f, fmt, why, METRICS_STATESET,
		       "The rule that made the UPS critical (none: not critical)");
	for (size_t i = 0; i < n; i++)
		for (unsigned r = 0; r < _MONITOR_REASON_MAX; r++)
			stateset(f, why, &ups[i], reason_names[r], ups[i].reason == r);
}

static void write_timers(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	static const char name[] = "upsagent_ups_timer_remaining_seconds";

	metrics_family(f, fmt, name, METRICS_GAUGE,
		       "Seconds left of each timed rule that is running (0: it ran out)");
	for (size_t i = 0; i < n; i++)
		for (unsigned t = 0; t < _MONITOR_TIMER_MAX; t++) {
			struct metrics_label l = {"rule",
						  monitor_timer_to_string((enum monitor_timer)t)};

			if (ups[i].timers[t] >= 0)
				gauge(f, name, &ups[i], &l, ups[i].timers[t]);
		}
}

/* A gauge with a sample per UPS whose value at offset is known (>= 0). */
static void write_known(FILE *f, enum metrics_format fmt, const char *name, const char *help,
			size_t offset, const struct metrics_ups *ups, size_t n)
{
	metrics_family(f, fmt, name, METRICS_GAUGE, help);
	for (size_t i = 0; i < n; i++) {
		double v = *(const double *)((const char *)&ups[i] + offset);

		if (v >= 0)
			gauge(f, name, &ups[i], NULL, v);
	}
}

static void write_polls(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	static const char failed[] = "upsagent_ups_poll_failures";
	char buf[METRICS_VALUE_LEN];

	write_known(f, fmt, "upsagent_ups_reading_age_seconds",
		    "Seconds since the latest good reading",
		    offsetof(struct metrics_ups, reading_age), ups, n);
	write_known(f, fmt, "upsagent_ups_poll_duration_seconds",
		    "How long the last poll took, to its reading or its failure",
		    offsetof(struct metrics_ups, poll_duration), ups, n);
	metrics_family(f, fmt, failed, METRICS_COUNTER,
		       "Polls and attempts to reach the UPS that brought no reading");
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%" PRIu64, ups[i].polls_failed);
		sample(f, failed, METRICS_COUNTER, &ups[i], NULL, buf);
	}
}

void metrics_write_ups(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n)
{
	write_status(f, fmt, ups, n);
	write_vars(f, fmt, ups, n);
	write_polls(f, fmt, ups, n);
	write_comm(f, fmt, ups, n);
	write_critical(f, fmt, ups, n);
	write_known(f, fmt, "upsagent_ups_on_battery_seconds",
		    "Seconds since the UPS went on battery (0: not on battery)",
		    offsetof(struct metrics_ups, on_battery), ups, n);
	write_timers(f, fmt, ups, n);
	metrics_family(f, fmt, "upsagent_ups_power_value", METRICS_GAUGE,
		       "Power supplies of this host the UPS feeds (power-value)");
	for (size_t i = 0; i < n; i++)
		gauge(f, "upsagent_ups_power_value", &ups[i], NULL, ups[i].power_value);
}
