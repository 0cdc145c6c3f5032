/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The power-off path (design.md, "Acting") and the power-down flag that tells
 * `upsagent killpower`, late in the host's shutdown, to make the UPS cut power.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define SHUTDOWN_TIMEOUT_USEC                                                                      \
	(30 * 1000000ULL) /* default bound for logind's reply or the command */
#define POWERDOWN_FLAG_CONTENT "upsagent-shutdown-file\n"

enum shutdown_method {
	SHUTDOWN_LOGIND,  /* org.freedesktop.login1.Manager.PowerOff(false) on the system bus */
	SHUTDOWN_COMMAND, /* a configured argv, never through a shell */
	SHUTDOWN_DRY_RUN, /* log what would be done, and succeed */
	_SHUTDOWN_METHOD_MAX
};

/* "logind", "command", "dry-run"; NULL / -EINVAL for anything else. */
const char *shutdown_method_to_string(enum shutdown_method m);
int shutdown_method_from_string(const char *s);

/*
 * Powers the host off, asynchronously. done(r, message, userdata) comes exactly
 * once, from the loop, never from within this call: r = 0 or -errno, message a
 * sentence for the log, valid only during the call:
 *   LOGIND   0: "logind accepted PowerOff"; or the D-Bus error name and message
 *            ("org.freedesktop.DBus.Error.AccessDenied: ..."); or no system bus.
 *   COMMAND  runs argv (argv[0] absolute; environment PATH only; output to the
 *            log as "hook NAME: ...") and reports its exit status.
 *   DRY_RUN  logs "dry run: would power off via ..." (argv NULL: logind) and
 *            reports success.
 * Nothing later than the timeout (SHUTDOWN_TIMEOUT_USEC) counts: done gets
 * -ETIMEDOUT and a command still running is killed. If the loop exits first,
 * done gets -ECANCELED from the loop's exit phase. Everything this call
 * creates (bus connection, slot, timers, the command's process) is freed before
 * done returns, so nothing needs to be released by the caller.
 *
 * COMMAND needs SIGCHLD blocked, which it does itself (see hooks.h).
 * Returns 0, or -EINVAL (bad method, COMMAND without argv) / -ENOMEM at once.
 */
int shutdown_power_off(sd_event *e, enum shutdown_method m, char *const *argv,
		       void (*done)(int r, const char *message, void *userdata), void *userdata);

/* Changes the bound of later shutdown_power_off() calls; for tests. */
void shutdown_set_timeout(uint64_t usec);

/*
 * The power-down flag (upsmon's POWERDOWNFLAG, "the killpower marker"): a file
 * holding POWERDOWN_FLAG_CONTENT, mode 0644, written atomically (temporary
 * file, fsync, rename, fsync of the directory) so that it is whole or absent
 * even if the power goes. A missing parent directory is created 0755 (only
 * the last component). "" or NULL path: nothing is done, returns 0.
 */
int powerdown_flag_write(const char *path);

/* Removes a stale flag at start; a missing one is fine. "" or NULL: 0. */
int powerdown_flag_remove(const char *path);

/*
 * 1 only for a regular file that starts with POWERDOWN_FLAG_CONTENT, owned by
 * root, by the caller or by the daemon's user, and that nobody else may
 * write: a path pointing at an unrelated file, or a flag another user
 * planted, never cuts the power. 0: there is none (or no path). -EPERM:
 * there is a file that does not qualify; why (if given) says what is wrong.
 */
int powerdown_flag_check(const char *path, char *why, size_t len);
/* powerdown_flag_check() > 0. */
bool powerdown_flag_exists(const char *path);
