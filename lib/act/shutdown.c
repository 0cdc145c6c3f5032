/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "macro.h"
#include "owner.h"

#define LOGIND_SERVICE	 "org.freedesktop.login1"
#define LOGIND_PATH	 "/org/freedesktop/login1"
#define LOGIND_INTERFACE "org.freedesktop.login1.Manager"
#define MESSAGE_MAX	 1024

static uint64_t power_off_timeout = SHUTDOWN_TIMEOUT_USEC;

static const char *const method_names[_SHUTDOWN_METHOD_MAX] = {
    [SHUTDOWN_LOGIND] = "logind",
    [SHUTDOWN_COMMAND] = "command",
    [SHUTDOWN_DRY_RUN] = "dry-run",
};

const char *shutdown_method_to_string(enum shutdown_method m)
{
	return (unsigned)m < _SHUTDOWN_METHOD_MAX ? method_names[m] : NULL;
}

int shutdown_method_from_string(const char *s)
{
	for (int m = 0; s && m < _SHUTDOWN_METHOD_MAX; m++)
		if (strcmp(s, method_names[m]) == 0)
			return m;
	return -EINVAL;
}

void shutdown_set_timeout(uint64_t usec)
{
	power_off_timeout = usec;
}

/* One power-off request; freed just before done is called. */
struct power_off {
	sd_bus *bus;
	sd_bus_slot *slot;
	struct hooks *hooks; /* COMMAND: runs and reaps the command */
	sd_event_source *timer, *finish, *exit;
	char *what; /* "logind" or "command /sbin/poweroff ..." */
	bool completed;
	int r;
	char message[MESSAGE_MAX];
	void (*done)(int r, const char *message, void *userdata);
	void *userdata;
};

static struct power_off *power_off_free(struct power_off *p)
{
	if (!p)
		return NULL;
	sd_bus_slot_unref(p->slot);
	sd_bus_close_unref(p->bus);
	hooks_free(p->hooks);
	sd_event_source_unref(p->timer);
	sd_event_source_unref(p->finish);
	sd_event_source_unref(p->exit);
	free(p->what);
	free(p);
	return NULL;
}

/* Frees p, then reports. */
static void power_off_report(struct power_off *p)
{
	void (*done)(int, const char *, void *) = p->done;
	void *userdata = p->userdata;
	char message[MESSAGE_MAX];
	int r = p->r;

	memcpy(message, p->message, sizeof(message));
	power_off_free(p);
	done(r, message, userdata);
}

static int power_off_on_finish(sd_event_source *s, void *userdata)
{
	power_off_report(userdata);
	return 0;
}

/*
 * Records the outcome; the report comes from a defer source, so that the bus
 * or the hooks are never freed from inside their own callbacks. The first
 * outcome wins (a reply racing the timer).
 */
_printf_(3, 4) static void power_off_complete(struct power_off *p, int r, const char *fmt, ...)
{
	va_list ap;

	if (p->completed)
		return;
	p->completed = true;
	p->r = r;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
	if (sd_event_source_set_enabled(p->finish, SD_EVENT_ONESHOT) < 0)
		power_off_report(p); /* cannot happen for a defer source; still report */
}

static int power_off_on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct power_off *p = userdata;

	power_off_complete(p, -ETIMEDOUT, "%s did not complete within %.1f s", p->what,
			   (double)power_off_timeout / USEC_PER_SEC);
	return 0;
}

/* The loop is exiting (SIGTERM during shutdown): report now, as nothing else
 * will be dispatched. */
static int power_off_on_exit(sd_event_source *s, void *userdata)
{
	struct power_off *p = userdata;

	if (!p->completed) {
		p->r = -ECANCELED;
		snprintf(p->message, sizeof(p->message), "%s: cancelled, the event loop is exiting",
			 p->what);
	}
	power_off_report(p);
	return 0;
}

/* ---- logind ---- */

static const char *system_bus_address(void)
{
	const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");

	return a && *a ? a : "unix:path=/run/dbus/system_bus_socket";
}

static int logind_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct power_off *p = userdata;
	const sd_bus_error *e;
	int r;

	if (!sd_bus_message_is_method_error(m, NULL)) {
		power_off_complete(p, 0, "logind accepted PowerOff");
		return 0;
	}
	e = sd_bus_message_get_error(m);
	r = sd_bus_error_get_errno(e);
	power_off_complete(p, r > 0 ? -r : -EIO,
			   "PowerOff via " LOGIND_SERVICE " on the system bus (%s) failed: %s: %s",
			   system_bus_address(), e->name, e->message ? e->message : "(no message)");
	return 0;
}

static int logind_call(struct power_off *p, sd_event *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_open_system(&p->bus);
	if (r < 0) {
		power_off_complete(p, r, "cannot connect to the system bus (%s): %s",
				   system_bus_address(), strerror(-r));
		return 0;
	}
	r = sd_bus_attach_event(p->bus, e, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_message_new_method_call(p->bus, &m, LOGIND_SERVICE, LOGIND_PATH,
						   LOGIND_INTERFACE, "PowerOff");
	if (r >= 0)
		r = sd_bus_message_append(m, "b", /* interactive= */ 0);
	/* sd-bus's own bound is a little later than ours, so the message says who
	 * timed out. */
	if (r >= 0)
		r = sd_bus_call_async(p->bus, &p->slot, m, logind_on_reply, p,
				      power_off_timeout + USEC_PER_SEC);
	if (r < 0)
		power_off_complete(p, r, "cannot call PowerOff on the system bus (%s): %s",
				   system_bus_address(), strerror(-r));
	return 0;
}

/* ---- command ---- */

static void command_on_done(int status, void *userdata)
{
	struct power_off *p = userdata;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		power_off_complete(p, 0, "%s succeeded", p->what);
	else if (WIFEXITED(status))
		power_off_complete(p, -EIO, "%s failed with status %d", p->what,
				   WEXITSTATUS(status));
	else
		power_off_complete(p, -EIO, "%s was killed by signal %d (%s)", p->what,
				   WTERMSIG(status), strsignal(WTERMSIG(status)));
}

static int command_run(struct power_off *p, sd_event *e, char *const *argv)
{
	const struct hook_env env = {0}; /* PATH only, no message argument */
	int r;

	r = hooks_new(e, &p->hooks);
	if (r < 0)
		return r;
	hooks_set_done_callback(p->hooks, command_on_done, p);
	/* No timeout of its own: power_off_on_timeout bounds it, and freeing the
	 * hooks kills what is left. */
	r = hooks_run(p->hooks, argv, &env, 0);
	if (r < 0)
		power_off_complete(p, r, "cannot run %s: %s", p->what, strerror(-r));
	return 0;
}

/* ---- the request ---- */

/* "command ARG ARG ...", or "logind" when argv is NULL. */
static char *describe(char *const *argv)
{
	size_t len = strlen("command");
	char *s;

	if (!argv)
		return strdup("logind");
	for (size_t i = 0; argv[i]; i++)
		len += 1 + strlen(argv[i]);
	s = malloc(len + 1);
	if (!s)
		return NULL;
	strcpy(s, "command");
	for (size_t i = 0; argv[i]; i++)
		strcat(strcat(s, " "), argv[i]);
	return s;
}

static int power_off_new(sd_event *e, char *const *argv, struct power_off **ret)
{
	struct power_off *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->what = describe(argv);
	r = p->what ? 0 : -ENOMEM;
	if (r >= 0)
		r = sd_event_add_defer(e, &p->finish, power_off_on_finish, p);
	if (r >= 0)
		r = sd_event_source_set_enabled(p->finish, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_exit(e, &p->exit, power_off_on_exit, p);
	if (r >= 0)
		r = sd_event_add_time_relative(e, &p->timer, CLOCK_MONOTONIC, power_off_timeout,
					       USEC_PER_MSEC, power_off_on_timeout, p);
	if (r < 0) {
		power_off_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int shutdown_power_off(sd_event *e, enum shutdown_method m, char *const *argv,
		       void (*done)(int r, const char *message, void *userdata), void *userdata)
{
	struct power_off *p;
	int r;

	if (!e || !done || (unsigned)m >= _SHUTDOWN_METHOD_MAX || (m == SHUTDOWN_COMMAND && !argv))
		return -EINVAL;
	r = power_off_new(e, m == SHUTDOWN_LOGIND ? NULL : argv, &p);
	if (r < 0)
		return r;
	p->done = done;
	p->userdata = userdata;
	switch (m) {
	case SHUTDOWN_LOGIND:
		return logind_call(p, e);
	case SHUTDOWN_COMMAND:
		r = command_run(p, e, argv);
		break;
	default:
		log_notice("dry run: would power off via %s", p->what);
		power_off_complete(p, 0, "dry run: would power off via %s", p->what);
		break;
	}
	if (r < 0)
		power_off_free(p);
	return r;
}

/* ---- the power-down flag ---- */

static int dir_fsync(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Creates dir 0755 (whatever the umask) unless it exists. */
static int dir_ensure(const char *dir)
{
	if (mkdir(dir, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	return chmod(dir, 0755) < 0 ? -errno : 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

static int flag_write_temp(int fd)
{
	int r;

	if (fchmod(fd, 0644) < 0)
		return -errno;
	r = write_all(fd, POWERDOWN_FLAG_CONTENT, strlen(POWERDOWN_FLAG_CONTENT));
	if (r < 0)
		return r;
	return fsync(fd) < 0 ? -errno : 0;
}

int powerdown_flag_write(const char *path)
{
	_cleanup_free_ char *copy = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *dir;
	int r;

	if (!path || !*path)
		return 0;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	r = dir_ensure(dir);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = flag_write_temp(fd);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	return dir_fsync(dir);
}

int powerdown_flag_remove(const char *path)
{
	if (!path || !*path)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int flag_refuse(char *why, size_t len, const char *fmt, ...) _printf_(3, 4);
static int flag_refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

int powerdown_flag_check(const char *path, char *why, size_t len)
{
	char buf[sizeof(POWERDOWN_FLAG_CONTENT)];
	_cleanup_close_ int fd = -1;
	size_t n = strlen(POWERDOWN_FLAG_CONTENT);
	struct stat st;

	if (!path || !*path)
		return 0;
	/* O_NONBLOCK: a FIFO planted there must not hang the shutdown. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return flag_refuse(why, len, "cannot open it: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return flag_refuse(why, len, "not a regular file");
	if (!owner_trusted(st.st_uid) || (st.st_mode & 022))
		return flag_refuse(why, len,
				   "owned by uid %u with mode %04o: only root or the daemon "
				   "writes it, and nobody else may",
				   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	if (read(fd, buf, n) != (ssize_t)n || memcmp(buf, POWERDOWN_FLAG_CONTENT, n) != 0)
		return flag_refuse(why, len, "not written by upsagent (no marker)");
	return 1;
}

bool powerdown_flag_exists(const char *path)
{
	return powerdown_flag_check(path, NULL, 0) > 0;
}
