/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the metrics module (metrics.h): metrics.c writes families, samples
 * and the host, server and build metrics; metrics-ups.c the per-UPS ones
 * and keeps their cache.
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

/* Appends to b; once b failed (out of memory), nothing. */
void metrics_put(struct metrics_buf *b, const char *s, size_t n);
void metrics_puts(struct metrics_buf *b, const char *s);
/* A label value, its backslash, double quote and newline escaped. */
void metrics_label_value(struct metrics_buf *b, const char *v);
/* "_total", "_info" or "": what the kind adds to a sample's name. */
const char *metrics_kind_suffix(enum metrics_kind kind);

/* "# TYPE" and "# HELP" of family name, as fmt writes them. */
void metrics_family(struct metrics_buf *b, enum metrics_format fmt, const char *name,
		    enum metrics_kind kind, const char *help);
/* One sample: name, the kind's suffix, the labels (values escaped), the value. */
void metrics_sample(struct metrics_buf *b, const char *name, enum metrics_kind kind,
		    const struct metrics_label *l, size_t n, const char *value);

/* metrics-ups.c: every per-UPS family, each with a sample per UPS that has
 * it, through c (grown to n UPSes). 0 or -ENOMEM. */
int metrics_write_ups(struct metrics_buf *b, enum metrics_format fmt, const struct metrics_ups *ups,
		      size_t n, struct metrics_cache *c);
