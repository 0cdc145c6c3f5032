/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inside of a session, shared by its three files: conn.c (life cycle and
 * the owner's API), conn-io.c (sockets, TLS records, the request queue) and
 * conn-setup.c (the steps from STARTTLS to LOGIN).
 */
#pragma once

#include <netdb.h>

#include "conn.h"
#include "macro.h"
#include "request.h"
#include "resolve.h"

#define CONN_MAX_REQUESTS 64	      /* queued at once; a poll batch is a handful */
#define CONN_MAX_OUT	  (64 * 1024) /* unsent bytes */

struct conn {
	unsigned n_ref;
	sd_event *event;
	sd_event_source *io, *timer;
	const struct conn_callbacks *cb;
	void *userdata;

	struct conn_config cfg; /* its strings point to the copies below */
	char *host, *ups, *server_name, *pin, *user, *password_file, *password, *peer;
	char peer_pin[TLS_PIN_LEN + 1]; /* conn_peer_pin() */

	enum conn_state state;
	enum conn_state ended_in; /* where the last session ended */
	unsigned generation;	  /* bumped at every teardown: stale events see it */
	int fd;
	struct resolve *resolve;       /* the name lookup, while it runs */
	struct addrinfo *addrs, *addr; /* addr: the one being tried */
	int connect_error;	       /* of the last address tried */
	uint64_t phase_deadline;       /* connect and handshake; 0: none */
	struct tls_session *tls;

	struct proto_reader in;
	char *out; /* bytes not yet accepted by the socket or TLS */
	size_t out_len, out_size;
	size_t tls_inflight; /* a TLS write that said EAGAIN: retry exactly this */

	struct request *requests, *requests_tail; /* FIFO; replies come in order */
	size_t n_requests;

	bool master_fallback; /* PRIMARY refused: MASTER was tried */
	bool probing;	      /* nothing in common: asking what the server picks */
	char probe_why[384];  /* why the real handshake failed */
	char protocol_version[16];
	char message[512];
};

uint64_t conn_now(struct conn *c);
void conn_teardown(struct conn *c);
/* Freed while LOGOUT is still queued (the daemon stops right after the
 * power-off, or in a dry run): send what can go now, and TLS close, so that
 * a primary waiting on NUMLOGINS sees a LOGOUT rather than a lost client. */
void conn_io_last_words(struct conn *c);
void conn_end(struct conn *c, int error, const char *fmt, ...) _printf_(3, 4);
int conn_request(struct conn *c, enum request_kind kind, size_t n, const char *const *words,
		 conn_reply_fn fn, void *userdata);

/* conn-io.c */
int conn_connect(struct conn *c);
/* The handshake found nothing in common: connect again to the same address
 * for a diagnostic handshake (tls_session_new_probe()). 0: under way. */
int conn_probe_start(struct conn *c);
/* Queues a request and its line; redact hides the arguments from messages. */
int conn_enqueue(struct conn *c, enum request_kind kind, size_t n, const char *const *words,
		 bool redact, conn_reply_fn fn, void *userdata);
int conn_update_io(struct conn *c);
int conn_arm_timer(struct conn *c);
void conn_handshake_step(struct conn *c);

/* conn-setup.c */
void conn_setup_begin(struct conn *c);	   /* TCP is up */
void conn_setup_after_tls(struct conn *c); /* handshake done */
