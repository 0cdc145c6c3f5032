/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS for the server (agent/serve.c): credentials with our certificate and
 * key, sessions on accepted sockets, and the client certificate's check.
 *
 * A client certificate is asked for only when a clients' CA is configured.
 * It is verified inside the handshake: a certificate that does not chain to
 * that CA (or has expired) ends the handshake with an alert, so a client that
 * presents a bad one never gets to send a line. A client without one is let
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

static int verify_client(gnutls_session_t session)
{
	struct tls_session *s = gnutls_session_get_ptr(session);
	unsigned status = 0;
	int r;

	/* No certificate: allowed here; GNUTLS_CERT_REQUIRE refuses it earlier when required. */
	if (!gnutls_certificate_get_peers(session, NULL))
		return 0;
	r = gnutls_certificate_verify_peers2(session, &status);
	if (r < 0 || status != 0) {
		tls_set_error(s, -EKEYREJECTED, "%s",
			      r < 0 ? "the client's certificate could not be verified"
				    : "the client's certificate is not from the clients' CA, or "
				      "not valid now");
		s->verify_error = -EKEYREJECTED;
		return -1;
	}
	s->peer_verified = true;
	return 0;
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
	/* DHE-RSA in TLS 1.2 needs a group; RFC 7919's, as GnuTLS knows them. */
	gnutls_certificate_set_known_dh_params(c->cred, GNUTLS_SEC_PARAM_MEDIUM);
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
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		return -ENOMEM;
	}
	gnutls_certificate_set_verify_function(c->cred, verify_client);
	for (size_t i = 0; i < _TLS_VERSION_MAX && r >= 0; i++)
		if (gnutls_priority_init(&c->priorities[i], tls_priorities[i], NULL) < 0) {
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
	switch (r) {
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		return s->verify_error < 0 ? s->verify_error : -EKEYREJECTED;
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

bool tls_session_peer_has_name(struct tls_session *s, const char *name)
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
			found = (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME) &&
				strlen(buf) == len && strcasecmp(buf, name) == 0;
		}
	gnutls_x509_crt_deinit(crt);
	return found;
}
