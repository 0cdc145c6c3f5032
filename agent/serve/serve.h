/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server: the watched UPSes that the serve section names, shared over
 * the NUT protocol (TLS 1.3 on 401, STARTTLS on 3493, plaintext on loopback),
 * read-only but for FSD from a primary user. It knows the UPSes it serves
 * only through the server_owner_ops it was given, by the owner's number for
 * each, so that any source can be served.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "varlist.h"

struct server;

/* The owner's side. Each gets the env's userdata. */
struct server_owner_ops {
	/* The owner's number for the UPS of that ups section, or -1 if it has none. */
	int (*find)(void *userdata, const char *name);
	/* The latest good reading of UPS ups, and *when it came (CLOCK_MONOTONIC); NULL if none. */
	const struct varlist *(*vars)(void *userdata, size_t ups, uint64_t *when);
	/* A primary client set FSD on UPS ups: the owner latches it. */
	void (*set_fsd)(void *userdata, size_t ups);
	/* A client logged in or left: a host waiting for its secondaries decides again. */
	void (*logins_changed)(void *userdata);
};

/* A listening socket systemd passed (upsagent.socket), with its FileDescriptorName. */
struct serve_socket {
	int fd;
	const char *name; /* NULL when unnamed */
};

/* What the server is given; the owner keeps it alive as long as the server. */
struct server_env {
	sd_event *event;
	const struct config *config; /* its serve section says what is served */
	const struct server_owner_ops *ops;
	void *userdata;
	/* At start, the sockets systemd passed for the server (none at a
	 * reload): server_open() takes them all, serving on them or closing
	 * them when there is no serve section. */
	const struct serve_socket *sockets;
	size_t n_sockets;
};

/*
 * At start: listeners (from systemd's socket unit, or bound), credentials and
 * the table of served UPSes. *ret is NULL without a serve section (and
 * sockets systemd passed are closed); else freed with server_free(). 0 or
 * -errno, each failure logged; -ERANGE: max-clients does not fit in
 * RLIMIT_NOFILE, a configuration error. On failure *ret may be set and is
 * freed by the caller.
 */
int server_open(const struct server_env *env, struct server **ret);
/*
 * At a reload, once the owner's new UPS numbers are valid: *srv follows the
 * new configuration in env (opened, re-mapped or freed). 0 or -errno.
 */
int server_apply(struct server **srv, const struct server_env *env);
struct server *server_free(struct server *srv);
/* The clients logged into the owner's UPS ups; 0 when srv is NULL or does not serve it. */
unsigned server_logins(const struct server *srv, size_t ups);

/* What the server counts, for the metrics (a reload that replaces the
 * server starts the totals again, as a restart would). */
struct server_counters {
	unsigned clients;	/* connected now, logged in or not */
	uint64_t handshakes;	/* TLS handshakes completed */
	uint64_t auth_failures; /* authentications refused */
};

/* srv's counters; all 0 when srv is NULL. */
struct server_counters server_counters(const struct server *srv);
