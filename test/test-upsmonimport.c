/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsmon.conf (and upssched.conf) into upsagent.conf text, notes and passwords. */
#include "test.h"
#include "upsmonimport.h"

static struct upsmonconf *conf(const char *path, const char *text)
{
	struct upsmonconf *c = NULL;

	CHECK_INT(upsmonconf_parse(path, text, strlen(text), &c), 0);
	return c;
}

static struct upsmon_import *import_full(const char *text, const char *sched, const char *script)
{
	struct upsmonconf *c = conf("upsmon.conf", text);
	struct upsmonconf *s = sched ? conf("upssched.conf", sched) : NULL;
	struct upsmon_import_in in = {
	    .conf = c,
	    .sched = s,
	    .sched_path = "upssched.conf",
	    .sched_error = sched ? NULL : "No such file or directory",
	    .sched_script = script,
	    .password_dir = "/etc/upsagent",
	    .version = "test",
	};
	struct upsmon_import *r = NULL;

	CHECK_INT(upsmon_import(&in, &r), 0);
	/* The notes point into the parsed files: keep them for the test's life. */
	fprintf(stderr, "%s", r->text);
	(void)upsmonconf_free; /* freed by the caller through leak-free helpers below */
	upsmonconf_free(c);
	upsmonconf_free(s);
	return r;
}

static struct upsmon_import *import(const char *text)
{
	return import_full(text, NULL, NULL);
}

/* The note at line, which must mention what. */
static void check_note(const struct upsmon_import *r, const char *file, unsigned line,
		       const char *what)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (r->notes[i].line == line && strcmp(r->notes[i].file, file) == 0 &&
		    strstr(r->notes[i].text, what))
			return;
	fprintf(stderr, "no note %s:%u: ...%s...\n", file, line, what);
	for (size_t i = 0; i < r->n_notes; i++)
		fprintf(stderr, "  %s:%u: %s\n", r->notes[i].file, r->notes[i].line, r->notes[i].text);
	CHECK(!"note missing");
}

static void test_monitor(void)
{
	struct upsmon_import *r = import("MONITOR rack@nas.lan 1 monuser s3cret! secondary\n"
					 "MONITOR rack@other:3494 2 admin \"pw with space\" master\n"
					 "MONITOR desk@[::1]:3493 0 u p slave\n"
					 "MINSUPPLIES 2\n");

	CHECK_INT(r->n_ups, 3);
	CHECK_INT(r->n_passwords, 3);
	CHECK_STR(r->passwords[0].section, "rack");
	CHECK_STR(r->passwords[0].password, "s3cret!");
	CHECK_STR(r->passwords[0].path, "/etc/upsagent/rack.pw");
	CHECK_STR(r->passwords[1].section, "rack-other");
	CHECK_STR(r->passwords[1].password, "pw with space");
	CHECK(strstr(r->text, "ups rack {\n\tserver = \"nas.lan\"\n\tuser = \"monuser\"\n"
			      "\tpassword-file = \"/etc/upsagent/rack.pw\"\n\trole = \"secondary\"\n"
			      "\tpower-value = 1\n}"));
	CHECK(strstr(r->text, "ups rack-other {\n\tserver = \"other\"\n\tport = 3494\n\tups = \"rack\"\n"));
	CHECK(strstr(r->text, "\trole = \"primary\"\n\tpower-value = 2\n"));
	CHECK(strstr(r->text, "ups desk {\n\tserver = \"::1\"\n\tport = 3493\n"));
	CHECK(strstr(r->text, "min-supplies = 2\n"));
	CHECK(!strstr(r->text, "s3cret"));
	CHECK(!strstr(r->text, "pw with space"));
	/* No FORCESSL/CERTVERIFY: TLS is now required, said at the first MONITOR. */
	check_note(r, "upsmon.conf", 1, "always requires TLS");
	upsmon_import_free(r);
}

static void test_bad_monitor(void)
{
	struct upsmon_import *r = import("MONITOR ups@h 1 user primary\n"
					 "MONITOR ups@h 1 user pw boss\n"
					 "MONITOR ups@h:99999 1 user pw primary\n"
					 "MONITOR ups@h x user pw primary\n"
					 "MONITOR ups@h 1 user pw\n"
					 "MONITOR ups@h 1 us'er pw primary\n"
					 "MONITR ups@h 1 user topsecret primary\n"
					 "MONITOR ok@h 1 user pw primary\n"
					 "MONITOR ok@H:3493 1 user pw2 primary\n"
					 "\"unclosed\n");

	CHECK_INT(r->n_ups, 1);
	check_note(r, "upsmon.conf", 1, "the password is missing");
	check_note(r, "upsmon.conf", 2, "neither primary nor secondary");
	check_note(r, "upsmon.conf", 3, "is not UPS@HOST[:PORT]");
	check_note(r, "upsmon.conf", 4, "power value 'x'");
	check_note(r, "upsmon.conf", 5, "5 words");
	check_note(r, "upsmon.conf", 6, "not one plain word");
	check_note(r, "upsmon.conf", 7, "unknown directive MONITR");
	check_note(r, "upsmon.conf", 9, "already watched (line 8)");
	check_note(r, "upsmon.conf", 10, "a quoted string is not closed");
	/* Comments echo the lines, passwords masked. */
	CHECK(strstr(r->text, "# upsmon.conf:2: MONITOR ups@h 1 user ******** boss\n"));
	CHECK(!strstr(r->text, " pw2"));
	check_note(r, "upsmon.conf", 9, "ok@H:3493 is already watched");
	CHECK(strstr(r->text, "# upsmon.conf:7: MONITR"));
	upsmon_import_free(r);
}

static void test_globals(void)
{
	struct upsmon_import *r = import("MONITOR u@h 1 a b secondary\n"
					 "POLLFREQ 10\nPOLLFREQALERT 2\nDEADTIME 15\nHOSTSYNC 20\n"
					 "FINALDELAY 0\nNOCOMMWARNTIME 600\nRBWARNTIME 3600\n"
					 "OFFDURATION -1\nRUN_AS_USER nut\nPOWERDOWNFLAG /etc/killpower\n"
					 "NOTIFYMSG ONBATT \"on battery!\"\nHOSTSYNC abc\nFORCESSL 1\n"
					 "CERTVERIFY 1\nCERTPATH /etc/nut/cert\n"
					 "CERTIDENT \"my client\" \"dbpassword\"\n"
					 "CERTHOST h nas.lan 1 1\n");

	CHECK(strstr(r->text, "poll-interval = 10\ndead-time = 20\nhost-sync = 20\nfinal-delay = 0\n"
			      "nocomm-warn-time = 600\nrb-warn-time = 3600\noff-duration = \"never\"\n"));
	check_note(r, "upsmon.conf", 3, "polls every poll-interval");
	check_note(r, "upsmon.conf", 4, "at least twice the poll interval");
	check_note(r, "upsmon.conf", 10, "its own user");
	check_note(r, "upsmon.conf", 11, "/run/upsagent/killpower");
	check_note(r, "upsmon.conf", 12, "no per-event message");
	check_note(r, "upsmon.conf", 13, "'abc' is not a whole number");
	check_note(r, "upsmon.conf", 16, "certutil -L -d sql:/etc/nut/cert -n NICK -a > /etc/upsagent/ca.pem");
	check_note(r, "upsmon.conf", 17, "pk12util -o client.p12 -n NAME -d sql:/etc/nut/cert");
	CHECK(!strstr(r->text, "dbpassword"));
	CHECK(strstr(r->text, "CERTIDENT \"my client\" ********"));
	CHECK(strstr(r->text, "\t#ca-file = \"/etc/upsagent/ca.pem\""));
	CHECK(strstr(r->text, "\tserver-name = \"nas.lan\"\n"));
	CHECK(!strstr(r->text, "always requires TLS")); /* FORCESSL 1 and CERTVERIFY 1 */
	CHECK(strstr(r->text, "# Power off through systemd-logind"));
	upsmon_import_free(r);

	/* A slow poll raises the default dead-time; too many supplies are said. */
	r = import("MONITOR u@h 1 a b secondary\nPOLLFREQ 30\nMINSUPPLIES 2\n");
	CHECK(strstr(r->text, "poll-interval = 30\ndead-time = 60\n"));
	check_note(r, "upsmon.conf", 2, "dead-time (the default, 15 s) must be at least twice");
	check_note(r, "upsmon.conf", 3, "MINSUPPLIES 2 is more than the power values");
	upsmon_import_free(r);
}

static void test_commands(void)
{
	struct upsmon_import *r = import("SHUTDOWNCMD \"/sbin/shutdown -h +0\"\n");

	check_note(r, "upsmon.conf", 1, "through systemd-logind");
	CHECK(!strstr(r->text, "\nshutdown-command"));
	check_note(r, "upsmon.conf", 0, "no MONITOR line");
	/* upsmon's default flags: SYSLOG+WALL for every event. */
	CHECK(strstr(r->text, "notify {\n\twall = true\n\tevents = {\"ALL\"}\n}\n"));
	upsmon_import_free(r);

	r = import("SHUTDOWNCMD \"/usr/local/sbin/ups-off --now\"\n"
		   "NOTIFYCMD \"/usr/local/bin/notify me\"\n"
		   "NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\nNOTIFYFLAG ONLINE EXEC\n"
		   "NOTIFYFLAG NOPARENT SYSLOG\nNOTIFYFLAG BOGUS SYSLOG\nNOTIFYFLAG FSD SYSLOG+LOUD\n");
	CHECK(strstr(r->text, "shutdown-command = {\"/usr/local/sbin/ups-off\", \"--now\"}\n"));
	check_note(r, "upsmon.conf", 1, "as user upsagent");
	CHECK(strstr(r->text, "\tcommand = {\"/usr/local/bin/notify\", \"me\"}\n"
			      "\tevents = {\"ONLINE\", \"ONBATT\"}\n"));
	check_note(r, "upsmon.conf", 4, "always logs ONLINE");
	check_note(r, "upsmon.conf", 5, "no NOPARENT event");
	check_note(r, "upsmon.conf", 6, "unknown event 'BOGUS'");
	check_note(r, "upsmon.conf", 7, "unknown flag 'LOUD'");
	CHECK(strstr(r->text, "wall = true\n\tevents = {\"ONBATT\", \"LOWBATT\", \"FSD\", \"COMMOK\""));
	upsmon_import_free(r);

	r = import("SHUTDOWNCMD \"echo $HOME; poweroff\"\nNOTIFYCMD \"logger -t ups\"\n"
		   "NOTIFYFLAG ONBATT EXEC\n");
	/* The message is the notify command's last argument, through the shell too. */
	CHECK(strstr(r->text, "command = {\"/bin/sh\", \"-c\", 'logger -t ups \"$1\"', "
			      "\"upsagent-notify\"}\n"));
	upsmon_import_free(r);

	r = import("SHUTDOWNCMD \"echo $HOME; poweroff\"\nNOTIFYCMD /bin/notify\n");
	CHECK(strstr(r->text, "shutdown-command = {\"/bin/sh\", \"-c\", 'echo $HOME; poweroff'}\n"));
	check_note(r, "upsmon.conf", 1, "through /bin/sh -c");
	check_note(r, "upsmon.conf", 2, "never ran it");
	CHECK(!strstr(r->text, "/bin/notify\"}"));
	upsmon_import_free(r);
}

static const char sched_upsmon[] = "MONITOR ups@nas 1 u p secondary\n"
				   "MONITOR other@nas 1 u p secondary\n"
				   "NOTIFYCMD /usr/sbin/upssched\n"
				   "NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\n"
				   "NOTIFYFLAG ONLINE SYSLOG+WALL+EXEC\n"
				   "NOTIFYFLAG LOWBATT SYSLOG+WALL+EXEC\n";

static void test_upssched(void)
{
	const char *script = "#!/bin/sh\ncase $1 in\n"
			     "  onbatt)\n    logger -t upssched \"on battery too long\"\n"
			     "    /usr/sbin/upsmon -c fsd\n    ;;\n"
			     "  lowbatt) logger low ;;\nesac\n";
	struct upsmon_import *r = import_full(sched_upsmon,
					      "CMDSCRIPT /usr/local/bin/upssched-cmd\n"
					      "PIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n"
					      "AT ONLINE * CANCEL-TIMER onbatt\n"
					      "AT ONBATT * START-TIMER onbatt 300\n"
					      "AT LOWBATT ups@nas START-TIMER lowbatt 30\n",
					      script);

	CHECK(strstr(r->text, "\ton-battery-max = 300\t# from upssched.conf\n"));
	check_note(r, "upssched.conf", 5, "on-battery-max = 300 in every ups section");
	check_note(r, "upssched.conf", 6, "kept: upssched still runs as a notify hook for LOWBATT");
	CHECK(strstr(r->text, "\tcommand = {\"/usr/sbin/upssched\"}\n\tevents = {\"LOWBATT\"}\n"));
	upsmon_import_free(r);

	/* Only one UPS, no cancel for the other timer, a branch that only logs. */
	r = import_full(sched_upsmon,
			"AT ONBATT ups@nas START-TIMER t1 120\nAT ONLINE ups@nas CANCEL-TIMER t1\n"
			"AT ONBATT * START-TIMER t2 60\nAT ONBATT * START-TIMER t3 60\n"
			"AT ONLINE * CANCEL-TIMER t3\nBOGUS 1\n",
			"case $1 in\nt1|x) systemctl poweroff ;;\nt2) poweroff;;\n\"t3\") logger hi ;;\nesac\n");
	CHECK(strstr(r->text, "ups ups {\n\tserver = \"nas\"\n\tuser = \"u\"\n"
			      "\tpassword-file = \"/etc/upsagent/ups.pw\"\n\trole = \"secondary\"\n"
			      "\tpower-value = 1\n\ton-battery-max = 120"));
	CHECK(!strstr(r->text, "on-battery-max = 60"));
	check_note(r, "upssched.conf", 3, "kept");
	check_note(r, "upssched.conf", 4, "kept");
	check_note(r, "upssched.conf", 5, "kept");
	check_note(r, "upssched.conf", 6, "unknown directive BOGUS");
	CHECK(strstr(r->text, "\tevents = {\"ONLINE\", \"ONBATT\"}\n"));
	upsmon_import_free(r);

	/* upssched.conf unreadable: upssched stays the hook. */
	r = import_full(sched_upsmon, NULL, NULL);
	check_note(r, "upsmon.conf", 3, "cannot be read (No such file or directory)");
	CHECK(strstr(r->text, "\tevents = {\"ONLINE\", \"ONBATT\", \"LOWBATT\"}\n"));
	upsmon_import_free(r);
}

int main(void)
{
	TEST_RUN(test_monitor);
	TEST_RUN(test_bad_monitor);
	TEST_RUN(test_globals);
	TEST_RUN(test_commands);
	TEST_RUN(test_upssched);
	return 0;
}
