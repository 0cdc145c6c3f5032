/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A message to every logged-in terminal, as upsmon's NOTIFYFLAG WALL sends
 * it, without running wall(1): under the unit's NoNewPrivileges wall cannot
 * gain group tty, so the daemon writes to the terminals itself. The unit
 * needs the group and the devices for that:
 *     SupplementaryGroups=tty
 *     DeviceAllow=char-pts w
 *     DeviceAllow=char-tty w
 * A terminal whose user said "mesg n" (mode 0600) is skipped, as wall(1)
 * does for anyone but root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WALL_TTYS_MAX 256 /* terminals written per message, at most */

/*
 * Test only: when this environment variable names a file, the terminals
 * come from that utmp file alone, not from logind and /run/utmp.
 */
#define WALL_TEST_UTMP_ENV "UPSAGENT_TEST_UTMP"

/*
 * The text written to each terminal: a banner naming host and time, then
 * message with every control character made visible as '?', lines ending
 * in CR LF. Truncated to len - 1 bytes; returns its length.
 */
size_t wall_format(char *buf, size_t len, const char *host, time_t now, const char *message);

/* Whether a session's or utmp's terminal name ("pts/3", "tty1") is one
 * under /dev that may be written: no "..", no absolute path, plain characters. */
bool wall_tty_ok(const char *line);

/*
 * Writes message to each logged-in terminal once: the TTY of every logind
 * session and every USER_PROCESS line of utmp. Never blocks: a terminal
 * that would block (or refuses, or is not a terminal) is skipped. Returns
 * how many terminals got the message, or -errno when none could be listed.
 */
int wall_send(const char *message);
