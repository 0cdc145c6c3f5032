/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upsmon.conf syntax: words, quotes, escapes, comments, bad lines. */
#include <errno.h>

#include "test.h"
#include "upsmonconf.h"

static struct upsmonconf *parse(const char *text)
{
	struct upsmonconf *c = NULL;

	CHECK_INT(upsmonconf_parse("t.conf", text, strlen(text), &c), 0);
	CHECK(c);
	return c;
}

static void test_words(void)
{
	struct upsmonconf *c = parse("# comment\n"
				     "MINSUPPLIES 1\n"
				     "\n"
				     "  SHUTDOWNCMD \"/sbin/shutdown -h +0\"   # trailing\n"
				     "NOTIFYMSG ONBATT \"say \\\"hi\\\" # not a comment\"\n"
				     "MONITOR a\\ b@h 1 u p\\#w primary\n"
				     "EMPTY \"\"\n");

	CHECK_INT(c->n_lines, 5);
	CHECK_INT(c->n_notes, 0);
	CHECK_STR(c->lines[0].words[0], "MINSUPPLIES");
	CHECK_INT(c->lines[0].line, 2);
	CHECK_INT(c->lines[1].line, 4);
	CHECK_INT(c->lines[1].n_words, 2);
	CHECK_STR(c->lines[1].words[1], "/sbin/shutdown -h +0");
	CHECK_STR(c->lines[2].words[2], "say \"hi\" # not a comment");
	CHECK_STR(c->lines[3].words[1], "a b@h");
	CHECK_STR(c->lines[3].words[4], "p#w");
	CHECK_INT(c->lines[4].n_words, 2);
	CHECK_STR(c->lines[4].words[1], "");
	CHECK(c->lines[4].words[2] == NULL);
	CHECK_STR(upsmonconf_find(c, "SHUTDOWNCMD")->words[0], "SHUTDOWNCMD");
	CHECK(upsmonconf_find(c, "shutdowncmd") == NULL);
	upsmonconf_free(c);
}

static void test_continued_and_crlf(void)
{
	struct upsmonconf *c = parse("POLLFREQ \\\n 5\r\nDEADTIME 15\r\nLAST 1");

	CHECK_INT(c->n_lines, 3);
	CHECK_INT(c->lines[0].n_words, 2);
	CHECK_STR(c->lines[0].words[1], "5");
	CHECK_INT(c->lines[1].line, 3);
	CHECK_STR(c->lines[1].words[1], "15");
	CHECK_INT(c->lines[2].line, 4); /* no newline at the end */
	upsmonconf_free(c);
}

static void test_bad_lines(void)
{
	char many[400] = "MANY";
	struct upsmonconf *c;

	for (int i = 0; i < 40; i++)
		strcat(many, " w");
	strcat(many, "\n");
	c = parse("GOOD 1\nMONITOR \"ups@h 1 u p primary\nAFTER 2\n# a \a in a comment\n");
	CHECK_INT(c->n_lines, 2);
	CHECK_STR(c->lines[1].words[0], "AFTER");
	CHECK_INT(c->lines[1].line, 3);
	CHECK_INT(c->n_notes, 1);
	CHECK_INT(c->notes[0].line, 2);
	CHECK(strstr(c->notes[0].text, "quoted string is not closed"));
	upsmonconf_free(c);

	c = parse(many);
	CHECK_INT(c->n_lines, 0);
	CHECK_INT(c->n_notes, 1);
	CHECK(strstr(c->notes[0].text, "more than 32 words"));
	upsmonconf_free(c);

	/* Binary junk: a NUL byte, a control character; nothing is read. */
	c = NULL;
	CHECK_INT(upsmonconf_parse("t.conf", "A 1\0B", 5, &c), -EBADMSG);
	CHECK_INT(upsmonconf_parse("t.conf", "A 1\nBELL \a\n", 11, &c), -EBADMSG);
	CHECK_INT(upsmonconf_parse("t.conf", "A \"\x1b[1m\"\n", 9, &c), -EBADMSG);
	CHECK(c == NULL);
	CHECK_INT(upsmonconf_parse("t.conf", "A 1\r\nB\f2\n", 9, &c), 0);
	CHECK_INT(c->n_lines, 2);
	upsmonconf_free(c);
}

int main(void)
{
	TEST_RUN(test_words);
	TEST_RUN(test_continued_and_crlf);
	TEST_RUN(test_bad_lines);
	return 0;
}
