/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wall text and the terminal names; writing to a pty: test-wall.py. */
#include "test.h"
#include "wall.h"

static void test_format(void)
{
	char buf[512], small[48];
	size_t n = wall_format(buf, sizeof(buf), "host1", 0, "UPS a\x1b[2J on battery\nnext\x7f");

	CHECK_INT(n, strlen(buf));
	CHECK(strstr(buf, "\r\n\aBroadcast message from upsagent@host1 ("));
	CHECK(strstr(buf, "):\r\n\r\nUPS a?[2J on battery\r\nnext?\r\n\r\n"));
	CHECK(!strchr(buf, 0x1b));
	n = wall_format(small, sizeof(small), "a-very-long-host-name-indeed", 0, "message");
	CHECK(n < sizeof(small));
	CHECK_INT(n, strlen(small));
	CHECK_INT(wall_format(small, 0, "h", 0, "m"), 0);
}

static void test_tty_names(void)
{
	CHECK(wall_tty_ok("pts/3"));
	CHECK(wall_tty_ok("tty1"));
	CHECK(!wall_tty_ok(""));
	CHECK(!wall_tty_ok("/dev/pts/3"));
	CHECK(!wall_tty_ok("../etc/passwd"));
	CHECK(!wall_tty_ok("pts/../../x"));
	CHECK(!wall_tty_ok("tty 1"));
	CHECK(!wall_tty_ok(":0"));
}

int main(void)
{
	TEST_RUN(test_format);
	TEST_RUN(test_tty_names);
	return 0;
}
