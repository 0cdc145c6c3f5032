/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One session with a UPS server on an sd-event loop: non-blocking connect to
 * every address the name resolves to, STARTTLS or direct TLS, PROTVER (then
 * NETVER) inside TLS before any credential, USERNAME / PASSWORD / LOGIN /
 * PRIMARY (falling back to MASTER), then pipelined requests, each bounded by
 * a timeout. Many sessions share one loop; none ever blocks another.
 *
 * The session does not log above debug level and does not reconnect by
 * itself: it reports failures to its owner, who decides.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "proto.h"
#include "tls.h"

struct conn_config {
	const char *host;	   /* a name or an address literal */
	uint16_t port;		   /* 3493 by default */
	const char *ups;	   /* the UPS name on the server */
	enum tls_mode tls;	   /* TLS_MODE_STARTTLS by default */
	enum tls_version tls_min;  /* the floor: tls_mode_min_version() unless written */
	struct tls_creds *creds;   /* shared, not owned; required unless tls is off */
	const char *server_name;   /* name the certificate must carry; NULL: host */
	const char *pin;	   /* from tls_pin_parse(), or NULL */
	const char *user;	   /* NULL: no USERNAME / PASSWORD */
	const char *password_file; /* read at each login, wiped once sent */
	const char *password;	   /* or the password itself (a one-shot probe), wiped at free */
	bool login;		   /* LOGIN <ups> (counts in NUMLOGINS) */
	bool primary;		   /* PRIMARY <ups>, falling back to MASTER */
	uint64_t connect_timeout;  /* microseconds, per address */
	uint64_t request_timeout;  /* microseconds, per request and TLS handshake */
};

enum conn_state {
	CONN_IDLE,	 /* not started, or ended */
	CONN_CONNECTING, /* TCP */
	CONN_HANDSHAKE,	 /* TLS */
	CONN_SETUP,	 /* STARTTLS, PROTVER, credentials, LOGIN, PRIMARY */
	CONN_READY,	 /* requests welcome */
	CONN_CLOSING,	 /* LOGOUT sent */
	_CONN_STATE_MAX
};

struct conn;

struct conn_callbacks {
	/* The session is set up; requests may be sent. */
	void (*ready)(struct conn *c, void *userdata);
	/*
	 * The session ended and its socket is closed: error < 0 with a sentence
	 * for people, or 0 after conn_close() finished cleanly. Pending
	 * requests have already been completed with the same error.
	 */
	void (*closed)(struct conn *c, int error, const char *message, void *userdata);
};

struct conn_reply {
	enum proto_err err;	       /* PROTO_ERR_NONE, or the server's ERR word */
	const char *err_word;	       /* the ERR word as received */
	const char *value;	       /* GET: the value; commands: the reply's text */
	const struct proto_list *list; /* LIST: the items */
};

/*
 * error: 0 with *reply; -errno from proto_err_to_errno() when the server
 * answered ERR (reply->err says which); another -errno when the session
 * failed before the answer came (reply is NULL).
 */
typedef void (*conn_reply_fn)(struct conn *c, int error, const struct conn_reply *reply,
			      void *userdata);

/* Creates an idle session; strings in cfg are copied. Free with conn_unref(). */
int conn_new(sd_event *e, const struct conn_config *cfg, const struct conn_callbacks *cb,
	     void *userdata, struct conn **ret);
struct conn *conn_ref(struct conn *c);
/* Closes the socket at once (no LOGOUT) and drops the reference. */
struct conn *conn_unref(struct conn *c);

/* Starts (or restarts, after closed) the session. -EBUSY if already running. */
int conn_start(struct conn *c);
/* LOGOUT, then close; closed(0) follows. Without a ready session: at once. */
void conn_close(struct conn *c);

enum conn_state conn_get_state(const struct conn *c);
/* The state the last session was in when it ended: CONN_CONNECTING for a
 * refused or timed-out connect, CONN_HANDSHAKE or CONN_SETUP for a server
 * that answered but failed TLS, the protocol or the login. */
enum conn_state conn_get_ended_in(const struct conn *c);
const char *conn_state_to_string(enum conn_state s);
/* "TLS1.3-..." or "plaintext", once ready. */
const char *conn_describe(struct conn *c, char *buf, size_t len);
/* The protocol version the server gave (PROTVER / NETVER), or "". */
const char *conn_protocol_version(const struct conn *c);
/* The userdata given to conn_new(). */
void *conn_get_userdata(const struct conn *c);
/* The pin of the certificate the server showed in the last session, trusted
 * or not (tls_session_peer_pin()); "" when none. Owned by c. */
const char *conn_peer_pin(const struct conn *c);
/* host and port as given: for messages. */
const char *conn_peer(const struct conn *c);

/* GET <what> <args...>: the answer must repeat <what> <args...> then a value. */
int conn_get(struct conn *c, const char *what, size_t nargs, const char *const *args,
	     conn_reply_fn fn, void *userdata);
/* GET VAR <ups> <var>. */
int conn_get_var(struct conn *c, const char *var, conn_reply_fn fn, void *userdata);
/* LIST <query...>, e.g. {"VAR", "ups1"}. */
int conn_list(struct conn *c, size_t nquery, const char *const *query, conn_reply_fn fn,
	      void *userdata);
/* A command answered by OK or ERR, e.g. {"FSD", "ups1"}. */
int conn_command(struct conn *c, size_t n, const char *const *words, conn_reply_fn fn,
		 void *userdata);
