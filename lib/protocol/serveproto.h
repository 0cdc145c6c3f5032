/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server side of the NUT network protocol (RFC 9271, protocol 1.3): one
 * client's request lines in, reply lines out, as upsd answers them. Pure: no
 * I/O, no clock, no logging; the server around it (agent/serve.c) owns the
 * sockets and TLS, and answers the lookups in struct serve_ops.
 *
 * Read-only by design: SET, INSTCMD and the like are refused. The one
 * command that changes anything is FSD, from an authenticated primary user.
 * Nothing a client sends is echoed unescaped, and every reply is bounded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "varlist.h"

#define SERVE_PROTOCOL_VERSION	"1.3"
#define SERVE_AUTH_FAILURES_MAX 3 /* failed authentications before the session is closed */

enum serve_role {
	SERVE_ROLE_NONE = 0,
	SERVE_ROLE_SECONDARY, /* LOGIN; no PRIMARY, no FSD */
	SERVE_ROLE_PRIMARY,   /* LOGIN, PRIMARY/MASTER, FSD */
};

/* What the protocol asks of the server around it. ud is serve_handle()'s. */
struct serve_ops {
	size_t (*ups_count)(void *ud);
	const char *(*ups_name)(void *ud, size_t i);
	const char *(*ups_desc)(void *ud, size_t i); /* NULL: "Unavailable" */
	/*
	 * The UPS's current variables (FSD already in ups.status while latched):
	 * 0 and *ret; -ESTALE (ERR DATA-STALE) when the source has no fresh
	 * reading; -ENOTCONN (ERR DRIVER-NOT-CONNECTED) when it never had one.
	 */
	int (*ups_vars)(void *ud, size_t i, const struct varlist **ret);
	unsigned (*ups_numlogins)(void *ud, size_t i);
	/* LIST CLIENT: fn once per client logged into UPS i, with its address. */
	void (*ups_clients)(void *ud, size_t i, void (*fn)(const char *addr, void *ctx), void *ctx);
	/*
	 * Who the client is: user and password as given (either may be NULL),
	 * cert_name the name of its verified client certificate (or NULL);
	 * clear: they came before any TLS (a legacy plaintext login), which
	 * only users allowed it may do. Returns 0 and *ret, or -EACCES.
	 */
	int (*authenticate)(void *ud, const char *user, const char *password, const char *cert_name,
			    bool clear, enum serve_role *ret);
	/* FSD <ups> from a primary user: latch forced shutdown on UPS i. 0 or -errno. */
	int (*set_fsd)(void *ud, size_t i, const char *user);
};

/* One client's protocol state. The caller sets the first block. */
struct serve_session {
	bool tls;	  /* the session runs under TLS now */
	bool starttls_ok; /* the listener offers STARTTLS */
	bool plain_ok;	  /* plaintext allowed (loopback listener written so) */
	/* A plaintext listener that faces the network: reads only (VER, HELP,
	 * NETVER, PROTVER, LIST, GET, LOGOUT); USERNAME, PASSWORD, LOGIN,
	 * PRIMARY, FSD, SET and INSTCMD get ERR ACCESS-DENIED before any word
	 * of theirs is kept, so no credential is taken and no login counted. */
	bool reads_only;
	/* Before TLS, a user allowed plaintext logins (ops->authenticate()
	 * with clear) may log in and then do all but FSD, as upsd let every
	 * client without FORCESSL: for the hosts not yet moved to STARTTLS. */
	bool legacy_logins;
	const char *cert_name; /* the verified client certificate's name, or NULL */

	char *username, *password; /* as given; the password is wiped by serve_session_done() */
	int login;		   /* UPS index of LOGIN, or -1 */
	bool primary;		   /* PRIMARY/MASTER granted */
	enum serve_role role;	   /* once authenticated */
	unsigned auth_failures;

	/* What the caller must do once the replies are flushed; set by serve_handle(). */
	bool want_starttls; /* start the TLS handshake (OK STARTTLS was sent) */
	bool want_close;    /* LOGOUT, or too many failed authentications */
	bool login_changed; /* LOGIN succeeded: NUMLOGINS changed */
	bool auth_tried;    /* ops->authenticate() was asked (its answer may be paced) */
};

void serve_session_init(struct serve_session *s);
void serve_session_done(struct serve_session *s);

/* Reply bytes, bounded: past max, overflow is set and nothing more is kept. */
struct serve_out {
	char *buf;
	size_t len, allocated, max;
	bool overflow;
};

void serve_out_init(struct serve_out *o, size_t max);
/* Drops the first n bytes (they were sent). */
void serve_out_consume(struct serve_out *o, size_t n);
void serve_out_done(struct serve_out *o);

/*
 * One request line (without LF; the caller's reader enforces 4096 bytes and
 * refuses control bytes) answered into out. Returns 0, or -ENOMEM. Protocol
 * errors are replies (ERR ...), not return values.
 */
int serve_handle(struct serve_session *s, const struct serve_ops *ops, void *ud, const char *line,
		 struct serve_out *out);
