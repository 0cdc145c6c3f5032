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

/* ---- bodies ------------------------------------------------------------- */

/* A response's text. Given back once sent and kept for the next scrape, so
 * that its pages stay mapped: a fresh 300 KiB buffer per scrape cost more in
 * page faults than the formatting (bench/metrics). Concurrent scrapes each
 * take one; BODIES_KEPT stay between scrapes. */
struct exporter_body {
	struct exporter *e;
	struct exporter_body *next;
	struct metrics_buf text;
};

#define BODIES_KEPT 2

static struct exporter_body *body_take(struct exporter *e)
{
	struct exporter_body *b = e->idle_bodies;

	if (b) {
		e->idle_bodies = b->next;
		e->n_idle_bodies--;
		return b;
	}
	b = calloc(1, sizeof(*b));
	if (b)
		b->e = e;
	return b;
}

static void body_free(struct exporter_body *b)
{
	metrics_buf_done(&b->text);
	free(b);
}

/* libmicrohttpd is done with the response (sent, or its connection closed). */
static void on_body_sent(void *cls)
{
	struct exporter_body *b = cls;
	struct exporter *e = b->e;

	if (e->n_idle_bodies >= BODIES_KEPT) {
		body_free(b);
		return;
	}
	b->next = e->idle_bodies;
	e->idle_bodies = b;
	e->n_idle_bodies++;
}

void exporter_http_close(struct exporter *e)
{
	while (e->idle_bodies) {
		struct exporter_body *b = e->idle_bodies;

		e->idle_bodies = b->next;
		body_free(b);
	}
	e->n_idle_bodies = 0;
}

/* ---- requests ----------------------------------------------------------- */

static enum MHD_Result reply_metrics(struct exporter *e, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	enum metrics_format fmt = metrics_format_from_accept(accept);
	struct exporter_body *b = body_take(e);
	int err = b ? e->ops->render(e->userdata, &b->text, e->cache, fmt) : -ENOMEM;
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (err < 0) {
		if (b)
			on_body_sent(b);
		log_debug("metrics: cannot write the exposition: %s", strerror(-err));
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	}
	/* Sent from b's text as it is, no copy; b comes back through on_body_sent. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->text.len, b->text.data,
								   on_body_sent, b);
	if (!r) {
		on_body_sent(b);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, metrics_content_type(fmt));
	ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

/* A request that says it has a body: GET /metrics never needs one. */
static bool has_body(struct MHD_Connection *conn)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

enum MHD_Result exporter_http_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version, const char *upload,
				      size_t *upload_size, void **con_cls)
{
	static int headers_seen; /* its address marks a request past its first call */
	struct exporter *e = cls;

	/* Refusals are answered as soon as the headers are in, and so is a
	 * request with a body: libmicrohttpd then closes the connection
	 * rather than read what follows. */
	if (!client_verified(e, conn))
		return reply_text(conn, MHD_HTTP_FORBIDDEN, "a client certificate is required\n",
				  NULL);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n",
				  "GET, HEAD");
	if (has_body(conn))
		return reply_metrics(e, conn);
	/* The metrics wait for the second call, the request complete: a
	 * response queued at the first is "early", and libmicrohttpd closes
	 * the connection after it (Connection: close) where a scraper would
	 * keep it for the next scrape. */
	if (!*con_cls) {
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	*upload_size = 0; /* nothing comes without Content-Length or Transfer-Encoding */
	return reply_metrics(e, conn);
}
