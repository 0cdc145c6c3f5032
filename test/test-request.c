/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reply matching: which lines complete, continue or break a request. */
#include <errno.h>

#include "request.h"
#include "test.h"

static int feed(struct request *r, const char *line, const char **value)
{
	struct proto_reply reply;

	CHECK_INT(proto_reply_parse(line, &reply), 0);
	return request_match(r, &reply, line, value);
}

static void test_answer(void)
{
	const char *get[] = {"GET", "VAR", "ups1", "ups.status"};
	struct request *r = request_new(REQUEST_ANSWER, 4, get, false);
	const char *v;

	CHECK(r);
	CHECK_STR(r->label, "GET VAR ups1 ups.status");
	CHECK_INT(feed(r, "VAR ups1 ups.status \"OB LB\"", &v), REQUEST_DONE);
	CHECK_STR(v, "OB LB");
	/* The answer to another question, or an OK, puts the session out of step. */
	CHECK_INT(feed(r, "VAR ups2 ups.status \"OL\"", &v), -EBADMSG);
	CHECK_INT(feed(r, "VAR ups1 battery.charge \"100\"", &v), -EBADMSG);
	CHECK_INT(feed(r, "OK", &v), -EBADMSG);
	CHECK_INT(feed(r, "BEGIN LIST VAR ups1", &v), -EBADMSG);
	CHECK_INT(feed(r, "ERR DATA-STALE", &v), REQUEST_REFUSED);
	request_free(r);
}

static void test_command_and_any(void)
{
	const char *pw[] = {"PASSWORD", "s3cret"};
	const char *logout[] = {"LOGOUT"};
	struct request *r = request_new(REQUEST_COMMAND, 2, pw, true);
	const char *v;

	CHECK(r);
	/* A redacted label never carries the secret into a message. */
	CHECK_STR(r->label, "PASSWORD ***");
	CHECK_INT(feed(r, "OK", &v), REQUEST_DONE);
	CHECK_STR(v, "");
	CHECK_INT(feed(r, "OK STARTTLS", &v), REQUEST_DONE);
	CHECK_STR(v, "STARTTLS");
	CHECK_INT(feed(r, "1.3", &v), -EBADMSG);
	CHECK_INT(feed(r, "ERR ACCESS-DENIED", &v), REQUEST_REFUSED);
	request_free(r);

	r = request_new(REQUEST_ANY, 1, logout, false);
	CHECK_INT(feed(r, "Goodbye...", &v), REQUEST_DONE);
	CHECK_STR(v, "Goodbye...");
	CHECK_INT(feed(r, "OK Goodbye", &v), REQUEST_DONE);
	CHECK_STR(v, "Goodbye");
	CHECK_INT(feed(r, "END LIST VAR ups1", &v), -EBADMSG);
	request_free(r);
}

static void test_list(void)
{
	const char *list[] = {"LIST", "VAR", "ups1"};
	struct request *r = request_new(REQUEST_LIST, 3, list, false);
	const char *v;

	CHECK(r);
	CHECK_INT(feed(r, "BEGIN LIST VAR ups1", &v), REQUEST_MORE);
	CHECK_INT(feed(r, "VAR ups1 battery.charge \"100\"", &v), REQUEST_MORE);
	CHECK_INT(feed(r, "VAR ups1 ups.status \"OL\"", &v), REQUEST_MORE);
	/* An ERR inside a list cannot come from upsd: out of step. */
	CHECK_INT(feed(r, "ERR DATA-STALE", &v), -EBADMSG);
	CHECK_INT(feed(r, "END LIST VAR ups1", &v), REQUEST_DONE);
	CHECK_INT(r->list.n, 2);
	CHECK_STR(r->list.items[1].value, "OL");
	request_free(r);

	r = request_new(REQUEST_LIST, 3, list, false);
	CHECK_INT(feed(r, "ERR UNKNOWN-UPS", &v), REQUEST_REFUSED);
	request_free(r);
}

int main(void)
{
	TEST_RUN(test_answer);
	TEST_RUN(test_command_and_any);
	TEST_RUN(test_list);
	return 0;
}
