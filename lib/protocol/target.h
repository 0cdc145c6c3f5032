/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "UPS[@HOST[:PORT]]", as upsc and upsmon's MONITOR write it; IPv6 in brackets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARGET_DEFAULT_HOST "localhost"
#define TARGET_DEFAULT_PORT 3493

struct target {
	char *ups;
	char *host;
	uint16_t port;	 /* TARGET_DEFAULT_PORT unless given */
	bool port_given; /* written in the target: TLS_DIRECT_PORT is not the default then */
};

/* 0, or -EINVAL with a sentence in err. Free with target_done(). */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);
void target_done(struct target *t);
/* "1..65535" -> port; -EINVAL for anything else. */
int port_parse(const char *s, uint16_t *ret);
