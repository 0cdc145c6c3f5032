/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * import-upsmon's probes: every MONITOR's server tried before anything is
 * written, so that the import keeps the host at least as protected as
 * upsmon did (lib/session/probe.h says what is tried).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "upsmonimport.h"

struct probe_result;

struct import_probe {
	struct upsmon_transport *transports; /* one per res->servers, for the import */
	size_t n;
	int failed; /* servers that cannot be read: each was logged as an error */
	/* storage for the transports' strings */
	struct probe_result *results;
	char when[40];
};

/*
 * Probes each server of res at once (ca_file: NULL for the system's trust
 * store), bounded by timeout (usec) per step. *ret is freed with
 * import_probe_free(). 0 or -errno (logged).
 */
int import_probe_run(const struct upsmon_import *res, const char *ca_file, uint64_t timeout,
		     struct import_probe **ret);
struct import_probe *import_probe_free(struct import_probe *p);
