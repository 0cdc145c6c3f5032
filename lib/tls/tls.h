/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS for UPS sessions. Every GnuTLS call of the project lives in tls.c;
 * GnuTLS error codes are translated to -errno here, and failures that a
 * person must act on (certificate not trusted, name mismatch, expired, pin
 * mismatch, no common protocol version) come with a sentence in
 * tls_session_error().
 *
 * Protocol versions: TLS 1.3, and TLS 1.2 only above a floor of 1.2 and then
 * as RFC 9325 asks: forward-secret key exchange (ECDHE, DHE) with an AEAD
 * cipher (AES-GCM, ChaCha20-Poly1305); no RSA key exchange, no CBC, no SHA-1.
 * Nothing older, ever.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum tls_mode {
	TLS_MODE_STARTTLS, /* plaintext connect, STARTTLS, then TLS (the default) */
	TLS_MODE_DIRECT,   /* TLS from the first byte (stunnel, port 401 shims) */
	TLS_MODE_OFF,	   /* plaintext: only when the administrator asks for it */
	_TLS_MODE_MAX
};

/* -EINVAL for an unknown name. */
int tls_mode_from_string(const char *s);
const char *tls_mode_to_string(enum tls_mode m);

/* Port 401 carries the protocol over TLS 1.3 from the first byte; 3493
 * stays for STARTTLS (and plaintext). */
#define TLS_DIRECT_PORT 401

enum tls_version { TLS_VERSION_1_2, TLS_VERSION_1_3, _TLS_VERSION_MAX };

/* "1.2" or "1.3"; -EINVAL for anything else. */
int tls_version_from_string(const char *s);
const char *tls_version_to_string(enum tls_version v);
/* The floor a mode has unless one is written: 1.3 for direct (port 401),
 * 1.2 for STARTTLS (upsd 2.8 built with NSS may offer no more). */
enum tls_version tls_mode_min_version(enum tls_mode m);

/* How to authenticate the server (and, optionally, ourselves). */
struct tls_options {
	const char *ca_file;   /* PEM bundle of trusted CAs; NULL: the system trust store */
	const char *cert_file; /* client certificate (PEM), optional, with key_file */
	const char *key_file;
};

/*
 * Credentials: the trust store and the client certificate, loaded once and
 * shared by every session with the same options. Free with tls_creds_free().
 * On failure, err (if not NULL) receives a sentence naming the file.
 */
struct tls_creds;
int tls_creds_new(const struct tls_options *o, struct tls_creds **ret, char *err, size_t errlen);
/* Drops a reference (tls_creds_new() gives one); the last frees. NULL-safe. */
struct tls_creds *tls_creds_free(struct tls_creds *c);
/* One more reference, for a session that may outlive its creator's: c. */
struct tls_creds *tls_creds_ref(struct tls_creds *c);

/* A SHA-256 pin of a SubjectPublicKeyInfo: 44 base64 characters. */
#define TLS_PIN_LEN 44
/* 0 if s is a well-formed pin (an optional "sha256//" prefix is accepted), else -EINVAL. */
int tls_pin_parse(const char *s, char out[TLS_PIN_LEN + 1]);

/*
 * One client session over a connected, non-blocking socket (not owned).
 * verify_name: the name the certificate must carry (a host name or an IP
 * address literal). pin: NULL, or a pin from tls_pin_parse(); with a pin the
 * server's public key is the trust anchor and neither the chain nor the name
 * is checked: that is what pinning a self-signed server means.
 */
struct tls_session;
int tls_session_new(struct tls_creds *c, int fd, const char *verify_name, const char *pin,
		    enum tls_version min, struct tls_session **ret);
struct tls_session *tls_session_free(struct tls_session *s);

/*
 * After a handshake that found nothing in common (-EPROTONOSUPPORT): a
 * second handshake, on a new connection, that offers what we refuse (TLS
 * 1.0 and 1.1, RSA key exchange, CBC, SHA-1) only to learn what the server
 * picks. It stops right after the ServerHello: no certificate is looked at,
 * nothing is sent inside TLS, ever. tls_session_handshake() then fails with
 * -EPROTONOSUPPORT and tls_session_error() names the server's choice, e.g.
 * "TLS 1.2 with TLS_RSA_AES_128_CBC_SHA1 (no forward secrecy, CBC, SHA-1)";
 * min is the floor the real handshake had, for that judgement.
 */
int tls_session_new_probe(struct tls_creds *c, int fd, const char *verify_name,
			  enum tls_version min, struct tls_session **ret);

/*
 * Drives the handshake. 0: done and verified. -EAGAIN: call again when the
 * socket is ready in the direction tls_session_want_write() says.
 * Otherwise a negative errno: -EKEYREJECTED (not trusted, name or pin
 * mismatch), -EKEYEXPIRED (expired or not yet valid), -EPROTONOSUPPORT (no
 * common protocol version), -ECONNRESET, -EPROTO; tls_session_error() says
 * what happened.
 */
int tls_session_handshake(struct tls_session *s);
bool tls_session_want_write(struct tls_session *s);

/* >0 bytes, 0 at a clean end of stream, -EAGAIN, or another -errno. */
ssize_t tls_session_read(struct tls_session *s, void *buf, size_t n);
/* >0 bytes written, -EAGAIN (call again with the same data), or another -errno. */
ssize_t tls_session_write(struct tls_session *s, const void *buf, size_t n);
/* Sends close_notify without waiting for the peer's. */
void tls_session_bye(struct tls_session *s);

/*
 * The pin (SPKI SHA-256, as pin-sha256 takes it) of the certificate the
 * server showed in this handshake, whether or not it was trusted: what a
 * first contact may pin. "" when the server showed none (yet). Owned by s.
 */
const char *tls_session_peer_pin(const struct tls_session *s);

/* A sentence for the last failure, or "" when none. */
const char *tls_session_error(const struct tls_session *s);
/* "TLS1.3 / ECDHE-X25519 / AES-256-GCM"-style description, for logs. */
const char *tls_session_describe(struct tls_session *s, char *buf, size_t len);

/*
 * The server side (tls-server.c): our certificate and key, and optionally
 * the CA that issues client certificates. Sessions then use the same
 * handshake/read/write/free calls as client sessions.
 */
struct tls_server_options {
	const char *cert_file; /* PEM: our certificate, then its chain */
	const char *key_file;  /* PEM: its private key */
	const char *client_ca_file;  /* NULL: no client certificates asked for */
	const char *client_crl_file; /* PEM CRLs of that CA: revoked certificates are refused */
	bool client_cert_required;   /* with client_ca_file: no certificate, no session */
};

/* What a client certificate's subjectAltName must be to name a user. */
enum tls_name_type {
	TLS_NAME_DNS,	/* dNSName */
	TLS_NAME_EMAIL, /* rfc822Name */
	_TLS_NAME_TYPE_MAX
};

int tls_server_creds_new(const struct tls_server_options *o, struct tls_creds **ret, char *err,
			 size_t errlen);
/*
 * One server session over an accepted, non-blocking socket (not owned).
 * min: TLS_VERSION_1_3 on port 401; TLS_VERSION_1_2 (RFC 9325 suites only)
 * after STARTTLS, where NUT's own clients may not speak 1.3.
 */
int tls_server_session_new(struct tls_creds *c, int fd, enum tls_version min,
			   struct tls_session **ret);
/*
 * After the handshake: the client's certificate chained to the clients' CA,
 * is not revoked by client_crl_file, is valid now, and allows clientAuth
 * when it lists extended key usages. A refused one ended the handshake with
 * the alert that says why (RFC 8446 6.2), as does every refused handshake.
 */
bool tls_session_peer_verified(const struct tls_session *s);
/* And carries name as a subjectAltName of that type (ASCII case aside). */
bool tls_session_peer_has_name(struct tls_session *s, enum tls_name_type type, const char *name);
/* The fatal alert a refused handshake sent, as GnuTLS names it ("Unknown CA"), or NULL. */
const char *tls_session_alert_sent(const struct tls_session *s);

/*
 * tls-foreign.c: sessions another library runs over GnuTLS (libmicrohttpd).
 * The GnuTLS priority string of our floor min (RFC 9325 suites for 1.2).
 */
const char *tls_priority_string(enum tls_version min);
/* The client certificate of session (a gnutls_session_t): 1 when it chains
 * to the trust of the session's credentials and is valid now, 0 when the
 * client sent none, -EKEYREJECTED when it does not verify. */
int tls_foreign_peer_check(void *session);
