/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's certificate: pinned by its public key, or trusted through
 * the CA path and then matched against the name in its subjectAltName
 * (never the CN, RFC 9525), with serverAuth wherever key usages are listed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "tls-internal.h"

bool tls_is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int leaf_certificate(gnutls_session_t session, gnutls_x509_crt_t *crt)
{
	const gnutls_datum_t *peers;
	unsigned n = 0;

	peers = gnutls_certificate_get_peers(session, &n);
	if (!peers || n == 0)
		return -ENOENT;
	if (gnutls_x509_crt_init(crt) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(*crt, &peers[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		return -EBADMSG;
	}
	return 0;
}

/* The pin of a certificate: base64 of SHA-256 over its SubjectPublicKeyInfo. */
static int certificate_pin(gnutls_x509_crt_t crt, char out[TLS_PIN_LEN + 1])
{
	unsigned char der[8192], hash[32];
	size_t len = sizeof(der);
	gnutls_datum_t in = {hash, sizeof(hash)}, b64 = {NULL, 0};
	gnutls_pubkey_t key;
	int r;

	if (gnutls_pubkey_init(&key) < 0)
		return -ENOMEM;
	r = gnutls_pubkey_import_x509(key, crt, 0);
	if (r >= 0)
		r = gnutls_pubkey_export(key, GNUTLS_X509_FMT_DER, der, &len);
	gnutls_pubkey_deinit(key);
	if (r < 0)
		return -EBADMSG;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, hash) < 0)
		return -EIO;
	if (gnutls_base64_encode2(&in, &b64) < 0)
		return -ENOMEM;
	snprintf(out, TLS_PIN_LEN + 1, "%.*s", (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	return 0;
}

static int verify_pin(struct tls_session *s, gnutls_x509_crt_t crt)
{
	char got[TLS_PIN_LEN + 1];

	if (certificate_pin(crt, got) < 0) {
		snprintf(s->error, sizeof(s->error), "cannot read the server's public key");
		return -EKEYREJECTED;
	}
	if (strcmp(got, s->pin) != 0) {
		snprintf(s->error, sizeof(s->error),
			 "the server's public key does not match pin-sha256 %s (the server "
			 "presents sha256//%s)",
			 s->pin, got);
		return -EKEYREJECTED;
	}
	return 0;
}

/* The certificate's DNS and IP names, for a mismatch message. */
static void certificate_names(gnutls_x509_crt_t crt, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 8 && used + 4 < len; i++) {
		char name[256], text[INET6_ADDRSTRLEN];
		size_t n = sizeof(name) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &n, NULL);
		const char *shown = name;

		if (type < 0)
			break;
		name[n] = '\0';
		if (type == GNUTLS_SAN_IPADDRESS)
			shown = inet_ntop(n == 4 ? AF_INET : AF_INET6, name, text, sizeof(text));
		else if (type != GNUTLS_SAN_DNSNAME)
			continue;
		if (!shown)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", shown);
	}
	if (used >= len)
		buf[len - 1] = '\0';
}

/* Verification failures, most fundamental first: an untrusted certificate's
 * name or dates mean nothing. */
static const struct {
	unsigned bit;
	int error;
	const char *text;
} verify_texts[] = {
    {GNUTLS_CERT_SIGNER_NOT_FOUND, -EKEYREJECTED,
     "the server's certificate is not trusted: its issuer is not in"},
    {GNUTLS_CERT_SIGNER_NOT_CA, -EKEYREJECTED,
     "the server's certificate is not trusted: its issuer is not a CA"},
    {GNUTLS_CERT_REVOKED, -EKEYREJECTED, "the server's certificate has been revoked"},
    {GNUTLS_CERT_INSECURE_ALGORITHM, -EKEYREJECTED,
     "the server's certificate uses an insecure signature algorithm"},
    {GNUTLS_CERT_EXPIRED, -EKEYEXPIRED, "the server's certificate has expired"},
    {GNUTLS_CERT_NOT_ACTIVATED, -EKEYEXPIRED, "the server's certificate is not yet valid"},
    {GNUTLS_CERT_PURPOSE_MISMATCH, -EKEYREJECTED,
     "the server's certificate is not for TLS servers: it lists extended key usages "
     "without serverAuth"},
};

/* RFC 9525: the name is matched against subjectAltName only. GnuTLS falls
 * back to the CN when no name of the kind asked for is there: refuse that. */
static bool san_has(gnutls_x509_crt_t crt, bool ip)
{
	for (unsigned i = 0;; i++) {
		char name[256];
		size_t n = sizeof(name);
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &n, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type == (ip ? GNUTLS_SAN_IPADDRESS : GNUTLS_SAN_DNSNAME))
			return true;
		/* Other kinds, or one too long for us: look at the next. */
	}
}

static int verify_chain(struct tls_session *s, gnutls_x509_crt_t crt)
{
	/* The name, and serverAuth wherever the chain lists key purposes. */
	gnutls_typed_vdata_st data[] = {
	    {.type = GNUTLS_DT_DNS_HOSTNAME, .data = (unsigned char *)s->verify_name},
	    {.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER},
	};
	bool ip = tls_is_ip_literal(s->verify_name);
	unsigned status = 0;
	char names[256];
	gnutls_datum_t out;

	if (gnutls_certificate_verify_peers(s->session, data, ELEMENTSOF(data), &status) < 0) {
		snprintf(s->error, sizeof(s->error), "cannot verify the server's certificate");
		return -EKEYREJECTED;
	}
	if (status == 0 && !san_has(crt, ip)) {
		snprintf(s->error, sizeof(s->error),
			 "the server's certificate has no subjectAltName %s: a name in the CN "
			 "alone is not accepted (RFC 9525)",
			 ip ? "IP address" : "DNS name");
		return -EKEYREJECTED;
	}
	if (status == 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(verify_texts); i++) {
		if (!(status & verify_texts[i].bit))
			continue;
		if (verify_texts[i].bit == GNUTLS_CERT_SIGNER_NOT_FOUND)
			snprintf(s->error, sizeof(s->error), "%s %s", verify_texts[i].text,
				 s->trust);
		else
			snprintf(s->error, sizeof(s->error), "%s", verify_texts[i].text);
		return verify_texts[i].error;
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		certificate_names(crt, names, sizeof(names));
		snprintf(s->error, sizeof(s->error),
			 "the server's certificate does not match the name '%s' (it is for: %s)",
			 s->verify_name, names[0] ? names : "no DNS or IP names");
		return -EKEYREJECTED;
	}
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) >= 0) {
		snprintf(s->error, sizeof(s->error), "the server's certificate is not valid: %s",
			 (const char *)out.data);
		gnutls_free(out.data);
	}
	return -EKEYREJECTED;
}

const char *tls_session_peer_pin(const struct tls_session *s)
{
	return s->peer_pin;
}

int tls_verify_peer(gnutls_session_t session)
{
	struct tls_session *s = gnutls_session_get_ptr(session);
	gnutls_x509_crt_t crt;
	int r;

	r = leaf_certificate(session, &crt);
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "the server sent no usable certificate");
		s->verify_error = -EKEYREJECTED;
		return -1;
	}
	if (certificate_pin(crt, s->peer_pin) < 0)
		s->peer_pin[0] = '\0';
	r = s->pin[0] ? verify_pin(s, crt) : verify_chain(s, crt);
	gnutls_x509_crt_deinit(crt);
	s->verify_error = r;
	return r < 0 ? -1 : 0;
}
