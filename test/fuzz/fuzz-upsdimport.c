/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for import-upsd's model: the input is ups.conf, upsd.conf
 * and upsd.users, split at the first two lines that read "--". Whatever they
 * hold, the import must end, every password it takes must come from a
 * password setting of upsd.users, and none may appear in the serve section
 * or a note (each password is swapped for a sentinel, and an input whose words hold
 * the sentinel themselves is skipped).
 *
 * test/fuzz/replay.c replays its seeds in every build, without clang.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upsdimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *part(const char **p, const char *end)
{
	const char *cut = *p;
	char *s;

	while (cut < end &&
	       !(cut + 3 <= end && memcmp(cut, "--\n", 3) == 0 && (cut == *p || cut[-1] == '\n')))
		cut++;
	s = strndup(*p, (size_t)(cut - *p));
	*p = cut < end ? cut + 3 : end;
	return s;
}

static struct upsmonconf *parse(const char *path, const char *text)
{
	struct upsmonconf *c = NULL;

	return text && upsmonconf_parse(path, text, strlen(text), &c) >= 0 ? c : NULL;
}

#define SENTINEL "pw-sentinel-"

/* Every password value becomes a sentinel no input can hold: a sentinel in
 * the text is a password leaked, whatever the administrator wrote. */
static void passwords_marked(struct nut_sections *users, char marks[][32], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < users->n; i++)
		for (size_t j = 0; j < users->s[i].n && n < max; j++)
			if (strcasecmp(users->s[i].settings[j].key, "password") == 0 &&
			    users->s[i].settings[j].value) {
				snprintf(marks[n], sizeof(marks[n]), SENTINEL "%zu", n);
				users->s[i].settings[j].value = marks[n++];
			}
}

/* Whether the words as parsed (backslashes undone) hold the sentinel. */
static bool holds_sentinel(const struct upsmonconf *c)
{
	for (size_t i = 0; c && i < c->n_lines; i++)
		for (size_t j = 0; j < c->lines[i].n_words; j++)
			if (strstr(c->lines[i].words[j], SENTINEL))
				return true;
	return false;
}

static void check(const struct upsd_import *r)
{
	for (size_t i = 0; i < r->n_passwords; i++)
		if (!r->passwords[i].password ||
		    strncmp(r->passwords[i].password, SENTINEL, strlen(SENTINEL)) != 0)
			abort(); /* a password taken from anywhere but a password setting */
	if (r->serve_text && strstr(r->serve_text, SENTINEL))
		abort();
	for (size_t i = 0; i < r->n_notes; i++)
		if (strstr(r->notes[i].text, SENTINEL))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char marks[4096][32];
	const char *p = (const char *)data, *end = p + size;
	char *ups_text = NULL, *upsd_text = NULL, *users_text = NULL;
	struct upsmonconf *ups, *upsd, *users;
	struct upsd_import_in in = {
	    .ups_path = "ups.conf", .users_path = "upsd.users", .password_dir = "/etc/upsagent"};
	struct upsd_import *r = NULL;

	if (memchr(data, '\0', size))
		return 0; /* the CLI refuses it before parsing: not text */
	ups_text = part(&p, end);
	upsd_text = part(&p, end);
	users_text = part(&p, end);
	ups = parse("ups.conf", ups_text);
	upsd = parse("upsd.conf", upsd_text);
	users = parse("upsd.users", users_text);
	in.upsd = upsd;
	/* An input that holds the sentinel itself (a backslash may make one) is
	 * not a leak when it shows: skip it. */
	if (holds_sentinel(ups) || holds_sentinel(upsd) || holds_sentinel(users))
		ups = upsmonconf_free(ups);
	if (ups && nut_sections_read(ups, &in.ups) >= 0 &&
	    (!users || nut_sections_read(users, &in.users) >= 0) &&
	    (passwords_marked(&in.users, marks, 4096), upsd_import(&in, &r) >= 0)) {
		check(r);
		free(upsd_import_unwatched(r, NULL));
		upsd_import_free(r);
	}
	nut_sections_done(&in.ups);
	nut_sections_done(&in.users);
	upsmonconf_free(ups);
	upsmonconf_free(upsd);
	upsmonconf_free(users);
	free(ups_text);
	free(upsd_text);
	free(users_text);
	return 0;
}
