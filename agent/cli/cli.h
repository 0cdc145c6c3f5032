/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What main.c and every verb share: how a usage error is said. */
#pragma once

#include <stdbool.h>

#include "macro.h"

/* The exit status for bad usage (a wrong option or argument). */
#define CLI_EXIT_USAGE 2

/* Prints "upsagent: <message>" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) _printf_(1, 2);

/* The options most verbs share, as verb_parse() read them. */
struct verb_args {
	const char *config; /* --config, or CONFIG_PATH_DEFAULT */
	const char *socket; /* --socket */
	bool dry_run, json;
	bool connect; /* --connect (check-config) */
	int first;    /* the first positional argument */
};

/* Reads the shared options of a verb; help is its --help text. 0, 1
 * (help printed: exit 0), or CLI_EXIT_USAGE (said). */
int verb_parse(int argc, char **argv, const char *help, struct verb_args *v);
