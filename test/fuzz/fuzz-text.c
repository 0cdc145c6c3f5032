/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what makes a peer's bytes safe to show: escape_line()
 * must leave one line of printable ASCII, json_print_string() one valid JSON
 * string of valid UTF-8 (checked here with glibc's own decoder, not ours).
 */
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *in)
{
	char out[256];
	size_t len;

	escape_line(out, sizeof(out), in);
	len = strlen(out);
	if (len >= sizeof(out))
		abort();
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)out[i] < 0x20 && out[i] != '\t') ||
		    (unsigned char)out[i] > 0x7e)
			abort();
	if (escape_line_size(in) < strlen(in) + 1)
		abort();
}

static void check_json(const char *in)
{
	char *buf = NULL;
	size_t len = 0, at = 1;
	mbstate_t st;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	json_print_string(f, in);
	fclose(f);
	if (len < 2 || buf[0] != '"' || buf[len - 1] != '"')
		abort();
	memset(&st, 0, sizeof(st));
	while (at < len - 1) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, buf + at, len - 1 - at, &st);

		/* Invalid or cut short UTF-8, a raw control or an unescaped quote. */
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || wc < 0x20 ||
		    (wc >= 0x7f && wc < 0xa0))
			abort();
		if (wc == '\\')
			n++; /* the escaped character, or the 'u' of \uXXXX */
		else if (wc == '"')
			abort();
		at += n;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *s = malloc(size + 1);

	if (!init) {
		init = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
		if (!init)
			abort();
	}
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_line(s);
	check_json(s);
	free(s);
	return 0;
}
