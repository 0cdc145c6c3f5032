/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int port_parse(const char *s, uint16_t *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port". */
static int split_host(const char *s, struct target *t, char *err, size_t errlen)
{
	const char *colon, *host = s;
	size_t len;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "'%s': an IPv6 address goes in brackets: [::1]:3493",
				 s);
			return -EINVAL;
		}
		host = s + 1;
		len = (size_t)(close - host);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			snprintf(err, errlen, "'%s': write an IPv6 address in brackets: [%s]", s,
				 s);
			return -EINVAL;
		}
		len = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (len == 0) {
		snprintf(err, errlen, "'%s': the host name is empty", s);
		return -EINVAL;
	}
	if (colon && port_parse(colon + 1, &t->port) < 0) {
		snprintf(err, errlen, "'%s': the port must be a number from 1 to 65535", colon + 1);
		return -EINVAL;
	}
	t->port_given = colon != NULL;
	t->host = strndup(host, len);
	return t->host ? 0 : -ENOMEM;
}

int target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
	const char *at = strchr(s, '@');
	size_t len = at ? (size_t)(at - s) : strlen(s);
	int r;

	*t = (struct target){.port = TARGET_DEFAULT_PORT};
	if (len == 0 || strcspn(s, " \t\"\\#") < len) {
		snprintf(err, errlen, "'%s': expected UPS[@HOST[:PORT]], e.g. ups1@nas:3493", s);
		return -EINVAL;
	}
	t->ups = strndup(s, len);
	if (!t->ups)
		return -ENOMEM;
	r = at ? split_host(at + 1, t, err, errlen) : 0;
	if (r >= 0 && !t->host) {
		t->host = strdup(TARGET_DEFAULT_HOST);
		r = t->host ? 0 : -ENOMEM;
	}
	if (r < 0)
		target_done(t);
	return r;
}

void target_done(struct target *t)
{
	free(t->ups);
	free(t->host);
	t->ups = t->host = NULL;
}
