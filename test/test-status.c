/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "macro.h"
#include "status.h"
#include "test.h"

#define F(t) STATUS_FLAG(STATUS_##t)

static void test_tokens(void)
{
	static const struct {
		const char *in;
		uint32_t flags;
		const char *other; /* the unknown tokens, space-separated */
	} cases[] = {
	    {"OL", F(OL), ""},
	    {"OB DISCHRG", F(OB) | F(DISCHRG), ""},
	    {"FSD OB LB", F(FSD) | F(OB) | F(LB), ""},
	    {"FSD OL", F(FSD) | F(OL), ""},
	    {"OL CHRG HB RB", F(OL) | F(CHRG) | F(HB) | F(RB), ""},
	    {"OL BYPASS CAL OFF OVER TRIM BOOST ECO",
	     F(OL) | F(BYPASS) | F(CAL) | F(OFF) | F(OVER) | F(TRIM) | F(BOOST) | F(ECO), ""},
	    {"WAIT", F(WAIT), ""},
	    {"OL TEST", F(OL) | F(TEST), ""},
	    {"OL ALARM", F(OL) | F(ALARM), ""},
	    {"", 0, ""},
	    {"   ", 0, ""},
	    {"  OL\tOB \r\n", F(OL) | F(OB), ""},
	    {"OL FOO", F(OL), "FOO"},
	    {"ol OL", F(OL), "ol"},		  /* case-sensitive, but kept */
	    {"OL FOO BAR FOO", F(OL), "FOO BAR"}, /* deduplicated, order kept */
	    {"OLX OBB L", 0, "OLX OBB L"},	  /* prefixes are not tokens */
	    {"OL OL OB", F(OL) | F(OB), ""},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct status_snapshot s;
		char buf[256];

		CHECK_INT(status_parse(&s, cases[i].in, NULL, NULL, NULL), 0);
		CHECK_INT(s.flags, cases[i].flags);
		status_other_format(&s, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].other);
		CHECK(!s.other_truncated);
		CHECK(!s.has_charge && !s.has_runtime);
		CHECK_STR(s.alarm, "");
	}
}

static void test_other_bounds(void)
{
	struct status_snapshot s;
	char buf[512];

	/* Only the first STATUS_OTHER_MAX unknown tokens are kept. */
	CHECK_INT(status_parse(&s, "A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 OL", NULL, NULL, NULL), 0);
	CHECK_INT(s.n_other, STATUS_OTHER_MAX);
	CHECK(s.other_truncated);
	CHECK_INT(s.flags, F(OL));
	status_other_format(&s, buf, sizeof(buf));
	CHECK_STR(buf, "A1 A2 A3 A4 A5 A6 A7 A8");

	/* A long token is cut to STATUS_OTHER_LEN, and is still data. */
	CHECK_INT(status_parse(&s, "OB 0123456789012345678901234567890123456789", NULL, NULL, NULL),
		  0);
	CHECK_INT(s.n_other, 1);
	CHECK(s.other_truncated);
	CHECK_STR(s.other[0], "01234567890123456789012345678901");
	CHECK_INT(s.flags, F(OB));
}

static void test_numbers(void)
{
	static const struct {
		const char *in;
		bool ok;
		double value;
	} cases[] = {
	    {"100", true, 100},
	    {"87.5", true, 87.5},
	    {"0", true, 0},
	    {"0.0", true, 0},
	    {"007", true, 7},
	    {"3600", true, 3600},
	    {"12.25", true, 12.25},
	    {"", false, 0},
	    {"-5", false, 0},
	    {"+5", false, 0},
	    {" 5", false, 0},
	    {"5 ", false, 0},
	    {"5.", false, 0},
	    {".5", false, 0},
	    {"1e3", false, 0},
	    {"0x10", false, 0},
	    {"inf", false, 0},
	    {"nan", false, 0},
	    {"1,5", false, 0},
	    {"1.2.3", false, 0},
	    {"abc", false, 0},
	    {"12abc", false, 0},
	    {"111111111111111111111111111111111", false, 0}, /* 33 chars */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		double v = -1;

		CHECK_INT(status_parse_number(cases[i].in, &v), cases[i].ok);
		if (cases[i].ok)
			CHECK(v == cases[i].value);
		else
			CHECK(v == -1); /* untouched */
	}
	CHECK(!status_parse_number(NULL, &(double){0}));
}

static void test_variables(void)
{
	struct status_snapshot s;

	CHECK_INT(status_parse(&s, "OB", "87.5", "1200", NULL), 0);
	CHECK(s.has_charge && s.charge == 87.5);
	CHECK(s.has_runtime && s.runtime == 1200);

	/* Junk is absent, not 0: a garbled charge must not look empty. */
	CHECK_INT(status_parse(&s, "OB", "n/a", "", NULL), 0);
	CHECK(!s.has_charge && !s.has_runtime);

	/* A set ups.alarm sets ALARM, as upsd does; an empty one does not. */
	CHECK_INT(status_parse(&s, "OL", NULL, NULL, "Replace battery!"), 0);
	CHECK_INT(s.flags, F(OL) | F(ALARM));
	CHECK_STR(s.alarm, "Replace battery!");
	CHECK_INT(status_parse(&s, "OL", NULL, NULL, ""), 0);
	CHECK_INT(s.flags, F(OL));

	CHECK_INT(status_parse(&s, NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_INT(status_parse(NULL, "OL", NULL, NULL, NULL), -EINVAL);
}

static void test_names(void)
{
	char buf[16];

	for (int t = 0; t < _STATUS_TOKEN_MAX; t++) {
		const char *name = status_token_to_string(t);

		CHECK(name);
		CHECK_INT(status_token_from_string(name), t);
	}
	CHECK(!status_token_to_string(_STATUS_TOKEN_MAX));
	CHECK_INT(status_token_from_string("XYZ"), -EINVAL);
	CHECK_INT(status_token_from_string(""), -EINVAL);

	CHECK_INT(status_flags_format(F(OB) | F(LB) | F(FSD), buf, sizeof(buf)), 9);
	CHECK_STR(buf, "OB LB FSD");
	/* Cut short, but NUL-terminated, and the full length is returned. */
	CHECK_INT(status_flags_format(F(OB) | F(LB) | F(FSD), buf, 5), 9);
	CHECK_STR(buf, "OB L");
	CHECK_INT(status_flags_format(0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	CHECK_INT(status_flags_format(F(OL), NULL, 0), 2);
}

int main(void)
{
	TEST_RUN(test_tokens);
	TEST_RUN(test_other_bounds);
	TEST_RUN(test_numbers);
	TEST_RUN(test_variables);
	TEST_RUN(test_names);
	return 0;
}
