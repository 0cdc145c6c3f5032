/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file side shared by import-upsmon and import-upsd: NUT's files read
 * (text only, bounded), what the import writes put in place all or nothing
 * (each file staged beside its place, then renamed), and the probes' effect
 * on an upsmon.conf import.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "upsmonconf.h"
#include "upsmonimport.h"

/* What both imports are told on the command line. */
struct import_args {
	const char *input, *output, *password_dir, *upssched, *ca_file;
	bool force, offline;
};

/*
 * The command line both imports share: -o, --force, --password-dir,
 * --ca-file, --offline, --help (and import-upsmon's --upssched, kept in
 * a->upssched only when a->upssched is set beforehand), and one optional
 * argument (what: "file", "directory") into *arg. a and *arg hold the
 * defaults. 0, 1 (help printed) or CLI_EXIT_USAGE (said).
 */
int import_args_parse(int argc, char **argv, const char *help, const char *what,
		      struct import_args *a, const char **arg);

/* A whole text file of at most UPSMONCONF_TEXT_MAX bytes into *ret (freed
 * by the caller); -errno. */
int import_text_read(const char *path, char **ret, size_t *len);
/* A sentence for import_text_read()'s and upsmonconf_parse()'s errors. */
const char *import_read_error(int r);
/* A parsed file; *err (static text) says why it could not be read. */
int import_conf_read(const char *path, struct upsmonconf **ret, const char **err);

/* upsmon.conf with the upssched.conf and CMDSCRIPT it may run. */
struct import_files {
	struct upsmonconf *conf, *sched;
	char *script;
	const char *sched_error;
};
void import_files_free(struct import_files *f);
/* upssched.conf and its CMDSCRIPT: missing or unreadable is a warning (its
 * timers stay with upssched); there but not text is an error, -EBADMSG. */
int import_sched_read(const struct import_args *a, struct import_files *f);

/* Every note as a warning FILE:LINE. */
void import_notes_log(const struct upsmon_note *notes, size_t n);

/* What an import writes: the configuration (stdout without a->output) and
 * the password files of one or more lists. */
struct import_output {
	const char *text;
	const struct upsmon_password *passwords[2];
	size_t n_passwords[2];
};
/* All of it or nothing; without --force, no file is replaced. 0 or -errno (logged). */
int import_output_write(const struct import_args *a, const struct import_output *o);

/*
 * Probes the servers of an import (unless a->offline) and imports again
 * with what each offers, into *res. A server that cannot be read is an
 * error (logged, -EHOSTUNREACH): nothing must be written then.
 */
int import_probed(const struct import_args *a, struct upsmon_import_in *in,
		  struct upsmon_import **res);
