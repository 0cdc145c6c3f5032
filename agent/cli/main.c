/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent: the command line. Each verb is a module of its own (its .h says what it does). */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "import-upsd.h"
#include "import.h"
#include "killpower.h"
#include "log.h"
#include "query.h"
#include "test-event.h"
#include "usb.h"
#include "verbs.h"

#ifndef UPSAGENT_VERSION
#define UPSAGENT_VERSION "unknown"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
    {"run", verb_run, "watch the configured UPSes and shut the host down in time"},
    {"status", verb_status, "ask the running daemon how each UPS stands"},
    {"reload", verb_reload, "check the configuration, have the daemon reload it, wait"},
    {"test-event", verb_test_event, "run the notify hooks of an event, as for a real one"},
    {"check-config", verb_check_config, "check a configuration file"},
    {"fsd", verb_fsd, "have the daemon shut the host down now (as upsmon -c fsd)"},
    {"query", verb_query, "read a UPS's variables from a UPS server"},
    {"usb", verb_usb, "list the UPSes on USB, decode a HID report descriptor"},
    {"killpower", verb_killpower, "tell a USB UPS to cut its output (system-shutdown hook)"},
    {"import-upsmon", verb_import_upsmon, "convert NUT's upsmon.conf to an upsagent.conf"},
    {"import-upsd", verb_import_upsd, "convert NUT on the cable host (ups.conf, upsd.conf...)"},
};

static void help(void)
{
	printf("Usage: upsagent VERB [OPTIONS] ...\n\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-14s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n'upsagent VERB --help' describes each verb; man upsagent(8) has the rest.\n");
}

int main(int argc, char **argv)
{
	/* No core dumps and no ptrace by other processes of the same user:
	 * the memory may hold a password between reading and sending it. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	log_open();
	if (argc < 2)
		return cli_usage_error("no verb given; see 'upsagent --help'");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return 0;
	}
	/* The spelling administrators know from other daemons. */
	if (strcmp(argv[1], "--check-config") == 0)
		return verb_check_config(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("upsagent %s\n", UPSAGENT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	return cli_usage_error("unknown verb '%s'; see 'upsagent --help'", argv[1]);
}
