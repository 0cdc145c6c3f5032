/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every source that is its own driver (sim, usb) says about itself. */
#include "source.h"

#ifndef UPSAGENT_VERSION
#define UPSAGENT_VERSION "unknown"
#endif

void source_identity(struct varlist *vars, const char *driver, const char *mfr, const char *model,
		     const char *serial)
{
	/* As NUT drivers serve them: device.* and the older ups.* twins, which
	 * NUT-Monitor and upsstats show; unknown strings are left out. */
	const struct {
		const char *name, *value;
	} vs[] = {
	    {"device.mfr", mfr},    {"device.model", model}, {"device.serial", serial},
	    {"device.type", "ups"}, {"ups.mfr", mfr},	     {"ups.model", model},
	    {"ups.serial", serial}, {"driver.name", driver}, {"driver.version", UPSAGENT_VERSION},
	};

	/* A variable that finds no memory is left out: the monitor needs none of these. */
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		if (vs[i].value && vs[i].value[0])
			(void)varlist_set(vars, vs[i].name, vs[i].value);
}
