/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "acl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>


#define ACL_XATTR_VERSION 2
#define ACL_HEADER_LEN	  4
#define ACL_ENTRY_LEN	  8
#define ACL_PERM_ALL	  7u

/* The attribute is little-endian whatever the machine. */
static uint32_t le16_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32_at(const uint8_t *p)
{
	return le16_at(p) | le16_at(p + 2) << 16;
}

static bool uid_allowed(uint32_t id, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (uids[i] == id)
			return true;
	return false;
}

/* The mask (ACL_PERM_ALL when there is none: a minimal ACL has no group class to limit). */
static int acl_mask(const uint8_t *b, size_t len, unsigned *ret)
{
	*ret = ACL_PERM_ALL;
	if (len < ACL_HEADER_LEN || (len - ACL_HEADER_LEN) % ACL_ENTRY_LEN != 0 ||
	    le32_at(b) != ACL_XATTR_VERSION)
		return -EINVAL;
	for (size_t off = ACL_HEADER_LEN; off < len; off += ACL_ENTRY_LEN)
		if (le16_at(b + off) == ACL_TAG_MASK)
			*ret = le16_at(b + off + 2) & ACL_PERM_ALL;
	return 0;
}

int acl_check_private(const void *xattr, size_t len, const uint32_t *uids, size_t n,
		      struct acl_leak *leak)
{
	const uint8_t *b = xattr;
	unsigned mask, perm;
	int r = acl_mask(b, len, &mask);

	if (r < 0)
		return r;
	for (size_t off = ACL_HEADER_LEN; off < len; off += ACL_ENTRY_LEN) {
		uint32_t tag = le16_at(b + off), id = le32_at(b + off + 4);

		perm = le16_at(b + off + 2) & ACL_PERM_ALL;
		switch (tag) {
		case ACL_TAG_USER_OBJ:
		case ACL_TAG_MASK:
			continue;
		case ACL_TAG_USER:
			if (uid_allowed(id, uids, n))
				continue;
			perm &= mask;
			break;
		case ACL_TAG_GROUP_OBJ:
		case ACL_TAG_GROUP:
			perm &= mask;
			break;
		case ACL_TAG_OTHER:
			break;
		default:
			return -EINVAL; /* a kind of entry we cannot judge */
		}
		if (perm) {
			*leak = (struct acl_leak){(enum acl_tag)tag, id, perm};
			return -EPERM;
		}
	}
	return 0;
}

const char *acl_leak_describe(const struct acl_leak *leak, char *buf, size_t size)
{
	switch (leak->tag) {
	case ACL_TAG_USER:
		snprintf(buf, size, "user %u", (unsigned)leak->id);
		break;
	case ACL_TAG_GROUP:
		snprintf(buf, size, "group %u", (unsigned)leak->id);
		break;
	case ACL_TAG_GROUP_OBJ:
		snprintf(buf, size, "the owning group");
		break;
	default:
		snprintf(buf, size, "others");
		break;
	}
	return buf;
}
