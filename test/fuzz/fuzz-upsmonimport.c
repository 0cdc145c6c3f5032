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
#include <stdlib.h>
#include <string.h>

#include "upsmonimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* In the output, but in the input only once (in its MONITOR line). Short
 * ones may be any common word of the text. */
static bool leaked(const char *in, const char *out, const char *password)
{
	const char *first = strstr(in, password);

	return strlen(password) >= 12 && strstr(out, password) && first &&
	       !strstr(first + 1, password);
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
		struct upsmon_import_in in = {.conf = c, .sched = c, .sched_path = "fuzz.conf",
					      .sched_script = text, .password_dir = "/pw"};

		if (upsmon_import(&in, &r) == 0) {
			for (size_t i = 0; i < r->n_passwords; i++)
				if (leaked(text, r->text, r->passwords[i].password))
					abort();
			upsmon_import_free(r);
		}
		upsmonconf_free(c);
	}
	free(text);
	return 0;
}
