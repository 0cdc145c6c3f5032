/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A peer's bytes made safe: one log line, one terminal line, valid JSON. */
#include <stdlib.h>

#include "escape.h"
#include "json.h"
#include "test.h"

static void test_line(void)
{
	char out[64];

	CHECK_STR(escape_line(out, sizeof(out), "OL CHRG\tok"), "OL CHRG\tok");
	CHECK_STR(escape_line(out, sizeof(out), "a\n<0>b"), "a\\x0a<0>b");
	CHECK_STR(escape_line(out, sizeof(out), "\x1b[31m\x7f\xc3\xa9"),
		  "\\x1b[31m\\x7f\\xc3\\xa9");
	/* Cut to fit, never inside an escape. */
	CHECK_STR(escape_line(out, 6, "ab\ncd"), "ab");
	CHECK_STR(escape_line(out, 1, "abc"), "");
	CHECK_INT(escape_line_size("a\nb"), 7);
}

static char *json(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	json_print_string(f, in);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "\"plain\""},
	    {"q\"b\\n\n", "\"q\\\"b\\\\n\\n\""},
	    {"\x01\x1b\x7f", "\"\\u0001\\u001b\\u007f\""},
	    {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},	      /* UTF-8 stays */
	    {"\xc2\x9b", "\"\\u009b\""},			      /* C1 CSI written out */
	    {"\xff\xfe", "\"\\ufffd\\ufffd\""},			      /* not UTF-8 */
	    {"\xc0\xaf", "\"\\ufffd\\ufffd\""},			      /* overlong '/' */
	    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},	      /* a surrogate */
	    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* above U+10FFFF */
	    {"\xe2\x82", "\"\\ufffd\\ufffd\""},			      /* cut short at the end */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json(cases[i].in);

		CHECK_STR(got, cases[i].out);
		free(got);
	}
}

int main(void)
{
	TEST_RUN(test_line);
	TEST_RUN(test_json);
	return 0;
}
