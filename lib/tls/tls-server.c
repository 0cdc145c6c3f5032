/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS for the server (agent/serve.c): credentials with our certificate and
 * key, sessions on accepted sockets, and the client certificate's check.
 *
 * A client certificate is asked for only when a clients' CA is configured.
 * It is verified inside the handshake: a certificate that does not chain to
 * that CA, is revoked, has expired or does not allow clientAuth ends the
 * handshake with the alert that says so (server_send_alert()), so a client
 * that presents a bad one never gets to send a line. A client without one is let
 * in unless client certificates are required; passwords then decide.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls-internal.h"

static int server_handshake_error(struct tls_session *s, int r);

/* Why a client certificate was refused, in words and as the alert that
 * tells the client (RFC 8446 6.2, RFC 5246 7.2.2). */
static const struct {
	unsigned status; /* a gnutls_certificate_status_t bit */
	gnutls_alert_description_t alert;
	const char *why;
} refusals[] = {
    {GNUTLS_CERT_REVOKED, GNUTLS_A_CERTIFICATE_REVOKED, "is revoked (client-crl-file lists it)"},
    {GNUTLS_CERT_EXPIRED, GNUTLS_A_CERTIFICATE_EXPIRED, "has expired"},
    {GNUTLS_CERT_NOT_ACTIVATED, GNUTLS_A_CERTIFICATE_EXPIRED, "is not valid yet"},
    {GNUTLS_CERT_PURPOSE_MISMATCH, GNUTLS_A_UNSUPPORTED_CERTIFICATE,
     "does not allow client authentication (its extended key usage lacks clientAuth)"},
    {GNUTLS_CERT_SIGNER_NOT_FOUND, GNUTLS_A_UNKNOWN_CA, "is not from the clients' CA"},
    {GNUTLS_CERT_SIGNER_NOT_CA, GNUTLS_A_UNKNOWN_CA, "is not from the clients' CA"},
};

static int verify_client(gnutls_session_t session)
{
	struct tls_session *s = gnutls_session_get_ptr(session);
	/* The whole chain must allow clientAuth if it lists key purposes. */
	gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
					 .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT};
	const char *why = "could not be verified";
	unsigned status = 0;
	int r;

	/* No certificate: allowed here; GNUTLS_CERT_REQUIRE refuses it earlier when required. */
	if (!gnutls_certificate_get_peers(session, NULL))
		return 0;
	r = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (r >= 0 && status == 0) {
		s->peer_verified = true;
		return 0;
	}
	s->verify_status = r < 0 ? GNUTLS_CERT_INVALID : status;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (s->verify_status & refusals[i].status) {
			why = refusals[i].why;
			break;
		}
	tls_set_error(s, -EKEYREJECTED, "the client's certificate %s", why);
	s->verify_error = -EKEYREJECTED;
	return -1;
}

/* The alert for a refused certificate: the first reason that applies. */
static gnutls_alert_description_t refusal_alert(unsigned status)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (status & refusals[i].status)
			return refusals[i].alert;
	return GNUTLS_A_BAD_CERTIFICATE;
}

/* The fatal alert that ends a refused handshake, so that the client learns
 * why instead of seeing a bare close. None when the client is gone already
 * or ended it itself. A full socket loses it: the close still says no. */
static void server_send_alert(struct tls_session *s, int r)
{
	int alert, level = GNUTLS_AL_FATAL;

	switch (r) {
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return;
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		alert = (int)refusal_alert(s->verify_status);
		break;
	case GNUTLS_E_KEY_USAGE_VIOLATION: /* a certificate that may not sign: not a client's */
		alert = GNUTLS_A_UNSUPPORTED_CERTIFICATE;
		break;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH: /* not TLS at all: plaintext on a TLS port */
	case GNUTLS_E_UNEXPECTED_PACKET:
		alert = GNUTLS_A_UNEXPECTED_MESSAGE;
		break;
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
		/* RFC 8446 4.2.1: a client that cannot speak TLS 1.3 to a
		 * 1.3-only listener learns that the version is what failed */
		alert = s->min == TLS_VERSION_1_3 &&
				gnutls_protocol_get_version(s->session) != GNUTLS_TLS1_3
			    ? GNUTLS_A_PROTOCOL_VERSION
			    : gnutls_error_to_alert(r, &level);
		break;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		/* RFC 8446 4.4.2.4; TLS 1.2 has no such alert (RFC 5246 7.4.6) */
		alert = gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3
			    ? GNUTLS_A_CERTIFICATE_REQUIRED
			    : GNUTLS_A_HANDSHAKE_FAILURE;
		break;
	default:
		alert = gnutls_error_to_alert(r, &level);
		if (alert < 0 || level != GNUTLS_AL_FATAL)
			alert = GNUTLS_A_HANDSHAKE_FAILURE;
	}
	if (gnutls_alert_send(s->session, GNUTLS_AL_FATAL, (gnutls_alert_description_t)alert) >= 0)
		s->alert_sent = alert;
}

const char *tls_session_alert_sent(const struct tls_session *s)
{
	return s->alert_sent >= 0 ? gnutls_alert_get_name((gnutls_alert_description_t)s->alert_sent)
				  : NULL;
}

static int creds_load_server(struct tls_creds *c, const struct tls_server_options *o, char *err,
			     size_t errlen)
{
	int r;

	r = gnutls_certificate_set_x509_key_file(c->cred, o->cert_file, o->key_file,
						 GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(err, errlen, "cannot load the server certificate %s with key %s: %s",
			 o->cert_file, o->key_file, gnutls_strerror(r));
		return -EINVAL;
	}
	if (o->client_ca_file) {
		r = gnutls_certificate_set_x509_trust_file(c->cred, o->client_ca_file,
							   GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "cannot load the clients' CA from %s: %s",
				 o->client_ca_file,
				 r == 0 ? "no certificate in the file" : gnutls_strerror(r));
			return -EINVAL;
		}
	}
	/* After the CA: GnuTLS keeps only the CRLs that a trusted CA signed. */
	if (o->client_ca_file && o->client_crl_file) {
		r = gnutls_certificate_set_x509_crl_file(c->cred, o->client_crl_file,
							 GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "cannot load CRLs from %s: %s", o->client_crl_file,
				 r == 0 ? "no CRL signed by the clients' CA in the file"
					: gnutls_strerror(r));
			return -EINVAL;
		}
	}
	return 0;
}

int tls_server_creds_new(const struct tls_server_options *o, struct tls_creds **ret, char *err,
			 size_t errlen)
{
	char dummy[8];
	struct tls_creds *c;
	int r = 0;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!o->cert_file || !o->key_file) {
		snprintf(err, errlen, "a TLS server needs cert-file and key-file");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->server = true;
	c->refs = 1;
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		return -ENOMEM;
	}
	gnutls_certificate_set_verify_function(c->cred, verify_client);
	for (size_t i = 0; i < _TLS_VERSION_MAX && r >= 0; i++)
		if (gnutls_priority_init(&c->priorities[i], tls_server_priorities[i], NULL) < 0) {
			c->priorities[i] = NULL;
			snprintf(err, errlen, "cannot set the TLS priorities");
			r = -EINVAL;
		}
	if (r >= 0)
		r = creds_load_server(c, o, err, errlen);
	/* trust: whether client certificates are asked for ("" = no, "require" or "request") */
	if (r >= 0 && !(c->trust = strdup(!o->client_ca_file	    ? ""
					  : o->client_cert_required ? "require"
								    : "request")))
		r = -ENOMEM;
	if (r < 0) {
		tls_creds_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int tls_server_session_new(struct tls_creds *c, int fd, enum tls_version min,
			   struct tls_session **ret)
{
	struct tls_session *s;
	int r;

	if (!c->server || min >= _TLS_VERSION_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->server = true;
	s->alert_sent = -1;
	s->handshake_error = server_handshake_error;
	s->min = min;
	s->fd = fd;
	s->trust = c->trust;
	if (gnutls_init(&s->session, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
		free(s);
		return -ENOMEM;
	}
	r = gnutls_priority_set(s->session, c->priorities[min]);
	if (r >= 0)
		r = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (r < 0) {
		tls_session_free(s);
		return -EINVAL;
	}
	if (strcmp(c->trust, "require") == 0)
		gnutls_certificate_server_set_request(s->session, GNUTLS_CERT_REQUIRE);
	else if (strcmp(c->trust, "request") == 0)
		gnutls_certificate_server_set_request(s->session, GNUTLS_CERT_REQUEST);
	gnutls_session_set_ptr(s->session, s);
	gnutls_transport_set_ptr(s->session, s);
	gnutls_transport_set_vec_push_function(s->session, tls_push);
	gnutls_transport_set_pull_function(s->session, tls_pull);
	gnutls_transport_set_pull_timeout_function(s->session, tls_pull_timeout);
	gnutls_handshake_set_timeout(s->session, 0); /* the server's timer bounds it */
	*ret = s;
	return 0;
}

static int server_handshake_error(struct tls_session *s, int r)
{
	server_send_alert(s, r);
	switch (r) {
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		return s->verify_error < 0 ? s->verify_error : -EKEYREJECTED;
	case GNUTLS_E_KEY_USAGE_VIOLATION:
		return tls_set_error(s, -EKEYREJECTED, "%s",
				     "the client's certificate may not sign (its key usage lacks "
				     "digitalSignature): not a client certificate");
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		return tls_set_error(s, -EKEYREJECTED, "%s",
				     "the client sent no certificate, and one is required");
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
		return tls_set_error(s, -EPROTONOSUPPORT,
				     "the client offered no TLS version and cipher suite we accept "
				     "(%s): this listener requires %s",
				     gnutls_strerror(r),
				     s->min == TLS_VERSION_1_3 ? "TLS 1.3"
							       : "TLS 1.3 or RFC 9325 TLS 1.2");
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return tls_set_error(s, -ECONNRESET, "%s",
				     "the client closed the connection during the TLS handshake");
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_RECORD_OVERFLOW:
		return tls_set_error(s, -EPROTO, "%s",
				     "the client did not speak TLS (plaintext on a TLS port?)");
	default:
		return tls_set_error(s, -EPROTO, "TLS handshake failed: %s", gnutls_strerror(r));
	}
}

bool tls_session_peer_verified(const struct tls_session *s)
{
	return s->server && s->peer_verified;
}

bool tls_session_peer_has_name(struct tls_session *s, enum tls_name_type want, const char *name)
{
	const gnutls_datum_t *list;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	bool found = false;

	if (!tls_session_peer_verified(s) || !name || !*name)
		return false;
	list = gnutls_certificate_get_peers(s->session, &n);
	if (!list || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER) >= 0)
		for (unsigned i = 0; !found; i++) {
			char buf[256];
			size_t len = sizeof(buf) - 1;
			int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len, NULL);

			if (type < 0 && type != GNUTLS_E_SHORT_MEMORY_BUFFER)
				break; /* the end of the list, or a broken one */
			if (type < 0)
				continue; /* longer than any name we match */
			buf[len] = '\0';
			/* Names with a NUL inside would compare short: never match those. */
			found = type == (want == TLS_NAME_EMAIL ? GNUTLS_SAN_RFC822NAME
								: GNUTLS_SAN_DNSNAME) &&
				strlen(buf) == len && strcasecmp(buf, name) == 0;
		}
	gnutls_x509_crt_deinit(crt);
	return found;
}
