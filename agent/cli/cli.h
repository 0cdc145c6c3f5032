/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verbs of the upsagent command line; each returns the exit status. */
#pragma once

#include "macro.h"

/* Prints "upsagent: <message>" and returns 2, the exit status for bad usage. */
int cli_usage_error(const char *fmt, ...) _printf_(1, 2);

int verb_query(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_reload(int argc, char **argv);
int verb_test_event(int argc, char **argv);
int verb_check_config(int argc, char **argv);
int verb_usb(int argc, char **argv);	   /* usb.c */
int verb_killpower(int argc, char **argv); /* killpower.c */
int verb_import_upsmon(int argc, char **argv); /* import.c */
