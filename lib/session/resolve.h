/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Name resolution that never blocks the loop. getaddrinfo() can wait many
 * seconds on a dead DNS server; it runs in a thread of its own, and the
 * answer comes back through a socket pair watched by sd-event. An address literal
 * is answered at once, without a thread.
 */
#pragma once

#include <netdb.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/* addrs (owned by the callee: freeaddrinfo) or NULL with error, a gai code. */
typedef void (*resolve_fn)(struct addrinfo *addrs, int error, void *userdata);

struct resolve;

/*
 * Starts a lookup of host (TCP, port). done runs later from the loop, never
 * from inside this call. Cancel with resolve_cancel() before the userdata
 * goes away; done is not called after that.
 */
int resolve_start(sd_event *e, const char *host, uint16_t port, resolve_fn done, void *userdata,
		  struct resolve **ret);
/* Safe at any time: a thread still resolving finishes and cleans up alone. */
struct resolve *resolve_cancel(struct resolve *r);
