/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "tls-internal.h"

/* Per floor: TLS 1.3 alone; or 1.3 first and 1.2 as RFC 9325 has it. The
 * TLS 1.2 part: ECDHE or DHE only (forward secrecy), AES-GCM and
 * ChaCha20-Poly1305 only (AEAD: no CBC, so no HMAC-SHA1), no SHA-1
 * signatures. NUT servers built with NSS offer ECDHE-GCM. */
#define PRIORITIES_1_2(kx)                                                                         \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:" kx                                   \
	":-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"                               \
	"-MAC-ALL:+AEAD:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1"
const char *const tls_priorities[_TLS_VERSION_MAX] = {
    [TLS_VERSION_1_2] = PRIORITIES_1_2("+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA"),
    [TLS_VERSION_1_3] = "NORMAL:-VERS-ALL:+VERS-TLS1.3",
};

/* The server's: ECDHE alone in TLS 1.2. RFC 9325 4.1: a server SHOULD NOT
 * offer DHE (a client cannot tell a weak group), and every client we serve
 * (GnuTLS, OpenSSL, NSS) speaks ECDHE. */
const char *const tls_server_priorities[_TLS_VERSION_MAX] = {
    [TLS_VERSION_1_2] = PRIORITIES_1_2("+ECDHE-ECDSA:+ECDHE-RSA"),
    [TLS_VERSION_1_3] = "NORMAL:-VERS-ALL:+VERS-TLS1.3",
};

/* The diagnostic handshake's offer: everything a server may still pick. */
#define PROBE_PRIORITIES                                                                           \
	"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+RSA:+AES-128-CBC:+AES-256-CBC:"  \
	"+3DES-CBC:+SHA1:+SHA256:+SHA384"

/* What the floor requires, for messages. */
static const char *const required[_TLS_VERSION_MAX] = {
    [TLS_VERSION_1_2] = "TLS 1.3, or TLS 1.2 with ECDHE or DHE and AES-GCM or "
			"ChaCha20-Poly1305 (RFC 9325)",
    [TLS_VERSION_1_3] = "TLS 1.3",
};

static const char *const tls_mode_names[_TLS_MODE_MAX] = {
    [TLS_MODE_STARTTLS] = "starttls",
    [TLS_MODE_DIRECT] = "direct",
    [TLS_MODE_OFF] = "off",
};

int tls_mode_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(tls_mode_names); i++)
		if (strcmp(s, tls_mode_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *tls_mode_to_string(enum tls_mode m)
{
	return m < _TLS_MODE_MAX ? tls_mode_names[m] : "invalid";
}

static const char *const tls_version_names[_TLS_VERSION_MAX] = {
    [TLS_VERSION_1_2] = "1.2",
    [TLS_VERSION_1_3] = "1.3",
};

int tls_version_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(tls_version_names); i++)
		if (strcmp(s, tls_version_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *tls_version_to_string(enum tls_version v)
{
	return v < _TLS_VERSION_MAX ? tls_version_names[v] : "invalid";
}

enum tls_version tls_mode_min_version(enum tls_mode m)
{
	return m == TLS_MODE_DIRECT ? TLS_VERSION_1_3 : TLS_VERSION_1_2;
}

static int creds_load(struct tls_creds *c, const struct tls_options *o, char *err, size_t errlen)
{
	int r;

	if (o->ca_file) {
		r = gnutls_certificate_set_x509_trust_file(c->cred, o->ca_file,
							   GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "cannot load CA certificates from %s: %s", o->ca_file,
				 r == 0 ? "no certificate in the file" : gnutls_strerror(r));
			return -EINVAL;
		}
	} else {
		r = gnutls_certificate_set_x509_system_trust(c->cred);
		if (r <= 0) {
			snprintf(err, errlen, "cannot load the system trust store: %s",
				 r == 0 ? "it holds no certificate" : gnutls_strerror(r));
			return -ENOENT;
		}
	}
	if (o->cert_file || o->key_file) {
		if (!o->cert_file || !o->key_file) {
			snprintf(err, errlen,
				 "a client certificate needs both cert-file and key-file");
			return -EINVAL;
		}
		r = gnutls_certificate_set_x509_key_file(c->cred, o->cert_file, o->key_file,
							 GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			snprintf(err, errlen,
				 "cannot load the client certificate %s with key %s: %s",
				 o->cert_file, o->key_file, gnutls_strerror(r));
			return -EINVAL;
		}
	}
	return 0;
}

int tls_creds_new(const struct tls_options *o, struct tls_creds **ret, char *err, size_t errlen)
{
	char dummy[8];
	struct tls_creds *c;
	int r;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refs = 1;
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		return -ENOMEM;
	}
	/* Verification runs inside the handshake, so a rejected server never
	 * sees a byte of application data from us. */
	gnutls_certificate_set_verify_function(c->cred, tls_verify_peer);
	r = 0;
	for (size_t i = 0; i < _TLS_VERSION_MAX && r >= 0; i++) {
		r = gnutls_priority_init(&c->priorities[i], tls_priorities[i], NULL);
		if (r < 0) {
			c->priorities[i] = NULL;
			snprintf(err, errlen, "cannot set the TLS priorities: %s",
				 gnutls_strerror(r));
			r = -EINVAL;
		}
	}
	if (r >= 0)
		r = creds_load(c, o, err, errlen);
	if (r >= 0 &&
	    asprintf(&c->trust, "%s%s", o->ca_file ? "ca-file " : "the system trust store",
		     o->ca_file ? o->ca_file : "") < 0) {
		c->trust = NULL;
		r = -ENOMEM;
	}
	if (r < 0) {
		tls_creds_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct tls_creds *tls_creds_ref(struct tls_creds *c)
{
	if (c)
		c->refs++;
	return c;
}

struct tls_creds *tls_creds_free(struct tls_creds *c)
{
	if (c && --c->refs == 0) {
		gnutls_certificate_free_credentials(c->cred);
		for (size_t i = 0; i < _TLS_VERSION_MAX; i++)
			if (c->priorities[i])
				gnutls_priority_deinit(c->priorities[i]);
		free(c->trust);
		free(c);
	}
	return NULL;
}

static bool is_base64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

int tls_pin_parse(const char *s, char out[TLS_PIN_LEN + 1])
{
	if (strncmp(s, "sha256//", 8) == 0)
		s += 8;
	/* 32 bytes encode to 43 significant characters and one '='. */
	if (strlen(s) != TLS_PIN_LEN || s[TLS_PIN_LEN - 1] != '=')
		return -EINVAL;
	for (size_t i = 0; i < TLS_PIN_LEN - 1; i++)
		if (!is_base64_char(s[i]))
			return -EINVAL;
	memcpy(out, s, TLS_PIN_LEN + 1);
	return 0;
}

/* GnuTLS reads a record's 5-byte header, then its body, each with its own
 * recv(), and then one more that says EAGAIN: three system calls for the
 * one small record that answers a poll. Reading ahead makes it one. A read
 * that came up short found the socket empty: the next pull with nothing
 * buffered says EAGAIN without asking the kernel again. That cannot lose
 * data: the socket's readiness is level-triggered, so whatever arrived
 * since wakes the loop again. */
ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
	struct tls_session *s = ptr;
	size_t n;

	if (s->in_pos == s->in_len) {
		ssize_t k;

		if (s->in_drained) {
			s->in_drained = false;
			gnutls_transport_set_errno(s->session, EAGAIN);
			return -1;
		}
		do
			k = recv(s->fd, s->in, sizeof(s->in), 0);
		while (k < 0 && errno == EINTR);
		if (k <= 0) {
			if (k < 0)
				gnutls_transport_set_errno(s->session, errno);
			return k;
		}
		s->in_pos = 0;
		s->in_len = (size_t)k;
		s->in_drained = s->in_len < sizeof(s->in);
	}
	n = s->in_len - s->in_pos;
	if (n > size)
		n = size;
	memcpy(data, s->in + s->in_pos, n);
	s->in_pos += n;
	s->in_used += n;
	return (ssize_t)n;
}

/* A TLS 1.3 server that refuses our client certificate sends an alert and
 * resets the connection, often while our first request is on its way: the
 * write fails with ECONNRESET before we have read the alert. GnuTLS would
 * invalidate the session on that write, and the alert - the one message
 * that says what is wrong - could never be read. So the first reset a write
 * meets is "try later", which lets the owner read what arrived; the next
 * one is the error. */
ssize_t tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_session *s = ptr;
	struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
	ssize_t k;

	do
		k = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0 && (errno == ECONNRESET || errno == EPIPE) && !s->reset_seen) {
		s->reset_seen = true;
		s->in_drained = false; /* the next read must ask the kernel */
		gnutls_transport_set_errno(s->session, EAGAIN);
		return -1;
	}
	if (k < 0)
		gnutls_transport_set_errno(s->session, errno);
	return k;
}

/* Only asked when a timeout is set (none is: the owner's timers bound every
 * phase), but GnuTLS must have one next to a custom pull. */
int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct tls_session *s = ptr;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};

	if (s->in_pos < s->in_len)
		return 1;
	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

int tls_set_error(struct tls_session *s, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return error;
}

static int session_create(struct tls_creds *c, int fd, const char *verify_name, const char *pin,
			  enum tls_version min, struct tls_session **ret)
{
	struct tls_session *s;
	int r;

	if (min >= _TLS_VERSION_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->verify_name = strdup(verify_name);
	if (!s->verify_name || gnutls_init(&s->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		tls_session_free(s);
		return -ENOMEM;
	}
	if (pin)
		snprintf(s->pin, sizeof(s->pin), "%s", pin);
	s->min = min;
	r = gnutls_priority_set(s->session, c->priorities[min]);
	if (r >= 0)
		r = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, c->cred);
	/* SNI carries names only; RFC 6066 forbids IP literals there. */
	if (r >= 0 && !tls_is_ip_literal(verify_name))
		r = gnutls_server_name_set(s->session, GNUTLS_NAME_DNS, verify_name,
					   strlen(verify_name));
	if (r < 0) {
		tls_session_free(s);
		return -EINVAL;
	}
	s->trust = c->trust;
	s->fd = fd;
	gnutls_session_set_ptr(s->session, s);
	gnutls_transport_set_ptr(s->session, s);
	gnutls_transport_set_vec_push_function(s->session, tls_push);
	gnutls_transport_set_pull_function(s->session, tls_pull);
	gnutls_transport_set_pull_timeout_function(s->session, tls_pull_timeout);
	/* The session's owner bounds every phase with its own timer. */
	gnutls_handshake_set_timeout(s->session, 0);
	*ret = s;
	return 0;
}

int tls_session_new(struct tls_creds *c, int fd, const char *verify_name, const char *pin,
		    enum tls_version min, struct tls_session **ret)
{
	return session_create(c, fd, verify_name, pin, min, ret);
}

/* The suite the server picked, from the ServerHello itself: version (2),
 * random (32), session id (1 + n), cipher suite (2). */
static int server_hello_suite(const gnutls_datum_t *msg, unsigned char version[2],
			      unsigned char suite[2])
{
	size_t at = 2 + 32;

	if (msg->size < at + 1 || msg->size < at + 1 + msg->data[at] + 2)
		return -EBADMSG;
	memcpy(version, msg->data, 2);
	at += 1 + msg->data[at];
	memcpy(suite, msg->data + at, 2);
	return 0;
}

static const char *version_name(const unsigned char v[2])
{
	if (v[0] != 3 || v[1] > 3)
		return "an unknown TLS version";
	return (const char *const[]){"SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2"}[v[1]];
}

static void probe_describe(struct tls_session *s, const unsigned char v[2],
			   const unsigned char id[2])
{
	unsigned char cs[2];
	gnutls_kx_algorithm_t kx = GNUTLS_KX_UNKNOWN;
	gnutls_cipher_algorithm_t cipher = GNUTLS_CIPHER_UNKNOWN;
	gnutls_mac_algorithm_t mac = GNUTLS_MAC_UNKNOWN;
	gnutls_protocol_t min;
	const char *name = NULL;
	char weak[128];
	bool aead;

	for (size_t i = 0; (name = gnutls_cipher_suite_info(i, cs, &kx, &cipher, &mac, &min)); i++)
		if (cs[0] == id[0] && cs[1] == id[1])
			break;
	aead = cipher == GNUTLS_CIPHER_AES_128_GCM || cipher == GNUTLS_CIPHER_AES_256_GCM ||
	       cipher == GNUTLS_CIPHER_CHACHA20_POLY1305;
	snprintf(weak, sizeof(weak), "%s%s%s%s%s",
		 v[0] == 3 && v[1] < 3 ? ", an obsolete TLS version (RFC 8996)" : "",
		 s->min == TLS_VERSION_1_3 && v[0] == 3 && v[1] == 3 ? ", not TLS 1.3" : "",
		 kx == GNUTLS_KX_RSA ? ", no forward secrecy" : "", aead ? "" : ", CBC",
		 mac == GNUTLS_MAC_SHA1 ? ", SHA-1" : "");
	tls_set_error(s, -EPROTONOSUPPORT, "%s with %s (%s)", version_name(v),
		      name ? name : "a cipher suite unknown to GnuTLS",
		      weak[0] ? weak + 2
			      : "which upsagent accepts: what failed is elsewhere, such as the "
				"signature algorithms or key exchange groups");
}

/* Post ServerHello: note what the server picked and stop there. */
static int probe_hook(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
		      const gnutls_datum_t *msg)
{
	struct tls_session *s = gnutls_session_get_ptr(session);
	unsigned char version[2], suite[2];

	if (htype != GNUTLS_HANDSHAKE_SERVER_HELLO || !when || !incoming)
		return 0;
	if (server_hello_suite(msg, version, suite) < 0)
		tls_set_error(s, -EPROTONOSUPPORT, "%s", "a ServerHello too short to read");
	else
		probe_describe(s, version, suite);
	return GNUTLS_E_USER_ERROR; /* abort: nothing more is wanted from it */
}

int tls_session_new_probe(struct tls_creds *c, int fd, const char *verify_name,
			  enum tls_version min, struct tls_session **ret)
{
	struct tls_session *s;
	int r = session_create(c, fd, verify_name, NULL, min, &s);

	if (r < 0)
		return r;
	if (gnutls_priority_set_direct(s->session, PROBE_PRIORITIES, NULL) < 0) {
		tls_session_free(s);
		return -EINVAL;
	}
	s->probe = true;
	gnutls_handshake_set_hook_function(s->session, GNUTLS_HANDSHAKE_SERVER_HELLO,
					   GNUTLS_HOOK_POST, probe_hook);
	*ret = s;
	return 0;
}

struct tls_session *tls_session_free(struct tls_session *s)
{
	if (s) {
		if (s->session)
			gnutls_deinit(s->session);
		free(s->verify_name);
		free(s);
	}
	return NULL;
}

/* What an alert about our client certificate asks of the administrator.
 * TLS 1.3 servers send these after the handshake, on the first read. */
static const char *alert_hint(gnutls_alert_description_t alert)
{
	switch (alert) {
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		return ": the server wants a client certificate (set cert-file and key-file)";
	case GNUTLS_A_UNKNOWN_CA:
		return ": the server does not trust the issuer of our client certificate "
		       "(cert-file)";
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
		return ": the server rejected our client certificate (cert-file, key-file)";
	case GNUTLS_A_CERTIFICATE_EXPIRED:
		return ": the server says our client certificate has expired (cert-file)";
	case GNUTLS_A_CERTIFICATE_REVOKED:
		return ": the server says our client certificate was revoked (cert-file)";
	case GNUTLS_A_ACCESS_DENIED:
		return ": the server refused us access";
	default:
		return "";
	}
}

/* The server's last alert, named as RFC 8446 names it (certificate_required);
 * GnuTLS 3.7 spells it GNUTLS_A_CERTIFICATE_REQUIRED. */
static const char *alert_name(struct tls_session *s, char *buf, size_t len)
{
	const char *name = gnutls_alert_get_strname(gnutls_alert_get(s->session));
	size_t i;

	if (!name)
		name = "(unknown)";
	if (strncmp(name, "GNUTLS_A_", 9) == 0)
		name += 9;
	for (i = 0; name[i] && i < len - 1; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

static int alert_error(struct tls_session *s, const char *when)
{
	char name[64];

	return tls_set_error(s, -EPROTO, "the server %s with TLS alert %s%s", when,
			     alert_name(s, name, sizeof(name)),
			     alert_hint(gnutls_alert_get(s->session)));
}

/* Translates a fatal handshake code into -errno and a sentence. */
static int handshake_error(struct tls_session *s, int r)
{
	gnutls_alert_description_t alert;
	char name[64];

	if (s->probe && r == GNUTLS_E_USER_ERROR)
		return -EPROTONOSUPPORT; /* probe_hook() said what the server picked */
	if (s->handshake_error)		 /* a server session: tls-server.c words it */
		return s->handshake_error(s, r);

	switch (r) {
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		return s->verify_error < 0 ? s->verify_error : -EKEYREJECTED;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
		return tls_set_error(
		    s, -EPROTONOSUPPORT,
		    "the server answered with a TLS version or cipher suite upsagent "
		    "does not accept (%s); upsagent requires %s",
		    gnutls_strerror(r), required[s->min]);
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		alert = gnutls_alert_get(s->session);
		if (alert == GNUTLS_A_PROTOCOL_VERSION || alert == GNUTLS_A_INSUFFICIENT_SECURITY ||
		    alert == GNUTLS_A_HANDSHAKE_FAILURE)
			return tls_set_error(
			    s, -EPROTONOSUPPORT,
			    "the server has no TLS version and cipher suite in common "
			    "with upsagent (alert %s); upsagent requires %s",
			    alert_name(s, name, sizeof(name)), required[s->min]);
		return alert_error(s, "aborted the TLS handshake");
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return tls_set_error(s, -ECONNRESET, "%s",
				     "the server closed the connection during the TLS handshake");
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_RECORD_OVERFLOW:
		return tls_set_error(
		    s, -EPROTO, "%s",
		    "the server did not answer in TLS (a plaintext port? check the "
		    "tls mode)");
	default:
		return tls_set_error(s, -EPROTO, "TLS handshake failed: %s", gnutls_strerror(r));
	}
}

int tls_session_handshake(struct tls_session *s)
{
	int r;

	for (;;) {
		r = gnutls_handshake(s->session);
		if (r == 0)
			return 0;
		if (r == GNUTLS_E_AGAIN)
			return -EAGAIN;
		/* Interrupted calls and warning alerts: just go on. */
		if (r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(r))
			continue;
		return handshake_error(s, r);
	}
}

bool tls_session_want_write(struct tls_session *s)
{
	return gnutls_record_get_direction(s->session) == 1;
}

static ssize_t record_error(struct tls_session *s, ssize_t r)
{
	switch (r) {
	case GNUTLS_E_AGAIN:
		return -EAGAIN;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return tls_set_error(s, -ECONNRESET, "%s",
				     "the connection was closed without TLS close");
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return alert_error(s, "ended the TLS session");
	case GNUTLS_E_INVALID_SESSION:
		/* A write after GnuTLS has taken in the server's fatal alert
		 * (close_notify is 0: no alert) says only "invalidated". */
		if (gnutls_alert_get(s->session) != GNUTLS_A_CLOSE_NOTIFY)
			return alert_error(s, "ended the TLS session");
		return tls_set_error(s, -EPROTO, "TLS error: %s", gnutls_strerror((int)r));
	default:
		return tls_set_error(s, -EPROTO, "TLS error: %s", gnutls_strerror((int)r));
	}
}

ssize_t tls_session_read(struct tls_session *s, void *buf, size_t n)
{
	ssize_t r;
	uint64_t before;

	/* After a post-handshake message (a TLS 1.3 session ticket) GnuTLS
	 * says EAGAIN without asking for more: bytes read ahead may hold the
	 * next record, and no event would come for them. Go on while it eats. */
	do {
		before = s->in_used;
		r = gnutls_record_recv(s->session, buf, n);
	} while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_WARNING_ALERT_RECEIVED ||
		 (r == GNUTLS_E_AGAIN && s->in_pos < s->in_len && s->in_used != before));
	return r >= 0 ? r : record_error(s, r);
}

ssize_t tls_session_write(struct tls_session *s, const void *buf, size_t n)
{
	ssize_t r;

	do
		r = gnutls_record_send(s->session, buf, n);
	while (r == GNUTLS_E_INTERRUPTED);
	return r >= 0 ? r : record_error(s, r);
}

void tls_session_bye(struct tls_session *s)
{
	/* GNUTLS_SHUT_WR: send close_notify, do not wait for the peer's. */
	(void)gnutls_bye(s->session, GNUTLS_SHUT_WR);
}

const char *tls_session_error(const struct tls_session *s)
{
	return s->error;
}

const char *tls_session_describe(struct tls_session *s, char *buf, size_t len)
{
	char *desc = gnutls_session_get_desc(s->session);

	snprintf(buf, len, "%s", desc ? desc : "TLS");
	gnutls_free(desc);
	return buf;
}
