/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the server module (serve.h): serve.c owns the listeners, the UPS
 * table, accounts and the login counts; serve-client.c one client's socket,
 * TLS, limits and lines; serve-listen.c the listening sockets;
 * lib/protocol/serveproto.c the protocol itself. Nothing outside this folder
 * includes this header.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "proto.h"
#include "serve.h"
#include "serveproto.h"
#include "tls.h"

#define SERVE_OUT_MAX	   (64 * 1024) /* a client's unsent replies; past it, it goes */
#define SERVE_OUT_PAUSE	   (16 * 1024) /* stop reading a client's lines until it takes its replies */
#define SERVE_ACCEPT_BURST 64	       /* accepts per wake-up: other work goes on under a flood */
#define SERVE_STALE_MIN	   (15 * USEC_PER_SEC) /* upsd's MAXAGE */

struct serve_listener {
	struct server *srv;
	int fd;
	bool owned; /* bound by us (closed on free); else systemd's (closed too: we were handed it)
		     */
	enum config_listen_mode mode;
	char name[INET6_ADDRSTRLEN + 16]; /* "[::]:401", for messages */
	sd_event_source *io;
};

struct serve_client {
	struct server *srv;
	struct serve_client *prev, *next;
	int fd;
	char addr[INET6_ADDRSTRLEN];	 /* the peer's address, for LIST CLIENT and logs */
	char who[INET6_ADDRSTRLEN + 16]; /* "192.0.2.5 port 40112" */
	enum config_listen_mode mode;
	struct tls_session *tls;
	bool handshaking;
	bool closing; /* flush what is queued, then close */
	sd_event_source *io, *timer;
	struct proto_reader in;
	struct serve_session ss;
	struct serve_out out;
	char *login_ups; /* LOGIN's UPS name, for logs and re-mapping at reload */
};

/* A served UPS: its name (cfg owns it) and the owner's number for it. */
struct serve_ups {
	const char *name;
	size_t index;
};

struct server {
	sd_event *event;
	const struct config *config; /* the owner's: poll-interval */
	const struct server_owner_ops *ops;
	void *userdata;
	const struct config_serve *cfg; /* config->serve */
	struct tls_creds *creds;	/* NULL when no listener speaks TLS */
	/* Replaced by reloads: GnuTLS does not count the sessions that use
	 * credentials, so they live until the server goes. */
	struct tls_creds **retired;
	size_t n_retired;
	struct serve_listener *listeners;
	size_t n_listeners;
	bool socket_activated;
	struct serve_client *clients;
	unsigned n_clients;
	unsigned refused_full; /* connections refused at max-clients since last said */
	struct serve_ups *ups; /* the served UPSes the owner has, in cfg->ups order */
	size_t n_ups;

	uint64_t handshakes, auth_failures; /* totals, for server_counters() */
};

/* serve-client.c */
int serve_client_new(struct server *srv, int fd, const struct sockaddr_storage *peer,
		     enum config_listen_mode mode);
void serve_client_free(struct serve_client *c);
/* A UPS stopped being served (reload): its logged-in clients go. */
void serve_client_drop_ups(struct server *srv, size_t index);

/* serve-listen.c */
int serve_listen_open(struct server *srv);
void serve_listen_close(struct server *srv);
void serve_listen_refuse_unused(void);

/* serve.c, for serve-client.c */
extern const struct serve_ops serve_ops;
/* c logged in (NULL: a client left): said, and the owner told. */
void serve_login_changed(struct server *srv, struct serve_client *c);
