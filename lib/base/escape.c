/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>

#include "escape.h"

static bool plain(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\t'; /* TAB forges nothing */
}

char *escape_line(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		size_t need = plain(*p) ? 1 : 4;

		if (o + need >= size)
			break;
		if (need == 1)
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
	}
	out[o] = '\0';
	return out;
}

size_t escape_line_size(const char *in)
{
	size_t n = 1;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		n += plain(*p) ? 1 : 4;
	return n;
}

void escape_print(FILE *f, const char *in)
{
	for (const unsigned char *p = (const unsigned char *)in; *p; p++)
		if (plain(*p))
			fputc(*p, f);
		else
			fprintf(f, "\\x%02x", *p);
}
