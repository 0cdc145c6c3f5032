/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passwords come from files only (never argv or the environment), and only
 * from files that nobody but their owner can read.
 */
#pragma once

#include <stddef.h>

#define SECRET_MAX 256 /* longer than any upsd.users password we know of */

/* The daemon's user (etc/upsagent.sysusers): a POSIX ACL may grant it read. */
#define SECRET_DAEMON_USER "upsagent"

/*
 * Reads the first line of path (without its line end) into a new string
 * that the caller frees with secret_free(). Refuses, with a sentence in err
 * that says how to fix it: a file that group or others can access (by its
 * mode, or by a POSIX ACL entry for anyone but root, the reader and the
 * daemon's user: lib/acl.h), a file owned by anyone else, a file that is
 * not regular, an empty first line, a line longer than SECRET_MAX.
 */
int secret_read_file(const char *path, char **ret, char *err, size_t errlen);
/* Wipes and frees; returns NULL. */
char *secret_free(char *s);
