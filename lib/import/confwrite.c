/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "confwrite.h"

void confwrite_string(FILE *f, const char *s)
{
	char q = strchr(s, '$') ? '\'' : '"';

	fputc(q, f);
	for (; *s; s++) {
		if (*s == q || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc(q, f);
}

void confwrite_option(FILE *f, const char *indent, const char *name, const char *value)
{
	fprintf(f, "%s%s = ", indent, name);
	confwrite_string(f, value);
	fputc('\n', f);
}

void confwrite_list(FILE *f, const char *indent, const char *name, char *const *v)
{
	fprintf(f, "%s%s = {", indent, name);
	for (size_t i = 0; v[i]; i++) {
		fputs(i ? ", " : "", f);
		confwrite_string(f, v[i]);
	}
	fputs("}\n", f);
}
