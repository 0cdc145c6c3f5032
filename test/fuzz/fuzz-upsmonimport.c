/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for import-upsmon: the input is an upsmon.conf, and also
 * (the same bytes) its upssched.conf and CMDSCRIPT. Whatever it holds, the
 * import must end, and no password of a MONITOR line it carried over may
 * appear in the generated text.
 *
 * test/fuzz/replay.c replays its seeds in every build, without clang.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upsmonimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input without its MONITOR lines: a password written there too (in a
 * comment, a NOTIFYMSG, garbage after RBWARNTIME) is the administrator's
 * own text, echoed as written; only MONITOR lines hold secrets. */
static char *without_monitor_lines(const char *in)
{
	char *rest = strdup(in), *w = rest;

	if (!rest)
		return NULL;
	for (const char *line = in; *line;) {
		const char *end = strchr(line, '\n'), *p = line;
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "MONITOR", 7) != 0) {
			memcpy(w, line, len);
			w += len;
		}
		line += len;
	}
	*w = '\0';
	return rest;
}

/* Whether a word holds password, as the parser read it ("s3cret pass#"1
 * reads s3cret pass#1), other than the password word of a MONITOR line:
 * another line's value, or another MONITOR line's host name that happens
 * to contain it, is the administrator's own text and may be echoed. */
static bool in_other_words(const struct upsmonconf *c, const char *password)
{
	for (size_t i = 0; i < c->n_lines; i++) {
		const struct upsmonconf_line *l = &c->lines[i];
		bool monitor = strcmp(l->words[0], "MONITOR") == 0;
		/* In a MONITOR line of the wrong length any word after the host may be a password.
		 */
		size_t from = monitor && l->n_words != 6 ? 2 : SIZE_MAX;

		for (size_t j = 0; j < l->n_words && j < from; j++)
			if (!(monitor && j == 4) && strstr(l->words[j], password))
				return true;
	}
	return false;
}

/* In the output, and nowhere in the input but in MONITOR lines. Short ones
 * may be any common word of the text. */
static bool leaked(const struct upsmonconf *c, const char *rest, const char *out,
		   const char *password)
{
	return strlen(password) >= 12 && strstr(out, password) && !strstr(rest, password) &&
	       !in_other_words(c, password);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct upsmonconf *c = NULL;
	struct upsmon_import *r = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (upsmonconf_parse("fuzz.conf", text, size, &c) == 0) {
		struct upsmon_import_in in = {.conf = c,
					      .sched = c,
					      .sched_path = "fuzz.conf",
					      .sched_script = text,
					      .password_dir = "/pw"};

		if (upsmon_import(&in, &r) == 0) {
			char *rest = without_monitor_lines(text);

			for (size_t i = 0; rest && i < r->n_passwords; i++)
				if (leaked(c, rest, r->text, r->passwords[i].password))
					abort();
			free(rest);
			upsmon_import_free(r);
		}
		upsmonconf_free(c);
	}
	free(text);
	return 0;
}
