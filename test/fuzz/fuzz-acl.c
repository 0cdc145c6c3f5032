/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the POSIX ACL reader (lib/base/acl.c): the input is the
 * system.posix_acl_access attribute, the first 12 bytes (if there) the three
 * trusted uids. Whatever the bytes, the verdict is a well-formed answer and
 * a refusal names a leak that describes itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t uids[3] = {0, 0, 0};
	struct acl_leak leak = {0};
	char who[64];
	size_t n = size >= sizeof(uids) ? 3 : 0;
	int r;

	if (n)
		memcpy(uids, data, sizeof(uids));
	r = acl_check_private(data + (n ? sizeof(uids) : 0), size - (n ? sizeof(uids) : 0), uids, n,
			      &leak);
	if (r != 0 && r != -EINVAL && r != -EPERM)
		abort();
	if (r == -EPERM && (!acl_leak_describe(&leak, who, sizeof(who)) || !who[0]))
		abort();
	return 0;
}
