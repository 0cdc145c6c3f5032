/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * POSIX access ACLs, read from the "system.posix_acl_access" extended
 * attribute without libacl. Pure: the attribute's bytes in, a verdict out.
 *
 * The attribute is a little-endian header (version 2) followed by 8-byte
 * entries {tag, permissions, id}. When a file has one, the group bits of
 * st_mode show the ACL's mask, not the owning group's permissions: systemd
 * 255 and later hand credentials over as root:root 0400 with an entry
 * "user:SERVICEUSER:r", which stat() shows as 0440.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum acl_tag {
	ACL_TAG_USER_OBJ = 0x01,  /* the owner */
	ACL_TAG_USER = 0x02,	  /* a named user */
	ACL_TAG_GROUP_OBJ = 0x04, /* the owning group */
	ACL_TAG_GROUP = 0x08,	  /* a named group */
	ACL_TAG_MASK = 0x10,	  /* the most any group-class entry grants */
	ACL_TAG_OTHER = 0x20,	  /* everybody else */
};

/* The first entry that opens the file to someone else. */
struct acl_leak {
	enum acl_tag tag;
	uint32_t id;	 /* the uid or gid, for ACL_TAG_USER and ACL_TAG_GROUP */
	unsigned perm;	 /* what it effectively grants: 4 read, 2 write, 1 execute */
};

/*
 * Whether the ACL keeps the file to the owner and the users in uids (n of
 * them: root and the daemon's own user). Any permission counts, read, write
 * or execute, as the mode check counts any group or other bit: a password
 * that someone else can read is leaked, one they can write can be swapped.
 *
 * Entries of the group class (named users, the owning group, named groups)
 * grant only what the mask lets through, as the kernel checks them; a mask
 * of --- therefore closes them all. Other is not masked.
 *
 * Returns 0 when private; -EPERM with *leak filled for the first entry that
 * grants something to someone else; -EINVAL for an attribute that is not a
 * version 2 ACL (which the caller must refuse, not ignore).
 */
int acl_check_private(const void *xattr, size_t len, const uint32_t *uids, size_t n,
		      struct acl_leak *leak);

/* "user 1001", "group 27", "the owning group" or "others", into buf. */
const char *acl_leak_describe(const struct acl_leak *leak, char *buf, size_t size);
