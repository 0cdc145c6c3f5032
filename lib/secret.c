/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "password file %s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "password file %s is accessible by group or others (mode %04o); "
			 "refusing it: run chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

/* The first line of buf, its end cut; -EINVAL if empty or unterminated. */
static int first_line(char *buf, size_t len, const char *path, char *err, size_t errlen)
{
	size_t n = strcspn(buf, "\r\n");

	if (n == len && len > SECRET_MAX) {
		snprintf(err, errlen, "password file %s: the first line is longer than %d bytes",
			 path, SECRET_MAX);
		return -EINVAL;
	}
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "password file %s: the first line is empty", path);
		return -EINVAL;
	}
	return 0;
}

int secret_read_file(const char *path, char **ret, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	char buf[SECRET_MAX + 2];
	ssize_t n;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open password file %s: %s", path, strerror(-r));
		return r;
	}
	r = check_file(fd, path, err, errlen);
	if (r < 0)
		return r;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(-r));
		return r;
	}
	buf[n] = '\0';
	r = first_line(buf, (size_t)n, path, err, errlen);
	if (r >= 0) {
		*ret = strdup(buf);
		r = *ret ? 0 : -ENOMEM;
	}
	explicit_wipe(buf, sizeof(buf));
	return r;
}

char *secret_free(char *s)
{
	if (s) {
		explicit_wipe(s, strlen(s));
		free(s);
	}
	return NULL;
}
