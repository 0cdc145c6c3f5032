/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the metrics module (metrics.h): metrics.c writes families, samples
 * and the host, server and build metrics; metrics-ups.c the per-UPS ones.
 */
#pragma once

#include "metrics.h"

enum metrics_kind {
	METRICS_GAUGE,
	METRICS_COUNTER,  /* the sample's name ends in _total */
	METRICS_STATESET, /* OpenMetrics only; a gauge per state in the Prometheus format */
	METRICS_INFO,	  /* the sample's name ends in _info; a gauge in the Prometheus format */
};

struct metrics_label {
	const char *name, *value;
};

/* The text of v: integers without a fraction, others with 9 digits. */
#define METRICS_VALUE_LEN 40
const char *metrics_value(char buf[METRICS_VALUE_LEN], double v);

/* "# TYPE" and "# HELP" of family name, as fmt writes them. */
void metrics_family(FILE *f, enum metrics_format fmt, const char *name, enum metrics_kind kind,
		    const char *help);
/* One sample: name, the kind's suffix, the labels (values escaped), the value. */
void metrics_sample(FILE *f, const char *name, enum metrics_kind kind,
		    const struct metrics_label *l, size_t n, const char *value);

/* metrics-ups.c: every per-UPS family, each with a sample per UPS that has it. */
void metrics_write_ups(FILE *f, enum metrics_format fmt, const struct metrics_ups *ups, size_t n);
