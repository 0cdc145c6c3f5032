/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-login.h>
#include <unistd.h>
#include <utmpx.h>

#include "log.h"
#include "macro.h"

size_t wall_format(char *buf, size_t len, const char *host, time_t now, const char *message)
{
	char when[64] = "";
	struct tm tm;
	size_t n;

	if (len == 0)
		return 0;
	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	n = (size_t)snprintf(buf, len, "\r\n\aBroadcast message from upsagent@%s (%s):\r\n\r\n",
			     host, when);
	for (const char *p = message; *p && n + 3 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n') {
			buf[n++] = '\r';
			buf[n++] = '\n';
		} else
			buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n > len - 1)
		n = len - 1;
	n += (size_t)snprintf(buf + n, len - n, "%s", "\r\n\r\n");
	return n < len ? n : len - 1;
}

bool wall_tty_ok(const char *line)
{
	if (!*line || *line == '/' || strstr(line, "..") || strlen(line) > 32)
		return false;
	for (; *line; line++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/", *line))
			return false;
	return true;
}

/* The terminals seen so far, each written once. */
struct ttys {
	char names[WALL_TTYS_MAX][33];
	size_t n;
};

static void ttys_add(struct ttys *t, const char *name)
{
	if (!wall_tty_ok(name) || t->n == WALL_TTYS_MAX)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return;
	snprintf(t->names[t->n++], sizeof(t->names[0]), "%s", name);
}

/* utmp functions keep their state in libc: the daemon has one thread. */
static int ttys_from_utmp(struct ttys *t, const char *path)
{
	struct utmpx *u;

	if (access(path, R_OK) < 0)
		return -errno;
	if (utmpxname(path) < 0)
		return -ENOMEM;
	setutxent();
	while ((u = getutxent())) {
		char line[sizeof(u->ut_line) + 1];

		if (u->ut_type != USER_PROCESS)
			continue;
		memcpy(line, u->ut_line, sizeof(u->ut_line));
		line[sizeof(u->ut_line)] = '\0';
		ttys_add(t, line);
	}
	endutxent();
	return 0;
}

static int ttys_from_logind(struct ttys *t)
{
	char **sessions = NULL;
	int n = sd_get_sessions(&sessions);

	for (int i = 0; i < n; i++) {
		char *tty = NULL;

		if (sd_session_get_tty(sessions[i], &tty) >= 0)
			ttys_add(t, tty);
		free(tty);
		free(sessions[i]);
	}
	free(sessions);
	return n < 0 ? n : 0;
}

/* One terminal, without waiting: 1 when written. */
static int tty_write(const char *name, const char *text, size_t len)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_debug("wall: %s: %s, skipped", path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || !isatty(fd))
		return 0;
	if (write(fd, text, len) < 0) {
		log_debug("wall: %s: %s, skipped", path, strerror(errno));
		return 0;
	}
	return 1;
}

int wall_send(const char *message)
{
	_cleanup_free_ struct ttys *t = calloc(1, sizeof(*t));
	const char *test_utmp = secure_getenv(WALL_TEST_UTMP_ENV);
	char host[256] = "localhost", text[2048];
	size_t len;
	int r, sent = 0;

	if (!t)
		return -ENOMEM;
	if (test_utmp)
		r = ttys_from_utmp(t, test_utmp);
	else {
		int r2 = ttys_from_logind(t);

		r = ttys_from_utmp(t, _PATH_UTMPX);
		r = r < 0 && r2 < 0 ? r2 : 0;
	}
	if (r < 0)
		return r;
	(void)gethostname(host, sizeof(host) - 1);
	len = wall_format(text, sizeof(text), host, time(NULL), message);
	for (size_t i = 0; i < t->n; i++)
		sent += tty_write(t->names[i], text, len);
	return sent;
}
