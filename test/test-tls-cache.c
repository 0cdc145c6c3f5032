/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared TLS credentials: the same options give the same credentials until
 * the last session puts them back; other options, or a file that changed
 * since it was loaded, give new ones; a failure is reported and not cached.
 * The CA files are self-signed certificates made here with GnuTLS.
 */
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "test.h"
#include "tls-cache.h"

static char tmp_dir[] = "/tmp/test-tls-cache-XXXXXX";

/* A self-signed EC P-256 CA certificate in PEM, written to dir/name. */
static char *make_ca(const char *name, const char *cn)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = {NULL, 0};
	unsigned char serial[8] = {1, 2, 3, 4, 5, 6, 7, (unsigned char)name[0]};
	time_t now = time(NULL);
	char *path;
	FILE *f;

	CHECK(gnutls_x509_privkey_init(&key) == 0);
	CHECK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	CHECK(gnutls_x509_crt_init(&crt) == 0);
	CHECK(gnutls_x509_crt_set_version(crt, 3) == 0);
	CHECK(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) == 0);
	CHECK(gnutls_x509_crt_set_activation_time(crt, now - 86400) == 0);
	CHECK(gnutls_x509_crt_set_expiration_time(crt, now + 86400) == 0);
	CHECK(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)) ==
	      0);
	CHECK(gnutls_x509_crt_set_key(crt, key) == 0);
	CHECK(gnutls_x509_crt_set_basic_constraints(crt, 1, -1) == 0);
	CHECK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN) == 0);
	CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0);
	CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) == 0);
	CHECK(asprintf(&path, "%s/%s", tmp_dir, name) > 0);
	f = fopen(path, "w");
	CHECK(f);
	CHECK(fwrite(pem.data, 1, pem.size, f) == pem.size);
	CHECK(fclose(f) == 0);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return path;
}

static void test_shared(void)
{
	_cleanup_free_ char *ca = make_ca("ca.pem", "cache test CA");
	_cleanup_free_ char *other = make_ca("other.pem", "cache other CA");
	struct tls_options o = {.ca_file = ca}, o2 = {.ca_file = other};
	struct tls_creds *a = NULL, *b = NULL, *c = NULL;
	char err[256];

	CHECK_INT(tls_cache_get(&o, &a, err, sizeof(err)), 0);
	CHECK_INT(tls_cache_get(&o, &b, err, sizeof(err)), 0);
	CHECK(a == b);
	CHECK_INT(tls_cache_size(), 1);
	CHECK_INT(tls_cache_get(&o2, &c, err, sizeof(err)), 0);
	CHECK(c != a);
	CHECK_INT(tls_cache_size(), 2);
	CHECK(tls_cache_put(c) == NULL);
	CHECK_INT(tls_cache_size(), 1);
	/* The first put leaves it for the other holder; the last one frees it. */
	CHECK(tls_cache_put(a) == NULL);
	CHECK_INT(tls_cache_size(), 1);
	CHECK(tls_cache_put(b) == NULL);
	CHECK_INT(tls_cache_size(), 0);
	CHECK(tls_cache_put(NULL) == NULL);
}

static void test_changed_file(void)
{
	_cleanup_free_ char *ca = make_ca("changing.pem", "cache test CA");
	struct tls_options o = {.ca_file = ca};
	struct tls_creds *before = NULL, *after = NULL, *again = NULL;
	struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	char err[256];

	CHECK_INT(tls_cache_get(&o, &before, err, sizeof(err)), 0);
	/* A reload after the CA file was replaced reads it again... */
	free(make_ca("changing.pem", "cache renewed CA"));
	CHECK(utimensat(AT_FDCWD, ca, times, 0) == 0);
	CHECK_INT(tls_cache_get(&o, &after, err, sizeof(err)), 0);
	CHECK(after != before);
	CHECK_INT(tls_cache_size(), 2);
	/* ...and shares the new credentials from then on. */
	CHECK_INT(tls_cache_get(&o, &again, err, sizeof(err)), 0);
	CHECK(again == after);
	tls_cache_put(before);
	tls_cache_put(after);
	tls_cache_put(again);
	CHECK_INT(tls_cache_size(), 0);
}

static void test_failure_not_cached(void)
{
	_cleanup_free_ char *missing = NULL;
	struct tls_options o;
	struct tls_creds *c = NULL;
	char err[256];

	CHECK(asprintf(&missing, "%s/missing.pem", tmp_dir) > 0);
	o = (struct tls_options){.ca_file = missing};
	CHECK(tls_cache_get(&o, &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, missing));
	CHECK_INT(tls_cache_size(), 0);
	/* The file appears: the next session loads it. */
	free(make_ca("missing.pem", "late CA"));
	CHECK_INT(tls_cache_get(&o, &c, err, sizeof(err)), 0);
	CHECK_INT(tls_cache_size(), 1);
	tls_cache_put(c);
	CHECK_INT(tls_cache_size(), 0);
}

int main(void)
{
	static const char *const files[] = {"ca.pem", "other.pem", "changing.pem", "missing.pem"};

	CHECK(mkdtemp(tmp_dir));
	TEST_RUN(test_shared);
	TEST_RUN(test_changed_file);
	TEST_RUN(test_failure_not_cached);
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = NULL;

		CHECK(asprintf(&path, "%s/%s", tmp_dir, files[i]) > 0);
		CHECK(unlink(path) == 0);
	}
	CHECK(rmdir(tmp_dir) == 0);
	return 0;
}
