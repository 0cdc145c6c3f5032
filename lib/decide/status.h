/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ups.status and the NUT variables the state machine reads, turned into a
 * typed snapshot of one UPS. Pure: strings in, a struct out; no I/O, no
 * logging, no clock.
 *
 * ups.status is an opaque, space-separated token list (protocol.md section 1).
 * Unknown tokens are data, not errors: the snapshot keeps the first
 * STATUS_OTHER_MAX of them (each cut to STATUS_OTHER_LEN bytes) so the monitor
 * can report them as OTHER/NOTOTHER.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tokens we give a meaning to; every other token is "other". */
enum status_token {
	STATUS_OL,	/* on line: mains present */
	STATUS_OB,	/* on battery */
	STATUS_LB,	/* low battery */
	STATUS_HB,	/* high battery */
	STATUS_RB,	/* replace battery */
	STATUS_CHRG,	/* charging */
	STATUS_DISCHRG, /* discharging */
	STATUS_BYPASS,	/* on bypass: powered, not protected */
	STATUS_CAL,	/* runtime calibration */
	STATUS_OFF,	/* not feeding the load */
	STATUS_OVER,	/* overload */
	STATUS_TRIM,	/* bucking high mains */
	STATUS_BOOST,	/* boosting low mains */
	STATUS_FSD,	/* forced shutdown, latched by upsd or set by the driver */
	STATUS_ALARM,	/* ups.alarm is set */
	STATUS_WAIT,	/* upsd has no data from the driver yet */
	STATUS_TEST,	/* self-test running (apc_modbus and others) */
	STATUS_ECO,	/* ECO/HE mode; deprecated as a token, still seen */
	_STATUS_TOKEN_MAX
};

#define STATUS_FLAG(t) (UINT32_C(1) << (t))

#define STATUS_OTHER_MAX 8   /* unknown tokens kept per snapshot */
#define STATUS_OTHER_LEN 32  /* bytes kept of each unknown token */
#define STATUS_ALARM_LEN 255 /* bytes kept of ups.alarm */

struct status_snapshot {
	uint32_t flags; /* STATUS_FLAG() bits of the known tokens present */

	/* Unknown tokens, deduplicated, in the order the server sent them. */
	size_t n_other;
	bool other_truncated; /* more than STATUS_OTHER_MAX, or one cut short */
	char other[STATUS_OTHER_MAX][STATUS_OTHER_LEN + 1];

	/* Absent when not reported or not a plain decimal number. */
	bool has_charge;
	bool has_runtime;
	double charge;	/* battery.charge, percent */
	double runtime; /* battery.runtime, seconds */

	char alarm[STATUS_ALARM_LEN + 1]; /* ups.alarm, "" when unset */
};

/*
 * Build a snapshot from the values of one poll. ups_status must be given;
 * charge, runtime and alarm may be NULL when the server did not report them.
 * A non-empty ups.alarm sets ALARM, as upsd itself does. Returns 0, or
 * -EINVAL when s or ups_status is NULL.
 */
int status_parse(struct status_snapshot *s, const char *ups_status, const char *charge,
		 const char *runtime, const char *alarm);

/*
 * A plain decimal number as NUT writes them: digits, optionally one '.' and
 * more digits ("100", "87.5"). No sign, exponent, blanks, "inf" or "nan";
 * anything else is false, never a silent 0.
 */
bool status_parse_number(const char *text, double *ret);

static inline bool status_has(const struct status_snapshot *s, enum status_token t)
{
	return (s->flags & STATUS_FLAG(t)) != 0;
}

/* "OL", "OB", ... or NULL when out of range. */
const char *status_token_to_string(enum status_token t);

/* The token for a word of ups.status, or -EINVAL when it is not one we know. */
int status_token_from_string(const char *word);

/*
 * Write the known tokens of flags, space-separated in enum order, into buf
 * (always NUL-terminated when size > 0). Returns the length the full text
 * needs, like snprintf.
 */
size_t status_flags_format(uint32_t flags, char *buf, size_t size);

/* Same for the unknown tokens of s (the second %s of an OTHER message). */
size_t status_other_format(const struct status_snapshot *s, char *buf, size_t size);
