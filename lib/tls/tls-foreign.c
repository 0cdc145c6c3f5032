/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the tls module (tls.h): for sessions that another library runs
 * over GnuTLS (libmicrohttpd, for the metrics exporter), the two GnuTLS
 * things it leaves to us: the priorities, and the client certificate's check.
 */
#include <errno.h>
#include <gnutls/gnutls.h>

#include "tls-internal.h"

const char *tls_priority_string(enum tls_version min)
{
	return (unsigned)min < _TLS_VERSION_MAX ? tls_priorities[min] : NULL;
}

int tls_foreign_peer_check(void *session)
{
	gnutls_session_t s = session;
	unsigned status = 0;

	if (!s)
		return -EINVAL;
	if (!gnutls_certificate_get_peers(s, NULL))
		return 0;
	/* Against the trust the session's credentials carry: the clients' CA. */
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
		return -EKEYREJECTED;
	return 1;
}
