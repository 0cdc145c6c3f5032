/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The section form of NUT's ups.conf and upsd.users, over the words that
 * upsmonconf_parse() splits: "[name]" starts a section, then "key = value",
 * "key=value", "key value" (upsd.users' "upsmon primary") or a bare flag
 * ("ignorelb"). Lines before the first section are the file's globals
 * (ups.conf's maxretry, pollinterval...). Pure: words in, sections out.
 */
#pragma once

#include <stddef.h>

#include "upsmonconf.h"

struct nut_setting {
	const char *key;   /* not owned: a word of the parsed file, or a copy below */
	const char *value; /* NULL for a bare flag */
	unsigned line;
	char *owned; /* "key=value" split in two: the copy the pointers above use */
};

struct nut_section {
	const char *name; /* NULL: the globals before the first section */
	unsigned line;
	struct nut_setting *settings;
	size_t n;
};

struct nut_sections {
	struct nut_section *s;
	size_t n;
};

/*
 * The sections of c (which must outlive the result), globals first when
 * there are any. A line that is neither a section nor a setting ("[a b]",
 * "key = a b") is noted in c's notes with its reason and skipped. 0 or
 * -ENOMEM; free with nut_sections_done().
 */
int nut_sections_read(struct upsmonconf *c, struct nut_sections *ret);
void nut_sections_done(struct nut_sections *s);
/* The last value of key in s (keys are case-insensitive, as NUT reads them),
 * or NULL; *line (may be NULL) gets its line. A bare flag's value is "". */
const char *nut_section_get(const struct nut_section *s, const char *key, unsigned *line);
