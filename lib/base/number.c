/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "number.h"

#include <string.h>

bool number_parse(const char *text, double *ret)
{
	double value = 0, scale = 1;
	size_t i = 0, int_digits = 0, frac_digits = 0;
	bool dot = false;

	if (!text || strlen(text) > NUMBER_LEN_MAX)
		return false;
	/* Digit by digit rather than strtod(): strtod accepts blanks, signs,
	 * exponents, hex, "inf" and "nan", and follows LC_NUMERIC. */
	for (; text[i] >= '0' && text[i] <= '9'; i++, int_digits++)
		value = value * 10 + (text[i] - '0');
	if (text[i] == '.') {
		dot = true;
		for (i++; text[i] >= '0' && text[i] <= '9'; i++, frac_digits++) {
			scale /= 10;
			value += (text[i] - '0') * scale;
		}
	}
	if (text[i] != '\0' || int_digits == 0 || (dot && frac_digits == 0))
		return false;
	*ret = value;
	return true;
}
