/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the exporter module (exporter.h): one request. GET and HEAD of
 * /metrics only; the body is the owner's exposition, in the format the
 * scraper's Accept header asks for. Who may connect is decided at accept
 * (allow); with client-ca-file, a request without a verified client
 * certificate gets 403 and nothing else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter-internal.h"
#include "log.h"
#include "tls.h"

enum MHD_Result exporter_http_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	const struct exporter *e = cls;

	return config_allows(e->cfg->allow, e->cfg->n_allow, addr) ? MHD_YES : MHD_NO;
}

/* A short text answer: the status says it, the text is for a person with curl. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text,
				  const char *allow)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* With client-ca-file: a certificate from that CA, valid now. */
static bool client_verified(const struct exporter *e, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	if (!e->client_ca)
		return true;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return info && tls_foreign_peer_check(info->tls_session) == 1;
}

static enum MHD_Result reply_metrics(struct exporter *e, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	enum metrics_format fmt = metrics_format_from_accept(accept);
	struct MHD_Response *r;
	enum MHD_Result ok;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err = f ? e->ops->write(e->userdata, f, fmt) : -ENOMEM;

	if (f && fclose(f) != 0 && err >= 0)
		err = -ENOMEM;
	if (err < 0) {
		free(body);
		log_debug("metrics: cannot write the exposition: %s", strerror(-err));
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	}
	/* libmicrohttpd frees body with free() once it is sent. */
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, metrics_content_type(fmt));
	ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

enum MHD_Result exporter_http_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version, const char *upload,
				      size_t *upload_size, void **con_cls)
{
	struct exporter *e = cls;

	/* Answered as soon as the headers are in: a body sent with GET is
	 * never read (libmicrohttpd discards it within its memory limit). */
	if (!client_verified(e, conn))
		return reply_text(conn, MHD_HTTP_FORBIDDEN, "a client certificate is required\n",
				  NULL);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n",
				  "GET, HEAD");
	return reply_metrics(e, conn);
}
