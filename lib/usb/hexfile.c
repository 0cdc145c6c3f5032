/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hexfile.h"

#include <errno.h>
#include <stdbool.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips to the end of the line; returns the index of the newline or len. */
static size_t skip_line(const char *text, size_t len, size_t i)
{
	while (i < len && text[i] != '\n')
		i++;
	return i;
}

/* One or two hex digits, else -1. */
static int parse_token(const char *t, size_t n)
{
	int hi = hex_digit(t[0]), lo = n == 2 ? hex_digit(t[1]) : 0;

	if (n < 1 || n > 2 || hi < 0 || lo < 0)
		return -1;
	return n == 2 ? hi << 4 | lo : hi;
}

int hexfile_parse(const char *text, size_t len, uint8_t *out, size_t size)
{
	bool line_start = true;
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start = i;
		int value;

		if (is_space(text[i])) {
			line_start = line_start || text[i] == '\n';
			i++;
			continue;
		}
		if (line_start && text[i] == '#') {
			i = skip_line(text, len, i);
			continue;
		}
		line_start = false;
		while (i < len && !is_space(text[i]))
			i++;
		value = parse_token(text + start, i - start);
		if (value < 0)
			return -EBADMSG;
		if (n >= size)
			return -E2BIG;
		out[n++] = (uint8_t)value;
	}
	return (int)n;
}
