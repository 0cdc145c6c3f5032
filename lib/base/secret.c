/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "acl.h"
#include "macro.h"

#define ACL_XATTR     "system.posix_acl_access"
#define ACL_XATTR_MAX 4096 /* 511 entries; a password file has a handful */

/* Who may read a password file besides its owner: root, whoever checks it
 * (the daemon, or root running check-config), and the daemon's own user,
 * to whom systemd 255 and later grant a credential through an ACL entry. */
static size_t secret_readers(uint32_t uids[3])
{
	const struct passwd *pw = getpwnam(SECRET_DAEMON_USER);
	size_t n = 0;

	uids[n++] = 0;
	uids[n++] = (uint32_t)geteuid();
	if (pw)
		uids[n++] = (uint32_t)pw->pw_uid;
	return n;
}

static bool secret_reader(uint32_t uid, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (uids[i] == uid)
			return true;
	return false;
}

/* With an ACL the group bits of the mode are its mask: judge the entries
 * instead. 1: an ACL keeps the file private; 0: no ACL; -errno: refused. */
static int check_acl(int fd, const char *path, const uint32_t *uids, size_t n_uids, char *err,
		     size_t errlen)
{
	uint8_t acl[ACL_XATTR_MAX];
	struct acl_leak leak;
	char who[64];
	ssize_t len = fgetxattr(fd, ACL_XATTR, acl, sizeof(acl));
	int r;

	if (len < 0 && (errno == ENODATA || errno == EOPNOTSUPP))
		return 0; /* no ACL: the mode says it all */
	if (len < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot read the ACL of password file %s: %s", path,
			 strerror(-r));
		return r;
	}
	r = acl_check_private(acl, (size_t)len, uids, n_uids, &leak);
	if (r == -EINVAL)
		snprintf(err, errlen,
			 "password file %s has an ACL this program cannot read; "
			 "refusing it: run setfacl -b %s",
			 path, path);
	else if (r < 0)
		snprintf(err, errlen,
			 "password file %s: its ACL lets %s %s it; refusing it: run "
			 "setfacl -b %s && chmod 600 %s",
			 path, acl_leak_describe(&leak, who, sizeof(who)),
			 leak.perm & 4 ? "read" : "change", path, path);
	return r < 0 ? r : 1;
}

static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	uint32_t uids[3];
	size_t n_uids = secret_readers(uids);
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "password file %s is not a regular file", path);
		return -EINVAL;
	}
	/* The owner reads it whatever the mode says: it must be one of us. */
	if (!secret_reader((uint32_t)st.st_uid, uids, n_uids)) {
		snprintf(err, errlen,
			 "password file %s belongs to user %u, who could read it; refusing "
			 "it: run chown root %s",
			 path, (unsigned)st.st_uid, path);
		return -EPERM;
	}
	r = check_acl(fd, path, uids, n_uids, err, errlen);
	if (r != 0)
		return r < 0 ? r : 0;
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

	/* O_NONBLOCK: opening a FIFO planted there would wait for a writer
	 * (and freeze the daemon or check-config); check_file() refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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
