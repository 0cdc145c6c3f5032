/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the parts of import-upsd's model: upsdimport.c (ups.conf, notes,
 * the result) and upsd-serve.c (upsd.conf and upsd.users into the serve
 * section).
 */
#pragma once

#include <stdbool.h>

#include "upsdimport.h"

/* Where a UPS that stays with NUT is served by upsd from now on: upsagent
 * takes 3493. */
#define UI_NUT_PORT 3494

struct ui {
	const struct upsd_import_in *in;
	struct upsd_import *res;
	int error; /* -ENOMEM once anything failed */
};

/* A note FILE:LINE (line 0: the file as a whole); returns x->error. */
int ui_note(struct ui *x, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Whether a section's name can be a UPS name here; a note when not. */
bool nut_word_ok_or_note(struct ui *x, const struct nut_section *s);
/* upsd.conf and upsd.users into res->serve_text, users and notes; x->error. */
int ui_serve(struct ui *x);
