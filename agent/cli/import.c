/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsagent import-upsmon: the file side of lib/import. Reads upsmon.conf
 * (and upssched.conf with its CMDSCRIPT when NOTIFYCMD runs upssched),
 * probes every MONITOR's server (import-probe.h) unless --offline, and
 * writes the new configuration to stdout or -o FILE and each password to
 * its own 0600 file: all of them or none (each is written beside its place
 * first, then renamed), never replacing a file without --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "import-files.h"
#include "import.h"
#include "log.h"
#include "upsmonimport.h"

#define UPSMON_CONF_DEFAULT   "/etc/nut/upsmon.conf"
#define UPSSCHED_CONF_DEFAULT "/etc/nut/upssched.conf"
#define PASSWORD_DIR_DEFAULT  "/etc/upsagent"

static const char help[] =
    "Usage: upsagent import-upsmon [OPTIONS] [UPSMON.CONF]\n\n"
    "Convert NUT's upsmon.conf (default " UPSMON_CONF_DEFAULT ") to an upsagent.conf.\n"
    "Every line not carried over, or whose meaning changes, is a comment in the\n"
    "output and a warning FILE:LINE. Passwords go to DIR/NAME.pw (mode 0600).\n\n"
    "  -o, --output FILE        write FILE instead of standard output\n"
    "  -f, --force              replace FILE and the password files if they exist\n"
    "      --password-dir DIR   where the password files go (default " PASSWORD_DIR_DEFAULT ")\n"
    "      --upssched FILE      upssched.conf, read when NOTIFYCMD runs upssched\n"
    "                           (default " UPSSCHED_CONF_DEFAULT ")\n"
    "      --ca-file FILE       the CA that signs the servers' certificates (default:\n"
    "                           the system's trust store)\n"
    "      --offline            do not probe the servers (every ups section then\n"
    "                           requires verified STARTTLS; check-config --connect\n"
    "                           tells whether that works)\n\n"
    "Each MONITOR's server is probed first (connect, STARTTLS, verify, log in,\n"
    "read ups.status) and its section written as what works: verified TLS; a\n"
    "certificate upsmon did not verify (CERTVERIFY 0) pinned by its key; no TLS\n"
    "at all as tls = \"off\", warned. A server that cannot be read is an error\n"
    "and nothing is written.\n";

static int import_parse(int argc, char **argv, struct import_args *a)
{
	*a = (struct import_args){.input = UPSMON_CONF_DEFAULT,
				  .password_dir = PASSWORD_DIR_DEFAULT,
				  .upssched = UPSSCHED_CONF_DEFAULT};
	return import_args_parse(argc, argv, help, "file", a, &a->input);
}

static int import_run(const struct import_args *a, struct import_files *f)
{
	const char *err = NULL;
	struct upsmon_import *res = NULL;
	struct upsmon_import_in in = {.sched_path = a->upssched,
				      .password_dir = a->password_dir,
				      .version = UPSAGENT_VERSION};
	int r = import_conf_read(a->input, &f->conf, &err);

	if (r < 0)
		return log_error_errno(r, "%s: cannot read: %s", a->input,
				       err ? err : strerror(-r));
	if (upsmon_import_uses_upssched(f->conf) && (r = import_sched_read(a, f)) < 0)
		return r;
	in.conf = f->conf;
	in.sched = f->sched;
	in.sched_error = f->sched_error;
	in.sched_script = f->script;
	if ((r = upsmon_import(&in, &res)) < 0)
		return log_error_errno(r, "out of memory");
	r = import_probed(a, &in, &res);
	if (r >= 0) {
		const struct import_output o = {.text = res->text,
						.passwords = {res->passwords},
						.n_passwords = {res->n_passwords}};

		import_notes_log(res->notes, res->n_notes);
		r = import_output_write(a, &o);
	}
	if (r >= 0 && a->output)
		log_info(
		    "%s: %zu ups section(s), %zu password file(s) in %s, %zu warning(s); check "
		    "it with: upsagent check-config --connect %s",
		    a->output, res->n_ups, res->n_passwords, a->password_dir, res->n_notes,
		    a->output);
	upsmon_import_free(res);
	return r;
}

int verb_import_upsmon(int argc, char **argv)
{
	struct import_files f = {0};
	struct import_args a;
	int r = import_parse(argc, argv, &a);

	if (r)
		return r == 1 ? 0 : r;
	r = import_run(&a, &f);
	import_files_free(&f);
	return r < 0 ? 1 : 0;
}
