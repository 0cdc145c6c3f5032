/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The variables of one UPS reading (ups.status, battery.charge, device.model,
 * ...): names and values as NUT writes them, kept sorted by name so that LIST
 * VAR is stable. Pure; owns its strings.
 */
#pragma once

#include <stddef.h>

#define VARLIST_MAX 256 /* most variables one UPS may carry */

struct var {
	char *name;
	char *value;
};

struct varlist {
	size_t n, allocated;
	struct var *v;
};

/* Adds or replaces name. 0, -EINVAL (NULL or empty name), -E2BIG past VARLIST_MAX, -ENOMEM. */
int varlist_set(struct varlist *l, const char *name, const char *value);
/* The value, or NULL. */
const char *varlist_get(const struct varlist *l, const char *name);
/* Removes name; 0 or -ENOENT. */
int varlist_unset(struct varlist *l, const char *name);
/* dst becomes a copy of src (dst's old content freed). 0 or -ENOMEM (dst then empty). */
int varlist_copy(struct varlist *dst, const struct varlist *src);
void varlist_clear(struct varlist *l);
