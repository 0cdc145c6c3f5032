/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decimal numbers as UPS servers and our config write them: digits[.digits]. */
#pragma once

#include <stdbool.h>

#define NUMBER_LEN_MAX 32

/*
 * "100", "87.5", "0.25" -> true and *ret. Anything else (blanks, signs,
 * exponents, "5.", ".5", hex, inf, nan, longer than NUMBER_LEN_MAX) -> false,
 * *ret untouched. Independent of the locale.
 */
bool number_parse(const char *text, double *ret);
