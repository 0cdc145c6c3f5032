/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Values written into an upsagent.conf, quoted as libconfuse reads them back. */
#pragma once

#include <stdio.h>

/* A string: double quotes take C escapes but expand "${NAME}", so a value
 * with a '$' goes in single quotes. Control characters must not be in s
 * (the importers' parsers refuse them). */
void confwrite_string(FILE *f, const char *s);
/* indent name = "value"\n */
void confwrite_option(FILE *f, const char *indent, const char *name, const char *value);
/* indent name = {"a", "b"}\n; v is NULL-terminated */
void confwrite_list(FILE *f, const char *indent, const char *name, char *const *v);
