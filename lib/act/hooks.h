/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Notify hooks: commands started on the sd-event loop, never through a shell,
 * with the environment upsmon gives its NOTIFYCMD (design.md, "Acting").
 *
 * A hook runs in its own process group with stdin on /dev/null and its stdout
 * and stderr read line by line into the log. hooks_run() returns once the
 * program is executing; the exit, the output and the timeout are all handled
 * by event sources on the loop, so a slow or hanging hook never blocks it.
 *
 * Signals: hooks_new() blocks SIGCHLD in the calling thread, because
 * sd_event_add_child() refuses to work otherwise. The daemon is single-threaded;
 * a program that starts threads must block SIGCHLD before it does. Children get
 * an empty signal mask and default dispositions, whatever the daemon blocked.
 *
 * Reaping: sd-event reaps each hook's main process after its exit is handled.
 * Processes a hook leaves behind in the background (upssched's timer daemon)
 * are not killed when the hook exits: only on timeout or hooks_free().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define HOOKS_RUNNING_MAX  32		    /* hooks_run() refuses more at once: -EBUSY */
#define HOOKS_LINE_MAX	   1024		    /* an output line longer than this is cut */
#define HOOKS_LINES_MAX	   100		    /* output lines logged per run; the rest is dropped */
#define HOOKS_KILL_TIMEOUT (5 * 1000000ULL) /* from SIGTERM to SIGKILL */

struct hooks;

/* The environment of one run. NULL notifytype or upsname: the variable is left
 * out; NULL message: no message argument and no NOTIFYMSG. */
struct hook_env {
	const char *notifytype;
	const char *upsname; /* the MONITOR id ups@host[:port], "" for global events */
	const char *message;
	char *const *extra; /* "UPSAGENT_X=..." strings, NULL-terminated; may be NULL */
};

/* Keeps a reference on e. Free with hooks_free(). */
int hooks_new(sd_event *e, struct hooks **ret);

/* Hooks still running get SIGKILL on their process group and are reaped if they
 * die within a second. Accepts NULL; returns NULL. */
struct hooks *hooks_free(struct hooks *h);

/*
 * Starts argv (NULL-terminated; argv[0] an absolute path) with env->message
 * appended as the last argument, and an environment made only of
 *   PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
 *   NOTIFYTYPE, UPSNAME (as upsmon sets them), NOTIFYMSG (the message, for upssched)
 * plus env->extra. Nothing of the daemon's own environment is passed on.
 *
 * Returns once the program is executing. Output lines are logged at info level
 * as "hook NAME: line". After timeout usec (0: never) the process group gets
 * SIGTERM, and SIGKILL HOOKS_KILL_TIMEOUT later. Failures are logged here as
 * warnings, once, so callers need not log them again:
 *   -EINVAL  argv empty, argv[0] not absolute, or an extra without "UPSAGENT_";
 *   -EBUSY   HOOKS_RUNNING_MAX hooks are running;
 *   -ENOENT, -EACCES, ...  the program cannot be executed.
 */
int hooks_run(struct hooks *h, char *const *argv, const struct hook_env *env, uint64_t timeout);

size_t hooks_running(const struct hooks *h);

/*
 * fn is called when a hook that hooks_run() started has ended, with its wait
 * status (test it with WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG). The hook is
 * already forgotten then, so fn may call hooks_run() or even hooks_free().
 */
void hooks_set_done_callback(struct hooks *h, void (*fn)(int status, void *userdata),
			     void *userdata);
