/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The .hex text form of binary data used by the test data and by debugging
 * tools: bytes as hexadecimal pairs separated by white space; lines whose
 * first non-blank character is '#' are comments. Pure: text in, bytes out.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Returns the number of bytes written to out, -EBADMSG on a token that is not
 * one or two hex digits, -E2BIG when out is too small.
 */
int hexfile_parse(const char *text, size_t len, uint8_t *out, size_t size);
