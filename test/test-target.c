/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "target.h"
#include "test.h"

static const struct {
	const char *in;
	int r;
	const char *ups, *host;
	unsigned port;
} cases[] = {
	{"ups1", 0, "ups1", "localhost", 3493},
	{"ups1@nas", 0, "ups1", "nas", 3493},
	{"ups1@nas:401", 0, "ups1", "nas", 401},
	{"ups1@192.0.2.1:3493", 0, "ups1", "192.0.2.1", 3493},
	{"ups1@[::1]", 0, "ups1", "::1", 3493},
	{"ups1@[fe80::1%eth0]:3494", 0, "ups1", "fe80::1%eth0", 3494},
	{"ups1@::1", -EINVAL, NULL, NULL, 0},
	{"ups1@[::1", -EINVAL, NULL, NULL, 0},
	{"ups1@[::1]x", -EINVAL, NULL, NULL, 0},
	{"@nas", -EINVAL, NULL, NULL, 0},
	{"", -EINVAL, NULL, NULL, 0},
	{"ups1@", -EINVAL, NULL, NULL, 0},
	{"ups1@nas:", -EINVAL, NULL, NULL, 0},
	{"ups1@nas:0", -EINVAL, NULL, NULL, 0},
	{"ups1@nas:65536", -EINVAL, NULL, NULL, 0},
	{"ups1@nas:-1", -EINVAL, NULL, NULL, 0},
	{"ups1@nas:12ab", -EINVAL, NULL, NULL, 0},
	{"ups 1@nas", -EINVAL, NULL, NULL, 0},
	{"ups\"1@nas", -EINVAL, NULL, NULL, 0},
};

static void test_target_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target t;
		char err[256] = "";
		int r = target_parse(cases[i].in, &t, err, sizeof(err));

		fprintf(stderr, "   %s -> %d %s\n", cases[i].in, r, err);
		CHECK_INT(r, cases[i].r);
		if (r < 0) {
			CHECK(err[0] != '\0');
			continue;
		}
		CHECK_STR(t.ups, cases[i].ups);
		CHECK_STR(t.host, cases[i].host);
		CHECK_INT(t.port, cases[i].port);
		target_done(&t);
	}
}

int main(void)
{
	TEST_RUN(test_target_table);
	return 0;
}
