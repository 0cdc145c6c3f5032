/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upssched's CMDSCRIPT, read only as far as is safe: whether the case branch
 * of one timer shuts this host down unconditionally, and where it calls
 * "upsmon -c fsd". A shell script can do anything; whatever is not plainly
 * one of a few known commands is a doubt, and a doubt keeps upssched.
 *
 * Pure: text in, verdicts out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cmdscript_verdict {
	bool shuts_down;      /* only a power-off of this host, and logging around it */
	const char *why;      /* static text: why not; NULL when shuts_down */
	unsigned line;	      /* where the reason is, 1-based; 0: the script as a whole */
	unsigned first, last; /* the branch's lines; 0 when no branch was found */
};

/* The verdict for the "TIMER)" branch of script's case statement. */
void cmdscript_judge(const char *script, const char *timer, struct cmdscript_verdict *ret);

/* The lines (1-based, at most max, in order) that run "upsmon -c fsd"
 * outside a comment; how many there are in all. */
size_t cmdscript_fsd_lines(const char *script, unsigned *lines, size_t max);

/*
 * Whether argv (NULL-terminated, at least one word) is a plain power-off of
 * this host, now: poweroff, systemctl poweroff, shutdown [-h|-P] now|+0|0,
 * shutdown -h|-P, halt -p, init 0. shutdown without -h or -P powers off on
 * a systemd host (the only kind upsagent runs on).
 */
bool cmdscript_is_poweroff(char *const *argv);
