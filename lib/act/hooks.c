/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

#define HOOK_PATH	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HOOK_READ_BUDGET    (64 * 1024) /* bytes per wakeup, so a flood cannot starve the loop */
#define HOOK_REAP_TIMEOUT   1000	/* ms that hooks_free() waits for killed hooks */
#define HOOK_ENV_FIXED	    4		/* PATH, NOTIFYTYPE, UPSNAME, NOTIFYMSG */
#define HOOK_EXTRA_PREFIX   "UPSAGENT_"
#define HOOK_TIMER_ACCURACY (10 * USEC_PER_MSEC)

struct hook {
	struct hooks *owner;
	struct hook *next; /* hooks::running */
	char *name;	   /* basename of argv[0], for the log */
	pid_t pid;	   /* also the process group */
	int fd;		   /* read end of the stdout+stderr pipe; -1 once closed */
	sd_event_source *child, *io, *timer;
	uint64_t timeout;
	bool term_sent;
	bool cutting; /* dropping the rest of an overlong line */
	unsigned lines;
	size_t len;
	char line[HOOKS_LINE_MAX];
};

struct hooks {
	sd_event *event;
	struct hook *running;
	size_t n_running;
	void (*done)(int status, void *userdata);
	void *userdata;
};

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static struct hook *hook_free(struct hook *h)
{
	if (!h)
		return NULL;
	sd_event_source_unref(h->child);
	sd_event_source_unref(h->io);
	sd_event_source_unref(h->timer);
	if (h->fd >= 0)
		close(h->fd);
	free(h->name);
	free(h);
	return NULL;
}

static void hook_unlink(struct hook *h)
{
	struct hook **p;

	for (p = &h->owner->running; *p; p = &(*p)->next)
		if (*p == h) {
			*p = h->next;
			h->owner->n_running--;
			return;
		}
}

/* ---- output ---- */

static void hook_log_line(struct hook *h, bool cut)
{
	if (h->lines < HOOKS_LINES_MAX)
		log_info("hook %s: %.*s%s", h->name, (int)h->len, h->line, cut ? " [cut]" : "");
	else if (h->lines == HOOKS_LINES_MAX)
		log_warning("hook %s: more than %d lines of output, dropping the rest", h->name,
			    HOOKS_LINES_MAX);
	h->lines++;
	h->len = 0;
}

/* Splits output into lines; control characters become '?' so that a hook cannot
 * forge log lines or terminal escapes. */
static void hook_feed(struct hook *h, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			if (!h->cutting)
				hook_log_line(h, false);
			h->cutting = false;
			h->len = 0;
		} else if (h->cutting || c == '\r') {
			continue;
		} else if (h->len == sizeof(h->line)) {
			hook_log_line(h, true);
			h->cutting = true;
		} else {
			h->line[h->len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
		}
	}
}

static void hook_close_output(struct hook *h)
{
	if (h->len > 0 && !h->cutting)
		hook_log_line(h, false);
	h->io = sd_event_source_unref(h->io);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/* Reads up to HOOK_READ_BUDGET bytes. Returns 1 while the pipe stays open, 0 at
 * end of file or on an error. */
static int hook_read(struct hook *h)
{
	char buf[4096];
	size_t total = 0;

	while (total < HOOK_READ_BUDGET) {
		ssize_t n = read(h->fd, buf, sizeof(buf));

		if (n > 0) {
			hook_feed(h, buf, (size_t)n);
			total += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return 1;
		} else {
			if (n < 0)
				log_debug("hook %s: reading output: %s", h->name, strerror(errno));
			return 0;
		}
	}
	return 1;
}

static int hook_on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hook *h = userdata;

	if (hook_read(h) == 0)
		hook_close_output(h);
	return 0;
}

/* ---- exit and timeout ---- */

static int hook_status(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return W_EXITCODE(si->si_status, 0);
	return W_EXITCODE(0, si->si_status) | (si->si_code == CLD_DUMPED ? WCOREFLAG : 0);
}

static void hook_log_status(const struct hook *h, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("hook %s: exited", h->name);
	else if (WIFEXITED(status))
		log_warning("hook %s: exited with status %d", h->name, WEXITSTATUS(status));
	else
		log_warning("hook %s: killed by signal %d (%s)%s", h->name, WTERMSIG(status),
			    strsignal(WTERMSIG(status)), h->term_sent ? " after its timeout" : "");
}

static int hook_on_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct hook *h = userdata;
	struct hooks *owner = h->owner;
	int status = hook_status(si);

	/* What the hook wrote before it exited is in the pipe now; background
	 * children it left may keep writing, but are no longer our business. */
	if (h->fd >= 0)
		(void)hook_read(h);
	hook_close_output(h);
	hook_log_status(h, status);
	hook_unlink(h);
	hook_free(h);
	if (owner->done)
		owner->done(status, owner->userdata);
	return 0;
}

static int hook_on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hook *h = userdata;

	if (h->term_sent) {
		log_warning("hook %s: still running %llu s after SIGTERM, sending SIGKILL", h->name,
			    HOOKS_KILL_TIMEOUT / USEC_PER_SEC);
		(void)kill(-h->pid, SIGKILL);
		return 0;
	}
	log_warning("hook %s: still running after %g s, sending SIGTERM", h->name,
		    (double)h->timeout / USEC_PER_SEC);
	(void)kill(-h->pid, SIGTERM);
	h->term_sent = true;
	if (sd_event_source_set_time_relative(s, HOOKS_KILL_TIMEOUT) < 0 ||
	    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
		(void)kill(-h->pid, SIGKILL); /* cannot wait for it: do not leave it running */
	return 0;
}

/* ---- starting ---- */

static int hook_spawn(char *const *argv, char *const *envp, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	posix_spawnattr_init(&attr);
	/* The daemon blocks the signals sd-event handles: a hook must not inherit that. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(ret_pid, argv[0], &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static int hook_watch(struct hook *h, sd_event *e)
{
	int r;

	r = sd_event_add_child(e, &h->child, h->pid, WEXITED, hook_on_exit, h);
	if (r < 0)
		return r;
	r = sd_event_add_io(e, &h->io, h->fd, EPOLLIN, hook_on_output, h);
	if (r < 0)
		return r;
	if (h->timeout == 0)
		return 0;
	return sd_event_add_time_relative(e, &h->timer, CLOCK_MONOTONIC, h->timeout,
					  HOOK_TIMER_ACCURACY, hook_on_timeout, h);
}

static char **strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

static int env_append(char **envp, size_t *n, const char *key, const char *value)
{
	if (!value)
		return 0;
	if (asprintf(&envp[*n], "%s=%s", key, value) < 0) {
		envp[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int hook_envp(const struct hook_env *env, char ***ret)
{
	size_t n_extra = 0, n = 0;
	char **envp;

	while (env->extra && env->extra[n_extra])
		n_extra++;
	envp = calloc(HOOK_ENV_FIXED + n_extra + 1, sizeof(char *));
	if (!envp)
		return -ENOMEM;
	*ret = envp;
	envp[n] = strdup(HOOK_PATH);
	if (!envp[n++])
		return -ENOMEM;
	if (env_append(envp, &n, "NOTIFYTYPE", env->notifytype) < 0 ||
	    env_append(envp, &n, "UPSNAME", env->upsname) < 0 ||
	    env_append(envp, &n, "NOTIFYMSG", env->message) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n_extra; i++) {
		envp[n] = strdup(env->extra[i]);
		if (!envp[n++])
			return -ENOMEM;
	}
	return 0;
}

/* argv plus the message; the strings stay the caller's. */
static char **hook_argv(char *const *argv, const char *message)
{
	size_t n = 0;
	char **v;

	while (argv[n])
		n++;
	v = calloc(n + 2, sizeof(char *));
	if (!v)
		return NULL;
	memcpy(v, argv, n * sizeof(char *));
	v[n] = (char *)message; /* posix_spawn does not write to it */
	return v;
}

static int hook_check(char *const *argv, const struct hook_env *env)
{
	if (!argv || !argv[0] || argv[0][0] != '/') {
		log_warning("hook %s: not an absolute path, not running it",
			    argv && argv[0] ? argv[0] : "(none)");
		return -EINVAL;
	}
	for (size_t i = 0; env->extra && env->extra[i]; i++)
		if (strncmp(env->extra[i], HOOK_EXTRA_PREFIX, strlen(HOOK_EXTRA_PREFIX)) != 0 ||
		    !strchr(env->extra[i], '=')) {
			log_warning("hook %s: environment entry \"%s\" is not UPSAGENT_*=..., "
				    "not running it",
				    basename_of(argv[0]), env->extra[i]);
			return -EINVAL;
		}
	return 0;
}

static struct hook *hook_new(struct hooks *owner, const char *path, uint64_t timeout)
{
	struct hook *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->owner = owner;
	h->fd = -1;
	h->timeout = timeout;
	h->name = strdup(basename_of(path));
	if (!h->name)
		return hook_free(h);
	return h;
}

/* Starts the process; on success h->pid and h->fd are set. */
static int hook_start(struct hook *h, char *const *argv, const struct hook_env *env)
{
	_cleanup_(strv_freep) char **envp = NULL;
	_cleanup_free_ char **args = NULL;
	_cleanup_close_ int out_fd = -1;
	int fds[2], r;

	r = hook_envp(env, &envp);
	if (r < 0)
		return r;
	args = hook_argv(argv, env->message);
	if (!args)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	h->fd = fds[0];
	out_fd = fds[1];
	if (fcntl(h->fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return hook_spawn(args, envp, out_fd, &h->pid);
}

int hooks_run(struct hooks *hs, char *const *argv, const struct hook_env *env, uint64_t timeout)
{
	struct hook *h;
	int r;

	r = hook_check(argv, env);
	if (r < 0)
		return r;
	if (hs->n_running >= HOOKS_RUNNING_MAX) {
		log_warning("hook %s: %d hooks still running, not starting another",
			    basename_of(argv[0]), HOOKS_RUNNING_MAX);
		return -EBUSY;
	}
	h = hook_new(hs, argv[0], timeout);
	if (!h)
		return log_warning_errno(-ENOMEM, "hook %s: out of memory", basename_of(argv[0]));
	r = hook_start(h, argv, env);
	if (r < 0) {
		log_warning("hook %s: cannot run %s: %s", h->name, argv[0], strerror(-r));
		hook_free(h);
		return r;
	}
	r = hook_watch(h, hs->event);
	if (r < 0) {
		/* Not watched means never reaped or timed out: stop it now. */
		log_warning("hook %s: cannot watch it, killing it: %s", h->name, strerror(-r));
		(void)kill(-h->pid, SIGKILL);
		(void)waitpid(h->pid, NULL, 0);
		hook_free(h);
		return r;
	}
	h->next = hs->running;
	hs->running = h;
	hs->n_running++;
	return 0;
}

/* ---- the set ---- */

int hooks_new(sd_event *e, struct hooks **ret)
{
	struct hooks *h;
	sigset_t ss;

	/* sd_event_add_child() needs SIGCHLD blocked; sd-event reads it from a signalfd. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		return -errno;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->event = sd_event_ref(e);
	*ret = h;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits (bounded) for a SIGKILLed hook to die, and reaps it. */
static void hook_reap(struct hook *h, uint64_t deadline)
{
	int pidfd = sd_event_source_get_child_pidfd(h->child);
	uint64_t now = now_ms();

	if (pidfd >= 0 && now < deadline) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		(void)poll(&p, 1, (int)(deadline - now));
	}
	(void)waitpid(h->pid, NULL, WNOHANG);
}

struct hooks *hooks_free(struct hooks *hs)
{
	uint64_t deadline;
	struct hook *h;

	if (!hs)
		return NULL;
	for (h = hs->running; h; h = h->next)
		(void)kill(-h->pid, SIGKILL);
	deadline = now_ms() + HOOK_REAP_TIMEOUT;
	while ((h = hs->running)) {
		hs->running = h->next;
		hook_reap(h, deadline);
		hook_free(h);
	}
	sd_event_unref(hs->event);
	free(hs);
	return NULL;
}

size_t hooks_running(const struct hooks *hs)
{
	return hs->n_running;
}

void hooks_set_done_callback(struct hooks *hs, void (*fn)(int status, void *userdata),
			     void *userdata)
{
	hs->done = fn;
	hs->userdata = userdata;
}
