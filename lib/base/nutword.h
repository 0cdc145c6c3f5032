/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names upsd knows (a UPS, a user) and that UPSNAME carries: one plain word. */
#pragma once

#include <stdbool.h>

/* 1 to 64 printable ASCII characters, none of blank " ' \ # @. */
bool nut_word_ok(const char *v);
