/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file side of the imports (import-files.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "import-files.h"
#include "import-probe.h"
#include "log.h"
#include "macro.h"

/* The daemon's user (etc/upsagent.sysusers), given its password files. */
#define DAEMON_USER "upsagent"

int import_args_parse(int argc, char **argv, const char *help, const char *what,
		      struct import_args *a, const char **arg)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"password-dir", required_argument, NULL, 'p'},
	    {"upssched", required_argument, NULL, 's'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"offline", no_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool upssched = a->upssched != NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "o:fh", options, NULL)) >= 0) {
		if (opt == 'o')
			a->output = optarg;
		else if (opt == 'f')
			a->force = true;
		else if (opt == 'p')
			a->password_dir = optarg;
		else if (opt == 's' && upssched)
			a->upssched = optarg;
		else if (opt == 'C')
			a->ca_file = optarg;
		else if (opt == 'O')
			a->offline = true;
		else if (opt == 'h')
			return fputs(help, stdout), 1;
		else
			return cli_usage_error("see 'upsagent %s --help'", argv[0]);
	}
	if (argc - optind > 1)
		return cli_usage_error("%s takes one %s", argv[0], what);
	if (optind < argc)
		*arg = argv[optind];
	if (a->password_dir[0] != '/')
		return cli_usage_error("--password-dir must be an absolute path");
	if (a->ca_file && a->ca_file[0] != '/')
		return cli_usage_error("--ca-file must be an absolute path: the configuration "
				       "names it");
	if (a->ca_file && a->offline)
		return cli_usage_error("--ca-file is for the probes, which --offline skips");
	return 0;
}

/* A whole text file of at most UPSMONCONF_TEXT_MAX bytes; -errno. */
int import_text_read(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > UPSMONCONF_TEXT_MAX)
		return -EFBIG;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	for (*len = 0; (n = read(fd, buf + *len, (size_t)st.st_size - *len)) != 0;
	     *len += (size_t)n)
		if (n < 0 && errno != EINTR)
			return -errno;
		else if (n < 0)
			n = 0;
	buf[*len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

const char *import_read_error(int r)
{
	return r == -EINVAL    ? "not a regular file"
	       : r == -EFBIG   ? "larger than 1 MiB"
	       : r == -EBADMSG ? "not a text file (NUL bytes or control characters)"
			       : strerror(-r);
}

/* A parsed file; *err says why it could not be read. */
int import_conf_read(const char *path, struct upsmonconf **ret, const char **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = import_text_read(path, &text, &len);

	if (r >= 0)
		r = upsmonconf_parse(path, text, len, ret);
	if (r < 0)
		*err = import_read_error(r);
	return r;
}

void import_files_free(struct import_files *f)
{
	upsmonconf_free(f->conf);
	upsmonconf_free(f->sched);
	free(f->script);
}

/* upssched.conf and its CMDSCRIPT. A file that is missing or unreadable
 * becomes a warning (its timers stay with upssched); one that is there but
 * is not text is an error: it is not upssched.conf, or it is damaged. */
int import_sched_read(const struct import_args *a, struct import_files *f)
{
	const struct upsmonconf_line *script;
	size_t len = 0;
	int r = import_conf_read(a->upssched, &f->sched, &f->sched_error);

	if (r == -EBADMSG)
		return log_error_errno(r, "%s: cannot read: %s", a->upssched, f->sched_error);
	if (r < 0)
		return 0;
	script = upsmonconf_find(f->sched, "CMDSCRIPT");
	if (!script || script->n_words != 2)
		return 0;
	r = import_text_read(script->words[1], &f->script, &len);
	if (r >= 0 && memchr(f->script, '\0', len)) {
		free(f->script);
		f->script = NULL;
		r = -EBADMSG;
	}
	if (r < 0)
		log_warning("%s:%u: warning: cannot read CMDSCRIPT %s (%s): its timers cannot be "
			    "converted",
			    a->upssched, script->line, script->words[1], import_read_error(r));
	return 0;
}

/* Refuses to replace a file without --force, before anything is written. */
static int check_free(const struct import_args *a, const char *path)
{
	struct stat st;

	/* lstat: a link, even a dangling one, is a file to replace too. */
	if (a->force || lstat(path, &st) < 0)
		return 0;
	log_error("%s exists; --force replaces it", path);
	return -EEXIST;
}

/* A file written beside its place, renamed there once every file is written. */
struct staged {
	char *tmp;
	const char *path;
};

static int stage_file(const char *path, const char *text, mode_t mode, bool secret,
		      struct staged *st)
{
	_cleanup_close_ int fd = -1;
	struct passwd *pw;
	size_t len = strlen(text);

	if (asprintf(&st->tmp, "%s.XXXXXX", path) < 0) {
		st->tmp = NULL;
		return log_error_errno(-ENOMEM, "out of memory");
	}
	st->path = path;
	fd = mkostemp(st->tmp, O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		st->tmp = (free(st->tmp), NULL);
		return log_error_errno(r, "cannot create a file beside %s: %s", path, strerror(-r));
	}
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		return log_error_errno(-errno, "cannot write %s: %s", st->tmp, strerror(errno));
	/* The daemon reads its password files as its own user. */
	if (secret && geteuid() == 0 && (pw = getpwnam(DAEMON_USER)) &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
		return log_error_errno(-errno, "cannot give %s to user %s: %s", path, DAEMON_USER,
				       strerror(errno));
	return 0;
}

/* Every staged file into its place; without --force, never over a file. */
static int stage_commit(const struct import_args *a, struct staged *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = renameat2(AT_FDCWD, st[i].tmp, AT_FDCWD, st[i].path,
				  a->force ? 0 : RENAME_NOREPLACE);

		if (r < 0)
			return log_error_errno(-errno, "cannot put %s in place: %s", st[i].path,
					       strerror(errno));
		st[i].tmp = (free(st[i].tmp), NULL);
	}
	return 0;
}

static void stage_abandon(struct staged *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].tmp) {
			(void)unlink(st[i].tmp);
			free(st[i].tmp);
		}
}

static int stage_passwords(const struct import_args *a, const struct upsmon_password *pw, size_t n,
			   struct staged *st)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *line = NULL;

		if (asprintf(&line, "%s\n", pw[i].password) < 0)
			return log_error_errno(-ENOMEM, "out of memory");
		r = stage_file(pw[i].path, line, 0600, true, &st[i]);
		explicit_wipe(line, strlen(line));
	}
	return r;
}

static int stage_all(const struct import_args *a, const struct import_output *o, struct staged *st)
{
	size_t at = 0;
	int r = 0;

	if ((o->n_passwords[0] || o->n_passwords[1]) && mkdir(a->password_dir, 0755) < 0 &&
	    errno != EEXIST)
		return log_error_errno(-errno, "cannot create %s: %s", a->password_dir,
				       strerror(errno));
	for (size_t l = 0; l < 2 && r >= 0; l++) {
		r = stage_passwords(a, o->passwords[l], o->n_passwords[l], st + at);
		at += o->n_passwords[l];
	}
	if (r >= 0 && a->output)
		r = stage_file(a->output, o->text, 0644, false, &st[at]);
	return r;
}

static int check_all_free(const struct import_args *a, const struct import_output *o)
{
	int r = a->output ? check_free(a, a->output) : 0;

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < o->n_passwords[l] && r >= 0; i++)
			r = check_free(a, o->passwords[l][i].path);
	return r;
}

/* All of it or nothing: each file is written whole beside its place, then
 * the password files and last the configuration are renamed into place. */
int import_output_write(const struct import_args *a, const struct import_output *o)
{
	size_t n = o->n_passwords[0] + o->n_passwords[1] + (a->output ? 1 : 0);
	struct staged *st = calloc(n ? n : 1, sizeof(*st));
	int r = st ? check_all_free(a, o) : log_error_errno(-ENOMEM, "out of memory");

	if (r >= 0)
		r = stage_all(a, o, st);
	if (r >= 0)
		r = stage_commit(a, st, n);
	if (st)
		stage_abandon(st, n);
	free(st);
	if (r < 0 || a->output)
		return r;
	return fputs(o->text, stdout) < 0 || fflush(stdout) ? -EIO : 0;
}

void import_notes_log(const struct upsmon_note *notes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct upsmon_note *n = &notes[i];

		if (n->line)
			log_warning("%s:%u: warning: %s", n->file, n->line, n->text);
		else
			log_warning("%s: warning: %s", n->file, n->text);
	}
}

#define PROBE_TIMEOUT (10 * USEC_PER_SEC)

int import_probed(const struct import_args *a, struct upsmon_import_in *in,
		  struct upsmon_import **res)
{
	struct import_probe *p = NULL;
	int r;

	if (a->offline) {
		log_warning("--offline: no server was probed; every ups section requires "
			    "verified STARTTLS, which upsmon may not have had: run upsagent "
			    "check-config --connect before switching over");
		return 0;
	}
	if ((*res)->n_servers == 0)
		return 0;
	r = import_probe_run(*res, a->ca_file, PROBE_TIMEOUT, &p);
	if (r < 0)
		return r;
	if (p->failed) {
		log_error("%d of %zu server(s) cannot be read as upsmon.conf says: nothing was "
			  "written (fix them, or --offline to import without probing)",
			  p->failed, p->n);
		import_probe_free(p);
		return -EHOSTUNREACH;
	}
	in->transports = p->transports;
	in->n_transports = p->n;
	*res = upsmon_import_free(*res);
	r = upsmon_import(in, res);
	import_probe_free(p);
	in->transports = NULL;
	return r < 0 ? log_error_errno(r, "out of memory") : 0;
}
