/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "outage.h"

enum outage_say outage_fail(struct outage *o, uint64_t now, const char *text, uint64_t period)
{
	if (!o->active) {
		o->active = true;
		o->since = o->last_said = now;
		o->attempts = 1;
		snprintf(o->text, sizeof(o->text), "%s", text);
		return OUTAGE_START;
	}
	o->attempts++;
	if (strncmp(o->text, text, sizeof(o->text) - 1) != 0) {
		snprintf(o->text, sizeof(o->text), "%s", text);
		o->last_said = now;
		return OUTAGE_CHANGED;
	}
	if (period > 0 && now - o->last_said >= period) {
		o->last_said = now;
		return OUTAGE_SUMMARY;
	}
	return OUTAGE_QUIET;
}

bool outage_recover(struct outage *o)
{
	if (!o->active)
		return false;
	o->active = false;
	return true;
}
