/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text a peer wrote (a server's ERR word or value, a certificate's names, a
 * USB descriptor string) must not forge a log line, move a terminal's cursor
 * or break a JSON document. These make any bytes safe for one line of text.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

/*
 * Printable ASCII (0x20-0x7e) and TAB are kept; every other byte - newline, ESC, DEL,
 * anything above 0x7e - becomes "\xNN". Cut to fit size (at least 1), never
 * in the middle of an escape. Returns out.
 */
char *escape_line(char *out, size_t size, const char *in);

/* The length escape_line() needs for in, NUL included. */
size_t escape_line_size(const char *in);

/* The same, written to f (no length limit). */
void escape_print(FILE *f, const char *in);
