/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Password files on disk: the mode rule, and the ACL rule with a real
 * "system.posix_acl_access" attribute written the way systemd 255+ writes a
 * credential's (skipped where the file system has no ACLs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "acl.h"
#include "macro.h"
#include "secret.h"
#include "test.h"

static char dir[] = "/tmp/test-secret-XXXXXX";
static char path[64];

static void write_file(const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static int read_secret(char *err, size_t errlen)
{
	char *s = NULL;
	int r = secret_read_file(path, &s, err, errlen);

	if (r == 0)
		CHECK_STR(s, "hunter2");
	secret_free(s);
	return r;
}

static void test_mode(void)
{
	char err[512];

	write_file("hunter2\n", 0600);
	CHECK_INT(read_secret(err, sizeof(err)), 0);
	write_file("hunter2\n", 0400);
	CHECK_INT(read_secret(err, sizeof(err)), 0);
	write_file("hunter2\n", 0640);
	CHECK_INT(read_secret(err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "mode 0640"));
}

/* user::r--, user:UID:r--, group::---, mask::r--, other::--- */
static int set_acl(uint32_t uid)
{
	const uint16_t e[][2] = {{ACL_TAG_USER_OBJ, 4}, {ACL_TAG_USER, 4}, {ACL_TAG_GROUP_OBJ, 0},
				 {ACL_TAG_MASK, 4}, {ACL_TAG_OTHER, 0}};
	uint8_t b[4 + 8 * ELEMENTSOF(e)] = {2};

	for (size_t i = 0; i < ELEMENTSOF(e); i++) {
		uint8_t *p = b + 4 + 8 * i;
		uint32_t id = e[i][0] == ACL_TAG_USER ? uid : UINT32_MAX;

		p[0] = (uint8_t)e[i][0], p[2] = (uint8_t)e[i][1];
		for (int k = 0; k < 4; k++)
			p[4 + k] = (uint8_t)(id >> (8 * k));
	}
	return setxattr(path, "system.posix_acl_access", b, sizeof(b), 0) < 0 ? -errno : 0;
}

static void test_acl(void)
{
	struct stat st;
	char err[512];
	int r;

	write_file("hunter2\n", 0400);
	r = set_acl((uint32_t)geteuid());
	if (r == -EOPNOTSUPP) {
		fprintf(stderr, "no ACLs on %s: skipped\n", dir);
		return;
	}
	CHECK_INT(r, 0);
	/* What systemd >= 255 hands a service: the mask shows as group r. */
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0440);
	CHECK_INT(read_secret(err, sizeof(err)), 0);
	/* The same ACL naming somebody else: refused, and the message says who. */
	CHECK_INT(set_acl(4242), 0);
	CHECK_INT(read_secret(err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "user 4242 read it"));
	CHECK(strstr(err, "setfacl -b"));
}

/* An owner who is neither root, the reader nor upsagent reads it whatever the mode. */
static void test_owner(void)
{
	char err[512];

	write_file("hunter2\n", 0600);
	if (geteuid() != 0) {
		fprintf(stderr, "not root: cannot give the file away: skipped\n");
		return;
	}
	CHECK(chown(path, 4242, (gid_t)-1) == 0);
	CHECK_INT(read_secret(err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "belongs to user 4242"));
	CHECK(chown(path, 0, (gid_t)-1) == 0);
	CHECK_INT(read_secret(err, sizeof(err)), 0);
}

int main(void)
{
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw", dir);
	TEST_RUN(test_mode);
	TEST_RUN(test_acl);
	TEST_RUN(test_owner);
	unlink(path);
	rmdir(dir);
	return 0;
}
