/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the TLS module, shared by tls.c (credentials, sessions, records)
 * and tls-verify.c (what makes a server's certificate acceptable). Nothing
 * outside lib/tls*.c includes this.
 */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>

#include "tls.h"

struct tls_creds {
	gnutls_certificate_credentials_t cred;
	/* priorities[] parsed once: GnuTLS counts the sessions that use them,
	 * where gnutls_priority_set_direct() parsed ~8 KiB for each session. */
	gnutls_priority_t priorities[_TLS_VERSION_MAX];
	char *trust; /* "ca-file /path" or "the system trust store", for messages */
	bool server; /* tls-server.c: our certificate, and the clients' CA if any */
	unsigned refs; /* tls_creds_ref(): a server session may outlive its server's reload */
};

struct tls_session {
	gnutls_session_t session;
	char *verify_name;
	const char *trust;	   /* tls_creds::trust */
	char pin[TLS_PIN_LEN + 1]; /* "" when not pinning */
	/* The pin of the certificate the server showed, verified or not: what
	 * an administrator would pin (tls_session_peer_pin()); "" before. */
	char peer_pin[TLS_PIN_LEN + 1];
	enum tls_version min;
	bool probe;	    /* tls_session_new_probe(): stop at the ServerHello */
	int verify_error;   /* set by verify_peer() when it rejects */
	bool server;	    /* we are the server (tls-server.c) */
	bool peer_verified; /* server: the client's certificate chains to the clients' CA */
	unsigned verify_status; /* server: gnutls_certificate_status_t of a refused certificate */
	int alert_sent;		/* server: the fatal alert sent on a refused handshake, or -1 */
	/* Server sessions: a failed handshake in words about the client (tls-server.c). */
	int (*handshake_error)(struct tls_session *s, int r);
	char error[384];
	/* Read ahead from the socket: see tls_pull(). */
	int fd;
	bool reset_seen; /* a write found the connection reset: see tls_push() */
	bool in_drained;
	size_t in_pos, in_len;
	uint64_t in_used; /* bytes handed to GnuTLS, ever */
	unsigned char in[512];
};

/* tls-verify.c: GnuTLS calls this during the handshake; non-zero aborts it. */
int tls_verify_peer(gnutls_session_t session);
/* An IPv4 or IPv6 address literal (SNI must not carry one). */
bool tls_is_ip_literal(const char *name);

/* tls.c: the socket transport and the priority strings, shared with tls-server.c. */
extern const char *const tls_priorities[_TLS_VERSION_MAX];
extern const char *const tls_server_priorities[_TLS_VERSION_MAX];
ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t size);
ssize_t tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt);
int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms);
int tls_set_error(struct tls_session *s, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
