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
/* File descriptors kept for the rest of the daemon at max-clients: hooks
 * (pipes), logind's bus, status socket clients, hidraw, net sessions. */
#define SERVE_FD_RESERVE    64
#define SERVE_ACCEPT_PAUSE  (250 * USEC_PER_MSEC) /* a listener's rest at EMFILE/ENFILE */
#define SERVE_SUMMARY_EVERY (60 * USEC_PER_SEC)	  /* repeated refusals are summed up this often */
/* Failed authentications, per source address: the answer to the next one
 * waits GUESS_DELAY_MIN << (failures - 1), at most GUESS_DELAY_MAX (below the
 * shortest idle-timeout), and answers from one address come one at a time. */
#define SERVE_GUESS_DELAY_MIN (100 * USEC_PER_MSEC)
#define SERVE_GUESS_DELAY_MAX (4 * USEC_PER_SEC)
#define SERVE_GUESS_FORGET    (600 * USEC_PER_SEC) /* an address's failures, after the last */
#define SERVE_GUESS_TABLE     256		   /* addresses remembered; the oldest goes */
#define SERVE_CHURN_MEMORY    (30 * USEC_PER_SEC)  /* evictions of an address count this long */

struct serve_listener {
	struct server *srv;
	int fd;
	bool owned; /* bound by us (closed on free); else systemd's (closed too: we were handed it)
		     */
	enum config_listen_mode mode;
	bool reads_only; /* plaintext facing the network: no credential, no login (serveproto.h) */
	char name[INET6_ADDRSTRLEN + 16]; /* "[::]:401", for messages */
	sd_event_source *io, *rest;	  /* rest: the pause after EMFILE */
	unsigned starved; /* accepts that failed for want of fds since last summed up */
	uint64_t said;	  /* when that was last said */
};

/* A source address as the door counts it: IPv4 (v4-mapped) whole, IPv6 by its /64. */
struct serve_addr {
	uint8_t b[16];
};

struct serve_client {
	struct server *srv;
	struct serve_client *prev, *next;
	/* server::pre, oldest first, while the client has not authenticated */
	struct serve_client *pre_prev, *pre_next;
	bool in_pre;
	struct serve_addr key;
	int fd;
	char addr[INET6_ADDRSTRLEN];	 /* the peer's address, for LIST CLIENT and logs */
	char who[INET6_ADDRSTRLEN + 16]; /* "192.0.2.5 port 40112" */
	enum config_listen_mode mode;
	struct tls_session *tls;
	struct tls_creds *creds; /* a reference: the session outlives a reload's new ones */
	bool handshaking;
	bool held;	       /* an authentication's answer waits (pacing): no I/O */
	sd_event_source *pace; /* ends held */
	bool closing;	       /* flush what is queued, then close */
	sd_event_source *io, *timer;
	struct proto_reader in;
	struct serve_session ss;
	struct serve_out out;
	char *login_ups;	      /* LOGIN's UPS name, for logs and re-mapping at reload */
	enum tls_name_type cert_type; /* of ss.cert_name, for re-matching at reload */
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
	/* NULL when no listener speaks TLS. Sessions hold references, so those a
	 * reload replaces are freed when their last session ends. */
	struct tls_creds *creds;
	struct serve_listener *listeners;
	size_t n_listeners;
	bool socket_activated;
	struct serve_client *clients;
	unsigned n_clients;
	unsigned refused_full; /* connections refused at max-clients since last said */
	unsigned max_clients;  /* cfg's, or what RLIMIT_NOFILE leaves after a reload */
	/* The door (serve-door.c): clients before authentication, oldest first. */
	struct serve_client *pre_head, *pre_tail;
	unsigned n_pre;
	unsigned evicted;	     /* pre-login clients closed for newcomers since last said */
	struct serve_guess *guesses; /* SERVE_GUESS_TABLE entries, made at the first failure */
	sd_event_source *summary;    /* says what was summed up, every SERVE_SUMMARY_EVERY */
	struct serve_ups *ups;	     /* the served UPSes the owner has, in cfg->ups order */
	size_t n_ups;

	uint64_t handshakes, auth_failures; /* totals, for server_counters() */
};

/* serve-client.c */
int serve_client_new(struct server *srv, int fd, const struct sockaddr_storage *peer,
		     const struct serve_listener *l);
/* The end of c for the door (evicted): said at debug level, freed. */
void serve_client_evict(struct serve_client *c);
void serve_client_free(struct serve_client *c);
/* A UPS stopped being served (reload): its logged-in clients go. */
void serve_client_drop_ups(struct server *srv, size_t index);

/* serve-door.c: who gets in, and how fast guesses are answered. */
void serve_addr_of(const struct sockaddr_storage *peer, struct serve_addr *ret);
/* Room for one more connection from key: 0 (a pre-login client may have been
 * evicted for it) or -EUSERS (max-clients authenticated clients: refuse). */
int serve_door_admit(struct server *srv, const struct serve_addr *key);
void serve_door_enter(struct server *srv, struct serve_client *c);
/* c authenticated, or is leaving: out of the pre-login pool. */
void serve_door_leave(struct server *srv, struct serve_client *c);
/* An authentication from c's address was answered (failed or not): how long
 * the answer must wait, in usec. */
uint64_t serve_door_guess(struct server *srv, const struct serve_client *c, const char *user,
			  bool failed);
int serve_door_open(struct server *srv);
void serve_door_close(struct server *srv);

/* serve-listen.c */
int serve_listen_open(struct server *srv, const struct serve_socket *sockets, size_t n);
void serve_listen_close(struct server *srv);
void serve_listen_refuse_unused(const struct serve_socket *sockets, size_t n);

/* serve.c, for serve-client.c */
extern const struct serve_ops serve_ops;
/* c logged in (NULL: a client left): said, and the owner told. */
void serve_login_changed(struct server *srv, struct serve_client *c);
