/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What to say about a failure that lasts: a server down for an hour must not
 * write a line per poll, yet an administrator reading the journal must see
 * when it began, what changed, that it still goes on, and when it ended.
 * Pure: the time and the failure's text in, a verdict on what to log out.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define OUTAGE_TEXT_MAX 256

enum outage_say {
	OUTAGE_QUIET,	/* nothing new: log nothing */
	OUTAGE_START,	/* the first failure after success (or since start) */
	OUTAGE_CHANGED, /* the failure's text changed */
	OUTAGE_SUMMARY, /* the same failure again, one period after the last line */
};

/* Plain data: zero it to start; nothing to free. */
struct outage {
	bool active;
	uint64_t since;	    /* the first failure */
	uint64_t last_said; /* the last line logged about it */
	unsigned attempts;  /* failures since it began */
	char text[OUTAGE_TEXT_MAX];
};

/* One more failure at now with text; period between summaries (0: none). */
enum outage_say outage_fail(struct outage *o, uint64_t now, const char *text, uint64_t period);

/* A success: true when an outage ended, which is worth a line; *o keeps
 * since and attempts for that line until the next failure. */
bool outage_recover(struct outage *o);
