/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ACL verdict on hand-built attributes: what systemd hands a service, and leaks. */
#include <errno.h>
#include <stdint.h>

#include "acl.h"
#include "macro.h"
#include "test.h"

#define DAEMON 999u
#define R      4
#define W      2

struct entry {
	unsigned tag, perm;
	uint32_t id;
};

/* The attribute as the kernel stores it: version 2, then little-endian entries. */
static size_t build(const struct entry *e, size_t n, uint8_t *b, uint32_t version)
{
	b[0] = (uint8_t)version, b[1] = b[2] = b[3] = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = b + 4 + 8 * i;

		p[0] = (uint8_t)e[i].tag, p[1] = 0;
		p[2] = (uint8_t)e[i].perm, p[3] = 0;
		for (int k = 0; k < 4; k++)
			p[4 + k] = (uint8_t)(e[i].id >> (8 * k));
	}
	return 4 + 8 * n;
}

static int check(const struct entry *e, size_t n, struct acl_leak *leak)
{
	static const uint32_t uids[] = {0, DAEMON};
	uint8_t b[4 + 8 * 16];

	return acl_check_private(b, build(e, n, b, 2), uids, ELEMENTSOF(uids), leak);
}

#define CHECK_ACL(expect, ...)                                                                     \
	do {                                                                                       \
		const struct entry _e[] = {__VA_ARGS__};                                           \
		CHECK_INT(check(_e, ELEMENTSOF(_e), &leak), expect);                               \
	} while (0)

/* systemd >= 255: root:root 0400 and user:SERVICEUSER:r--; stat() shows 0440. */
static void test_systemd_credential(void)
{
	struct acl_leak leak;

	CHECK_ACL(0, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_USER, R, DAEMON}, {ACL_TAG_GROUP_OBJ, 0, 0},
		  {ACL_TAG_MASK, R, 0}, {ACL_TAG_OTHER, 0, 0});
	/* The same for another service's user: that user could read our password. */
	CHECK_ACL(-EPERM, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_USER, R, 1001},
		  {ACL_TAG_GROUP_OBJ, 0, 0}, {ACL_TAG_MASK, R, 0}, {ACL_TAG_OTHER, 0, 0});
	CHECK_INT(leak.tag, ACL_TAG_USER);
	CHECK_INT(leak.id, 1001);
	CHECK_INT(leak.perm, R);
}

/* The mask limits the group class, never the owner, the allowed users or others. */
static void test_mask(void)
{
	struct acl_leak leak;
	char buf[64];

	/* group::r-- through mask::r--: the owning group reads it. */
	CHECK_ACL(-EPERM, {ACL_TAG_USER_OBJ, R | W, 0}, {ACL_TAG_GROUP_OBJ, R, 0},
		  {ACL_TAG_MASK, R, 0}, {ACL_TAG_OTHER, 0, 0});
	CHECK_STR(acl_leak_describe(&leak, buf, sizeof(buf)), "the owning group");
	/* The same entries behind mask::---: nobody in the group class gets anything. */
	CHECK_ACL(0, {ACL_TAG_USER_OBJ, R | W, 0}, {ACL_TAG_USER, R, 1001},
		  {ACL_TAG_GROUP_OBJ, R, 0}, {ACL_TAG_GROUP, R, 27}, {ACL_TAG_MASK, 0, 0},
		  {ACL_TAG_OTHER, 0, 0});
	/* A named group with write only, through mask::rw-: it could swap the password. */
	CHECK_ACL(-EPERM, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_GROUP_OBJ, 0, 0},
		  {ACL_TAG_GROUP, W, 27}, {ACL_TAG_MASK, R | W, 0}, {ACL_TAG_OTHER, 0, 0});
	CHECK_STR(acl_leak_describe(&leak, buf, sizeof(buf)), "group 27");
	CHECK_INT(leak.perm, W);
	/* other is not masked. */
	CHECK_ACL(-EPERM, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_GROUP_OBJ, 0, 0},
		  {ACL_TAG_MASK, 0, 0}, {ACL_TAG_OTHER, R, 0});
	CHECK_STR(acl_leak_describe(&leak, buf, sizeof(buf)), "others");
	/* The allowed users keep what they have whatever the mask; the owner too. */
	CHECK_ACL(0, {ACL_TAG_USER_OBJ, 7, 0}, {ACL_TAG_USER, 7, 0}, {ACL_TAG_USER, R, DAEMON},
		  {ACL_TAG_GROUP_OBJ, 0, 0}, {ACL_TAG_MASK, 7, 0}, {ACL_TAG_OTHER, 0, 0});
	/* Without a mask (a minimal ACL) the owning group's entry counts as it is. */
	CHECK_ACL(-EPERM, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_GROUP_OBJ, R, 0}, {ACL_TAG_OTHER, 0, 0});
	CHECK_ACL(0, {ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_GROUP_OBJ, 0, 0}, {ACL_TAG_OTHER, 0, 0});
}

/* What cannot be judged is refused, never taken as private. */
static void test_malformed(void)
{
	static const uint32_t uids[] = {0};
	const struct entry e[] = {{ACL_TAG_USER_OBJ, R, 0}, {ACL_TAG_OTHER, 0, 0}};
	struct acl_leak leak;
	uint8_t b[64];
	size_t n = build(e, ELEMENTSOF(e), b, 2);

	CHECK_INT(acl_check_private(b, n, uids, 1, &leak), 0);
	CHECK_INT(acl_check_private(b, n - 1, uids, 1, &leak), -EINVAL); /* cut short */
	CHECK_INT(acl_check_private(b, 3, uids, 1, &leak), -EINVAL);	  /* no header */
	CHECK_INT(acl_check_private(b, build(e, ELEMENTSOF(e), b, 1), uids, 1, &leak), -EINVAL);
	CHECK_ACL(-EINVAL, {ACL_TAG_USER_OBJ, R, 0}, {0x40, 0, 0}, {ACL_TAG_OTHER, 0, 0});
	/* The header alone: no entry grants anything. */
	CHECK_INT(acl_check_private(b, build(e, 0, b, 2), uids, 1, &leak), 0);
}

int main(void)
{
	TEST_RUN(test_systemd_credential);
	TEST_RUN(test_mask);
	TEST_RUN(test_malformed);
	return 0;
}
