/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsmon.conf (and the upssched.conf its NOTIFYCMD may run) converted to an
 * upsagent.conf. Pure: parsed files in, the new file's text, its warnings
 * and the passwords to store out; "upsagent import-upsmon" (agent/import.c)
 * reads and writes the files.
 *
 * Every line that is not carried over, or whose meaning changes, becomes a
 * comment in the text (its password masked) and a note with FILE:LINE.
 * Passwords never appear in the text: each ups section names a
 * password-file under password_dir, and the caller writes them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "upsmonconf.h"

struct upsmon_import_in {
	const struct upsmonconf *conf;	/* upsmon.conf */
	const struct upsmonconf *sched; /* upssched.conf, NULL when not read */
	const char *sched_path;		/* where it was looked for, for messages */
	const char *sched_error;	/* why it could not be read, or NULL */
	const char *sched_script;	/* the text of its CMDSCRIPT, or NULL */
	const char *password_dir;	/* absolute, without a trailing '/' */
	const char *version;		/* for the header comment */
};

struct upsmon_password {
	char *section; /* the ups section it belongs to */
	char *path;    /* password_dir/SECTION.pw */
	char *password;
	unsigned line; /* of the MONITOR line */
};

struct upsmon_import {
	char *text; /* the upsagent.conf */
	struct upsmon_note *notes;
	size_t n_notes;
	struct upsmon_password *passwords;
	size_t n_passwords;
	size_t n_ups;	   /* ups sections written */
	char *script_path; /* upssched's CMDSCRIPT, which notes may name; or NULL */
};

/* 0 and a new result in *ret (free with upsmon_import_free()), or -ENOMEM. */
int upsmon_import(const struct upsmon_import_in *in, struct upsmon_import **ret);
/* NULL-safe; wipes the passwords; returns NULL. */
struct upsmon_import *upsmon_import_free(struct upsmon_import *r);

/* Whether upsmon.conf's NOTIFYCMD runs NUT's upssched, whose file is then worth reading. */
bool upsmon_import_uses_upssched(const struct upsmonconf *conf);
