/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nutword.h"

#include <string.h>

bool nut_word_ok(const char *v)
{
	if (!*v || strlen(v) > 64)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f || strchr("\"'\\#@", *v))
			return false;
	return true;
}
