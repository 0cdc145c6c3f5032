/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a lasting failure logs: start, change, a summary per period, recovery. */
#include "macro.h"
#include "outage.h"
#include "test.h"

#define S(x) ((uint64_t)(x)*USEC_PER_SEC)

static void test_one_line_per_outage(void)
{
	struct outage o = {0};

	/* Refused every second for 10 minutes: a start and two summaries. */
	CHECK_INT(outage_fail(&o, S(0), "refused", S(300)), OUTAGE_START);
	for (unsigned t = 1; t < 600; t++) {
		enum outage_say say = outage_fail(&o, S(t), "refused", S(300));

		CHECK_INT(say, t == 300 ? OUTAGE_SUMMARY : OUTAGE_QUIET);
	}
	CHECK_INT(o.attempts, 600);
	CHECK_INT(outage_fail(&o, S(600), "refused", S(300)), OUTAGE_SUMMARY);
	CHECK(outage_recover(&o));
	CHECK_INT(o.attempts, 601);
	CHECK(o.since == 0);
	CHECK(!outage_recover(&o)); /* once */
}

static void test_changed_text(void)
{
	struct outage o = {0};

	CHECK_INT(outage_fail(&o, S(0), "refused", S(300)), OUTAGE_START);
	CHECK_INT(outage_fail(&o, S(1), "timed out", S(300)), OUTAGE_CHANGED);
	CHECK_INT(outage_fail(&o, S(2), "timed out", S(300)), OUTAGE_QUIET);
	/* The period counts from the last line, the change. */
	CHECK_INT(outage_fail(&o, S(300), "timed out", S(300)), OUTAGE_QUIET);
	CHECK_INT(outage_fail(&o, S(301), "timed out", S(300)), OUTAGE_SUMMARY);
	CHECK(outage_recover(&o));
	/* A new outage starts over. */
	CHECK_INT(outage_fail(&o, S(400), "timed out", S(300)), OUTAGE_START);
	CHECK_INT(o.attempts, 1);
}

static void test_no_summaries(void)
{
	struct outage o = {0};
	char long_text[600];

	CHECK(!outage_recover(&o)); /* never failed */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	CHECK_INT(outage_fail(&o, S(0), long_text, 0), OUTAGE_START);
	/* Cut to fit, and the same text still compares the same. */
	CHECK_INT(outage_fail(&o, S(5000), long_text, 0), OUTAGE_QUIET);
}

int main(void)
{
	TEST_RUN(test_one_line_per_outage);
	TEST_RUN(test_changed_text);
	TEST_RUN(test_no_summaries);
	return 0;
}
