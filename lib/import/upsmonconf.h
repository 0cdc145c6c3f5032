/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syntax of NUT's upsmon.conf and upssched.conf, read so that
 * "upsagent import-upsmon" can convert them: one directive per line, words
 * separated by blanks, "double quotes" around a word with blanks, a
 * backslash taking the next character literally (a backslash at the end of
 * a line joins the next one), "#" outside quotes starting a comment.
 *
 * Pure: text in, words out. What the words mean is upsmonimport's job.
 */
#pragma once

#include <stddef.h>

#define UPSMONCONF_WORDS_MAX 32		/* more on one line is an error */
#define UPSMONCONF_TEXT_MAX  (1u << 20) /* 1 MiB: the example file is 20 KiB */

/* A problem found in an input file, at a line (0: the file as a whole). */
struct upsmon_note {
	const char *file; /* not owned: the path given to the parser */
	unsigned line;
	char *text;
	char *echo; /* the line as written, secrets masked; NULL when not known */
};

struct upsmonconf_line {
	unsigned line; /* where the directive starts, 1-based */
	char **words;  /* NULL-terminated, at least one */
	size_t n_words;
};

struct upsmonconf {
	const char *path; /* not owned */
	struct upsmonconf_line *lines;
	size_t n_lines;
	struct upsmon_note *notes; /* lines that could not be read, skipped */
	size_t n_notes;
};

/*
 * Splits text (len bytes) into directives. A line that cannot be read (an
 * unclosed quote, too many words) is skipped with a note; the rest is
 * still read. Returns 0 and a new upsmonconf in *ret (free with
 * upsmonconf_free()), -EBADMSG when text is not a text file (a NUL byte, a
 * control character other than tab, CR, form feed), or -ENOMEM.
 */
int upsmonconf_parse(const char *path, const char *text, size_t len, struct upsmonconf **ret);
struct upsmonconf *upsmonconf_free(struct upsmonconf *c);

/* The last directive named name (case matters, as for upsmon), or NULL. */
const struct upsmonconf_line *upsmonconf_find(const struct upsmonconf *c, const char *name);
/* The directive that starts on line (1-based), or NULL. */
const struct upsmonconf_line *upsmonconf_find_line(const struct upsmonconf *c, unsigned line);

/* A password an import takes, for its own 0600 file. */
struct upsmon_password {
	char *section; /* the ups section it belongs to */
	char *path;    /* password_dir/SECTION.pw */
	char *password;
	unsigned line; /* of the MONITOR line */
};
/* Wipes each password and frees the list. */
void upsmon_passwords_free(struct upsmon_password *p, size_t n);

/* Appends a note ("file:line: text") to a list; -ENOMEM. */
int upsmon_note_add(struct upsmon_note **notes, size_t *n, const char *file, unsigned line,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void upsmon_notes_free(struct upsmon_note *notes, size_t n);
