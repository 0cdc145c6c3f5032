/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsagent import-upsd: NUT on the cable host (ups.conf, upsd.conf,
 * upsd.users, and its upsmon.conf when there is one) into one
 * upsagent.conf: the UPS read from USB by upsagent's own driver, served by
 * its own server to the same hosts with the same logins, and this host's
 * own monitoring as upsmon had it (lib/import/upsdimport.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import-files.h"
#include "import-upsd.h"
#include "log.h"
#include "upsdimport.h"

#define NUT_CONFDIR_DEFAULT  "/etc/nut"
#define PASSWORD_DIR_DEFAULT "/etc/upsagent"

static const char help[] =
    "Usage: upsagent import-upsd [OPTIONS] [NUT_CONFDIR]\n\n"
    "Convert NUT on the host with the UPS's cable (NUT_CONFDIR, default " NUT_CONFDIR_DEFAULT ":\n"
    "ups.conf, upsd.conf, upsd.users, and upsmon.conf when present) to one\n"
    "upsagent.conf: usbhid-ups UPSes read by upsagent's USB driver, served by its\n"
    "server to the same hosts with the same users (logins upsd took in plaintext\n"
    "stay possible for those users, warned), and this host's own monitoring.\n"
    "Every line not carried over, or whose meaning changes, is a warning FILE:LINE.\n\n"
    "  -o, --output FILE        write FILE instead of standard output\n"
    "  -f, --force              replace FILE and the password files if they exist\n"
    "      --password-dir DIR   where the password files go (default " PASSWORD_DIR_DEFAULT ")\n"
    "      --ca-file FILE       for upsmon.conf's other servers' probes\n"
    "      --offline            do not probe upsmon.conf's other servers\n";

/* Paths under NUT_CONFDIR. */
struct upsd_paths {
	char *ups, *upsd, *users, *upsmon, *upssched;
};

static int upsd_parse(int argc, char **argv, struct import_args *a, const char **dir)
{
	*a = (struct import_args){.password_dir = PASSWORD_DIR_DEFAULT};
	*dir = NUT_CONFDIR_DEFAULT;
	return import_args_parse(argc, argv, help, "directory", a, dir);
}

static int paths_make(const char *dir, struct upsd_paths *p)
{
	if (asprintf(&p->ups, "%s/ups.conf", dir) < 0 ||
	    asprintf(&p->upsd, "%s/upsd.conf", dir) < 0 ||
	    asprintf(&p->users, "%s/upsd.users", dir) < 0 ||
	    asprintf(&p->upsmon, "%s/upsmon.conf", dir) < 0 ||
	    asprintf(&p->upssched, "%s/upssched.conf", dir) < 0)
		return -ENOMEM;
	return 0;
}

static void paths_free(struct upsd_paths *p)
{
	free(p->ups);
	free(p->upsd);
	free(p->users);
	free(p->upsmon);
	free(p->upssched);
}

/* The parsed NUT files; each may be absent but ups.conf. */
struct nut_files {
	struct upsmonconf *ups, *upsd, *users;
	struct import_files mon; /* mon.conf NULL: no upsmon.conf */
	struct upsd_import_in in;
};

static void nut_files_free(struct nut_files *n)
{
	nut_sections_done(&n->in.ups);
	nut_sections_done(&n->in.users);
	upsmonconf_free(n->ups);
	upsmonconf_free(n->upsd);
	upsmonconf_free(n->users);
	import_files_free(&n->mon);
}

/* An optional file: absent is fine (NULL), anything else unreadable an error. */
static int optional_read(const char *path, struct upsmonconf **ret)
{
	const char *err = NULL;
	int r;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	r = import_conf_read(path, ret, &err);
	return r < 0 ? log_error_errno(r, "%s: cannot read: %s", path, err) : 0;
}

static int nut_read(const struct import_args *a, const struct upsd_paths *p, struct nut_files *n)
{
	const char *err = NULL;
	int r = import_conf_read(p->ups, &n->ups, &err);

	if (r < 0)
		return log_error_errno(r, "%s: cannot read: %s", p->ups, err);
	if ((r = optional_read(p->upsd, &n->upsd)) < 0 ||
	    (r = optional_read(p->users, &n->users)) < 0 ||
	    (r = optional_read(p->upsmon, &n->mon.conf)) < 0)
		return r;
	if (n->mon.conf && upsmon_import_uses_upssched(n->mon.conf) &&
	    (r = import_sched_read(a, &n->mon)) < 0)
		return r;
	n->in = (struct upsd_import_in){.ups_path = p->ups,
					.upsd = n->upsd,
					.users_path = n->users ? p->users : NULL,
					.password_dir = a->password_dir};
	r = nut_sections_read(n->ups, &n->in.ups);
	if (r >= 0 && n->users)
		r = nut_sections_read(n->users, &n->in.users);
	if (r >= 0 && !n->users)
		log_warning("%s: warning: absent: nobody can log in to the server", p->users);
	return r < 0 ? log_error_errno(r, "out of memory") : 0;
}

/* This host's own monitoring: upsmon.conf imported with the local UPSes. */
static int upsmon_part(const struct import_args *a, struct nut_files *n,
		       const struct upsd_import *u, struct upsmon_import **res)
{
	struct upsmon_import_in in = {.conf = n->mon.conf,
				      .sched = n->mon.sched,
				      .sched_path = a->upssched,
				      .sched_error = n->mon.sched_error,
				      .sched_script = n->mon.script,
				      .password_dir = a->password_dir,
				      .version = UPSAGENT_VERSION,
				      .local = u->local,
				      .n_local = u->n_local};
	int r;

	if (!n->mon.conf)
		return 0;
	r = upsmon_import(&in, res);
	if (r < 0)
		return log_error_errno(r, "out of memory");
	return import_probed(a, &in, res);
}

/* Without upsmon.conf this host watched nothing: it must not start shutting down now. */
static const char no_upsmon[] =
    "# upsagent.conf converted from NUT's ups.conf, upsd.conf and upsd.users by\n"
    "# \"upsagent import-upsd\" (upsagent " UPSAGENT_VERSION "). There was no upsmon.conf:\n"
    "# this host did not shut down on its UPS, and does not now (min-supplies = 0).\n"
    "# To be protected, give its ups section power-value = 1 and remove this line.\n"
    "min-supplies = 0\n";

static const char upsd_header[] =
    "# The cable host's NUT (ups.conf, upsd.conf, upsd.users) converted by \"upsagent\n"
    "# import-upsd\": its own UPS and server below; its upsmon.conf first.\n";

static int combine(const struct upsd_import *u, const struct upsmon_import *res, char **text)
{
	char *unwatched = upsd_import_unwatched(u, res);
	int r;

	if (!unwatched)
		return -ENOMEM;
	r = asprintf(text, "%s%s%s%s", res ? upsd_header : "", res ? res->text : no_upsmon,
		     unwatched, u->serve_text ? u->serve_text : "");
	free(unwatched);
	return r < 0 ? -ENOMEM : 0;
}

static void plaintext_say(const struct upsd_import *u)
{
	for (size_t i = 0; u->plaintext_users && u->plaintext_users[i]; i++)
		log_warning("user %s still logs in in plaintext, as upsd allowed: move that host "
			    "to STARTTLS (upsagent check-config lists what its upsmon.conf needs)",
			    u->plaintext_users[i]);
}

static int upsd_run(const struct import_args *a, struct nut_files *n)
{
	struct upsd_import *u = NULL;
	struct upsmon_import *res = NULL;
	char *text = NULL;
	int r = upsd_import(&n->in, &u);

	if (r < 0)
		return log_error_errno(r, "out of memory");
	r = upsmon_part(a, n, u, &res);
	if (r >= 0 && (r = combine(u, res, &text)) < 0)
		log_error("out of memory");
	if (r >= 0) {
		const struct import_output o = {
		    .text = text,
		    .passwords = {res ? res->passwords : NULL, u->passwords},
		    .n_passwords = {res ? res->n_passwords : 0, u->n_passwords}};

		import_notes_log(n->ups->notes, n->ups->n_notes);
		import_notes_log(u->notes, u->n_notes);
		if (res)
			import_notes_log(res->notes, res->n_notes);
		plaintext_say(u);
		r = import_output_write(a, &o);
	}
	if (r >= 0 && a->output)
		log_info("%s: %zu UPS served, %zu user(s); check it with: upsagent check-config "
			 "--connect %s, then stop NUT (nut-server, nut-monitor) and start upsagent",
			 a->output, u->n_served, u->n_passwords, a->output);
	free(text);
	upsmon_import_free(res);
	upsd_import_free(u);
	return r;
}

int verb_import_upsd(int argc, char **argv)
{
	struct upsd_paths p = {0};
	struct nut_files n = {0};
	struct import_args a;
	const char *dir;
	int r = upsd_parse(argc, argv, &a, &dir);

	if (r)
		return r == 1 ? 0 : r;
	r = paths_make(dir, &p);
	if (r < 0) {
		paths_free(&p);
		return log_error_errno(r, "out of memory"), 1;
	}
	a.input = p.upsmon;
	a.upssched = p.upssched;
	r = nut_read(&a, &p, &n);
	if (r >= 0)
		r = upsd_run(&a, &n);
	nut_files_free(&n);
	paths_free(&p);
	return r < 0 ? 1 : 0;
}
