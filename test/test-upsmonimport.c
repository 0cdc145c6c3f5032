/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsmon.conf (and upssched.conf) into upsagent.conf text, notes and passwords. */
#include <errno.h>

#include "macro.h"
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
	CHECK(strstr(r->text,
		     "ups rack {\n\tserver = \"nas.lan\"\n\tupsname = \"rack@nas.lan\"\t# "
		     "UPSNAME for the notify commands, as upsmon gave it\n\tuser = \"monuser\"\n"
		     "\tpassword-file = \"/etc/upsagent/rack.pw\"\n\trole = \"secondary\"\n"
		     "\tpower-value = 1\n}"));
	CHECK(strstr(r->text,
		     "ups rack-other {\n\tserver = \"other\"\n\tport = 3494\n\tups = \"rack\"\n"
		     "\tupsname = \"rack@other:3494\"\t"));
	CHECK(strstr(r->text, "\tupsname = \"desk@[::1]:3493\"\t"));
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

	CHECK_INT(r->n_ups, 2); /* ok@h, and line 2 as a secondary */
	check_note(r, "upsmon.conf", 1,
		   "missing the user (SYSTEM POWERVALUE PASSWORD ROLE is upsmon's old form");
	check_note(r, "upsmon.conf", 2, "'boss' is neither primary nor secondary");
	check_note(r, "upsmon.conf", 3, "is not UPS@HOST[:PORT]");
	check_note(r, "upsmon.conf", 4, "power value 'x'");
	check_note(r, "upsmon.conf", 5, "missing the role (primary or secondary)");
	check_note(r, "upsmon.conf", 6, "not one plain word");
	check_note(r, "upsmon.conf", 7, "unknown directive MONITR");
	check_note(r, "upsmon.conf", 9, "already watched (line 8)");
	check_note(r, "upsmon.conf", 10, "a quoted string is not closed");
	/* Comments echo the lines, passwords masked. */
	CHECK(strstr(r->text, "# upsmon.conf:2: MONITOR ups@h 1 user ******** boss\n"));
	CHECK(!strstr(r->text, " pw2"));
	check_note(r, "upsmon.conf", 9, "ok@H:3493 is already watched");
	CHECK(strstr(r->text,
		     "\trole = \"secondary\"\t# upsmon took any other word for secondary\n"));
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
	check_note(r, "upsmon.conf", 12, "carried over as messages = {\"ONBATT=...\"}");
	CHECK(strstr(r->text, "\tmessages = {\"ONBATT=on battery!\"}\t# NOTIFYMSG\n"));
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
	/* upsmon drops LOUD and keeps SYSLOG: FSD is no longer walled. */
	check_note(r, "upsmon.conf", 7, "unknown flag 'LOUD' dropped, as upsmon drops it");
	CHECK(strstr(r->text, "wall = true\n\tevents = {\"ONBATT\", \"LOWBATT\", \"COMMOK\""));
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
	CHECK(strstr(r->text,
		     "ups ups {\n\tserver = \"nas\"\n\tupsname = \"ups@nas\"\t# UPSNAME for the "
		     "notify commands, as upsmon gave it\n\tuser = \"u\"\n"
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

/* Whether some note of file mentions what. */
static bool has_note(const struct upsmon_import *r, const char *file, const char *what)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (strcmp(r->notes[i].file, file) == 0 && strstr(r->notes[i].text, what))
			return true;
	return false;
}

static const char branch_upsmon[] = "MONITOR ups@nas 1 u p secondary\n"
				    "NOTIFYCMD /usr/sbin/upssched\n"
				    "NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\n"
				    "NOTIFYFLAG ONLINE SYSLOG+WALL+EXEC\n";
static const char branch_sched[] = "CMDSCRIPT /usr/local/bin/cmd\n"
				   "AT ONBATT * START-TIMER t 30\n"
				   "AT ONLINE * CANCEL-TIMER t\n";

/* A timer becomes on-battery-max only when its branch plainly powers this host off. */
static void test_script_branches(void)
{
	static const struct {
		const char *script;
		unsigned line; /* 0: converted */
		const char *why;
	} cases[] = {
	    {"#!/bin/sh\ncase $1 in\n  t)\n    logger -t ups \"on battery: shutdown\"\n"
	     "    /sbin/upsmon -c fsd\n    ;;\n  *) logger \"$1\" ;;\nesac\n",
	     0, NULL},
	    {"case \"$1\" in\n\"t\"|other) shutdown -P now ;;\nesac\n", 0, NULL},
	    {"case $1 in\n(t) sudo systemctl poweroff >/dev/null 2>&1;;\nesac\n", 0, NULL},
	    {"case $1 in\nt) echo down | mail -s ups root; wall \"bye\"; poweroff; exit 0 "
	     ";;\nesac\n",
	     0, NULL},
	    {"case $1 in\nt) shutdown now ;;\nesac\n", 0, NULL},
	    /* The Proxmox host: only below 55 %. */
	    {"case $1 in\nt)\n  if [ $(upsc ups battery.charge) -le 55 ]; then\n    upsmon -c fsd\n"
	     "  fi\n  ;;\nesac\n",
	     3, "is conditional"},
	    {"case $1 in\nt) ssh nas poweroff ;;\nesac\n", 2, "on another host (ssh)"},
	    {"case $1 in\nt)\n  # upsmon -c fsd\n  logger on battery\n  ;;\nesac\n", 3,
	     "only has its shutdown in a comment"},
	    {"case $1 in\nt) logger \"on battery: run upsmon -c fsd by hand\" ;;\nesac\n", 2,
	     "only mentions a shutdown in a message"},
	    {"case $1 in\nt) test -f /etc/ups-off && upsmon -c fsd ;;\nesac\n", 2,
	     "is conditional"},
	    {"case $1 in\nt) [ -f /x ] || poweroff ;;\nesac\n", 2, "is conditional"},
	    {"[ \"$UPSNAME\" = a ] || exit 0\ncase $1 in\nt) poweroff ;;\nesac\n", 1,
	     "may exit before its case statement"},
	    {"logger \"$1\"\n", 0, "has no case branch"},
	    {"case $1 in\nt) shutdown -r now ;;\nesac\n", 2, "neither a plain power-off"},
	    {"case $1 in\nt) shutdown -h +5 ;;\nesac\n", 2, "neither a plain power-off"},
	    {"case $1 in\nt) $UPSMON -c fsd ;;\nesac\n", 2, "neither a plain power-off"},
	    {"case $1 in\nt) exit 0; poweroff ;;\nesac\n", 2, "exits before it shuts down"},
	    {"case $1 in\nt) poweroff & ;;\nesac\n", 2, "in the background"},
	    {"case $2 in\nx) case $1 in\n t) poweroff ;;\n esac ;;\nesac\n", 3,
	     "inside another case statement"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct upsmon_import *r = import_full(branch_upsmon, branch_sched, cases[i].script);
		char where[64];

		fprintf(stderr, "   case %zu\n", i);
		if (!cases[i].why) {
			CHECK(strstr(r->text, "\ton-battery-max = 30\t# from upssched.conf\n"));
			check_note(r, "upssched.conf", 2, "only powers this host off");
			/* Nothing is left for upssched: its script is not run any more. */
			CHECK(!has_note(r, "/usr/local/bin/cmd", "upsagent fsd"));
			CHECK(!strstr(r->text, "/usr/sbin/upssched\"}"));
		} else {
			CHECK(!strstr(r->text, "on-battery-max"));
			snprintf(where, sizeof(where), "CMDSCRIPT /usr/local/bin/cmd:%u",
				 cases[i].line);
			check_note(r, "upssched.conf", 2, where);
			check_note(r, "upssched.conf", 2, cases[i].why);
			check_note(r, "upssched.conf", 2,
				   "when in doubt, the old mechanism is kept");
			CHECK(strstr(r->text, "\tcommand = {\"/usr/sbin/upssched\"}\n"));
		}
		upsmon_import_free(r);
	}
}

/* Every "upsmon -c fsd" of a script upssched still runs is named, with its replacement. */
static void test_script_fsd(void)
{
	const char *script = "case $1 in\nt)\n  if [ -f /x ]; then\n    upsmon -c fsd\n  fi ;;\n"
			     "u) /sbin/upsmon  -c fsd >/dev/null ;;\n"
			     "v) # upsmon -c fsd\n  logger \"or run upsmon -c fsd\" ;;\nesac\n";
	struct upsmon_import *r = import_full(branch_upsmon, branch_sched, script);

	check_note(r, "/usr/local/bin/cmd", 4, "write \"upsagent fsd\" instead");
	check_note(r, "/usr/local/bin/cmd", 6, "upsagent fsd");
	check_note(r, "/usr/local/bin/cmd", 8, "upsagent fsd");
	for (size_t i = 0; i < r->n_notes; i++)
		CHECK(r->notes[i].line != 7 || strcmp(r->notes[i].file, "/usr/local/bin/cmd") != 0);
	/* The CMDSCRIPT's notes come after upssched.conf's. */
	CHECK(strstr(r->text, "# upssched.conf:3:") < strstr(r->text, "# /usr/local/bin/cmd:4:"));
	upsmon_import_free(r);
}

/* An AT line for an event without EXEC never fired: not "kept". */
static void test_sched_needs_exec(void)
{
	struct upsmon_import *r =
	    import_full("MONITOR ups@nas 1 u p secondary\n"
			"NOTIFYCMD /usr/sbin/upssched\n"
			"NOTIFYFLAG ONBATT EXEC\n",
			"AT LOWBATT * EXECUTE low\nAT ONBATT * START-TIMER t 30\n"
			"AT ONLINE * CANCEL-TIMER t\n",
			"case $1 in\nt) poweroff ;;\nesac\n");

	check_note(r, "upssched.conf", 1, "upsmon never ran upssched for LOWBATT");
	/* ONLINE without EXEC: upssched never cancelled the timer; keep it as it was. */
	check_note(r, "upssched.conf", 2, "kept: upssched still runs as a notify hook for ONBATT");
	check_note(r, "upssched.conf", 2, "never cancelled");
	CHECK(!strstr(r->text, "on-battery-max"));
	CHECK(strstr(r->text, "\tcommand = {\"/usr/sbin/upssched\"}\n\tevents = {\"ONBATT\"}\n"));
	upsmon_import_free(r);
}

static void test_roles_and_flags(void)
{
	struct upsmon_import *r = import("MONITOR a@h 1 u p MASTER\nMONITOR b@h 1 u p Slave\n"
					 "MONITOR c@h 1 u p Primary\n"
					 "NOTIFYCMD /bin/notify\n"
					 "NOTIFYFLAG onbatt SYSLOG+BAD+EXEC+WALL\n"
					 "NOTIFYFLAG shutdown_hostsync SYSLOG+WALL+EXEC\n"
					 "NOTIFYFLAG ONLINE IGNORE\nNOTIFYFLAG COMMOK IGNORE\n"
					 "NOTIFYFLAG LOWBATT SYSLOG+IGNORE+WALL\n");
	size_t ignore_notes = 0;

	CHECK(strstr(r->text, "ups a {\n\tserver = \"h\"\n\tupsname = \"a@h\"\t"));
	CHECK(strstr(r->text, "\tpassword-file = \"/etc/upsagent/a.pw\"\n\trole = \"primary\"\n"));
	CHECK(
	    strstr(r->text, "\tpassword-file = \"/etc/upsagent/b.pw\"\n\trole = \"secondary\"\n"));
	CHECK(strstr(r->text, "\tpassword-file = \"/etc/upsagent/c.pw\"\n\trole = \"primary\"\n"));
	CHECK(!has_note(r, "upsmon.conf", "neither primary"));
	/* One bad flag token drops only itself. */
	check_note(r, "upsmon.conf", 5, "unknown flag 'BAD' dropped");
	CHECK(!has_note(r, "upsmon.conf", "unknown event"));
	CHECK(strstr(r->text, "\tcommand = {\"/bin/notify\"}\n\tevents = {\"ONBATT\", "
			      "\"SHUTDOWN_HOSTSYNC\"}\n"));
	/* IGNORE: one line for all, at the first; upsmon did nothing else for them. */
	for (size_t i = 0; i < r->n_notes; i++)
		ignore_notes += strstr(r->notes[i].text, "(IGNORE:") != NULL;
	CHECK_INT(ignore_notes, 1);
	check_note(r, "upsmon.conf", 7, "always logs ONLINE, LOWBATT, COMMOK to the journal");
	CHECK(strstr(r->text, "wall = true\n\tevents = {\"ONBATT\", \"FSD\", \"COMMBAD\""));
	upsmon_import_free(r);

	/* upsmon's default flags wall SHUTDOWN_HOSTSYNC too. */
	r = import("MONITOR a@h 1 u p secondary\nNOTIFYFLAG ONLINE SYSLOG\n");
	CHECK(strstr(r->text, "\"NOTOTHER\", \"SHUTDOWN_HOSTSYNC\"}\n"));
	upsmon_import_free(r);
}

static void test_intervals(void)
{
	struct upsmon_import *r = import("MONITOR a@h 1 u p secondary\nPOLLFREQ 3\n"
					 "NOCOMMWARNTIME 0\nRBWARNTIME 0\nPOLLFREQALERT 3\n");

	CHECK(strstr(r->text, "nocomm-warn-time = 3\t# upsmon's 0: at every poll\n"
			      "rb-warn-time = 3\t# upsmon's 0: at every poll\n"));
	check_note(r, "upsmon.conf", 3, "NOCOMMWARNTIME 0 made upsmon warn at every poll");
	check_note(r, "upsmon.conf", 4, "RBWARNTIME 0");
	CHECK(!has_note(r, "upsmon.conf", "polls every poll-interval"));
	upsmon_import_free(r);

	r = import("MONITOR a@h 1 u p secondary\nPOLLFREQALERT 5\n");
	CHECK(!has_note(r, "upsmon.conf", "polls every poll-interval")); /* both 5 by default */
	upsmon_import_free(r);
	r = import("MONITOR a@h 1 u p secondary\nPOLLFREQALERT 2\n");
	check_note(r, "upsmon.conf", 2, "polls every poll-interval (5 s)");
	upsmon_import_free(r);
}

static void test_shutdown_commands(void)
{
	static const char *const poweroffs[] = {
	    "SHUTDOWNCMD \"shutdown now\"\n",	      "SHUTDOWNCMD \"/sbin/shutdown -P now\"\n",
	    "SHUTDOWNCMD \"systemctl poweroff\"\n",   "SHUTDOWNCMD \"poweroff\"\n",
	    "SHUTDOWNCMD \"/sbin/shutdown -h +0\"\n",
	};
	struct upsmon_import *r;

	for (size_t i = 0; i < ELEMENTSOF(poweroffs); i++) {
		r = import(poweroffs[i]);
		check_note(r, "upsmon.conf", 1, "through systemd-logind");
		CHECK(!strstr(r->text, "\nshutdown-command"));
		upsmon_import_free(r);
	}
	r = import("SHUTDOWNCMD \"/sbin/shutdown -r now\"\n");
	CHECK(strstr(r->text, "shutdown-command = {\"/sbin/shutdown\", \"-r\", \"now\"}\n"));
	upsmon_import_free(r);

	/* "": upsmon ran nothing; never a silent switch to PowerOff. */
	r = import("MONITOR a@h 1 u p secondary\nMINSUPPLIES 1\nSHUTDOWNCMD \"\"\n");
	CHECK(strstr(r->text, "\nmin-supplies = 0\n"));
	CHECK(!strstr(r->text, "min-supplies = 1"));
	CHECK(!strstr(r->text, "systemd-logind"));
	CHECK(!strstr(r->text, "shutdown-command"));
	check_note(r, "upsmon.conf", 3,
		   "only watches and notifies: min-supplies = 0 replaces "
		   "MINSUPPLIES, never a power-off");
	CHECK(!has_note(r, "upsmon.conf", "As primary"));
	upsmon_import_free(r);
	r = import("MONITOR a@h 1 u p primary\nSHUTDOWNCMD \"\"\n");
	check_note(r, "upsmon.conf", 2, "As primary, upsmon still set FSD");
	upsmon_import_free(r);
}

static void test_powerdownflag(void)
{
	struct upsmon_import *r = import("MONITOR a@localhost 1 u p primary\n"
					 "POWERDOWNFLAG /etc/killpower\n");

	check_note(r, "upsmon.conf", 2, "upsdrvctl shutdown");
	check_note(r, "upsmon.conf", 2, "driver = \"usb\"");
	upsmon_import_free(r);
	r = import("MONITOR a@nas 1 u p secondary\nPOWERDOWNFLAG /etc/killpower\n");
	check_note(r, "upsmon.conf", 2, "not carried over: upsagent writes its own flag");
	upsmon_import_free(r);
}

static void test_certhost_port(void)
{
	struct upsmon_import *r =
	    import("MONITOR a@nas:3494 1 u p secondary\n"
		   "MONITOR b@nas 1 u p secondary\n"
		   "CERTHOST nas:3494 ups-a.example 1 1\n"
		   "CERTHOST nas ups-b.example 1 1\nCERTHOST nas:9 x.example 1 1\n");

	CHECK(strstr(r->text,
		     "ups a {\n\tserver = \"nas\"\n\tport = 3494\n\tupsname = \"a@nas:3494\""));
	CHECK(strstr(r->text, "\tserver-name = \"ups-a.example\"\n\tuser = \"u\"\n"
			      "\tpassword-file = \"/etc/upsagent/a.pw\""));
	CHECK(strstr(r->text, "\tserver-name = \"ups-b.example\"\n\tuser = \"u\"\n"
			      "\tpassword-file = \"/etc/upsagent/b.pw\""));
	check_note(r, "upsmon.conf", 5, "no MONITOR line names the host nas on port 9");
	upsmon_import_free(r);
}

static void test_notifymsg(void)
{
	struct upsmon_import *r = import("MONITOR a@h 1 u p secondary\nNOTIFYCMD /bin/notify\n"
					 "NOTIFYFLAG LOWBATT SYSLOG+WALL+EXEC\n"
					 "NOTIFYMSG ONBATT \"UPS %s on battery\"\n"
					 "NOTIFYMSG lowbatt \"Battery of %s low: 50%% $HOME\"\n"
					 "NOTIFYMSG ONLINE \"%d\"\nNOTIFYMSG NOPARENT \"x\"\n");

	/* upsmon's own text: nothing to say. */
	CHECK(!has_note(r, "upsmon.conf", "ONBATT"));
	check_note(r, "upsmon.conf", 5,
		   "carried over as messages = {\"LOWBATT=...\"} in the notify "
		   "sections that wall and run it");
	CHECK(strstr(r->text,
		     "\tmessages = {'LOWBATT=Battery of %s low: 50%% $HOME'}\t# NOTIFYMSG\n}"));
	check_note(r, "upsmon.conf", 6, "only \"%s\" and \"%%\"");
	check_note(r, "upsmon.conf", 7, "no NOPARENT event");
	upsmon_import_free(r);
}

static void test_not_text(void)
{
	struct upsmonconf *c = NULL;

	/* Binary junk is refused whole: the caller exits 1 and writes nothing. */
	CHECK_INT(upsmonconf_parse("j", "MONITOR a@h 1 u p primary\n\x01\x02junk\n", 33, &c),
		  -EBADMSG);
	CHECK_INT(upsmonconf_parse("j", "MONITOR a@h 1 u p primary\0", 26, &c), -EBADMSG);
	CHECK(c == NULL);
}

int main(void)
{
	TEST_RUN(test_monitor);
	TEST_RUN(test_bad_monitor);
	TEST_RUN(test_globals);
	TEST_RUN(test_commands);
	TEST_RUN(test_upssched);
	TEST_RUN(test_script_branches);
	TEST_RUN(test_script_fsd);
	TEST_RUN(test_sched_needs_exec);
	TEST_RUN(test_roles_and_flags);
	TEST_RUN(test_intervals);
	TEST_RUN(test_shutdown_commands);
	TEST_RUN(test_powerdownflag);
	TEST_RUN(test_certhost_port);
	TEST_RUN(test_notifymsg);
	TEST_RUN(test_not_text);
	return 0;
}
