/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal test harness: each test binary is a list of functions; a failed
 * check prints file:line and the expression and aborts the binary, so meson
 * reports the test as failed.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		if (!(expr)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
				__LINE__, #a, _a, #b, _b);                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,        \
				__LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define TEST_RUN(fn)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "-- %s\n", #fn);                                                   \
		fn();                                                                              \
	} while (0)
