/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent query: read a UPS's variables from a server, the way upsc does. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"
#include "conn.h"
#include "escape.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "target.h"
#include "tls.h"

struct query {
	struct target target;
	const char *var;
	enum tls_mode tls;
	int tls_min; /* enum tls_version, or -1: the mode's floor */
	struct tls_options tls_options;
	const char *server_name;
	char pin[TLS_PIN_LEN + 1];
	const char *user;
	const char *password_file;
	bool json;
	uint64_t timeout;

	sd_event *event;
	struct conn *conn;
	struct tls_creds *creds;
	bool reported; /* a failure was printed already */
};

static void query_help(void)
{
	printf("Usage: upsagent query [OPTIONS] UPS[@HOST[:PORT]] [VARIABLE]\n\n"
	       "Print the variables of a UPS as \"name: value\" lines (as upsc does), or one\n"
	       "value. The session is verified TLS unless --tls=off is given.\n\n"
	       "  -t, --tls=MODE            starttls (default, port 3493), direct (TLS 1.3,\n"
	       "                            port 401) or off\n"
	       "      --tls-min=VERSION     1.2 or 1.3: the oldest TLS accepted (default 1.2\n"
	       "                            with starttls, 1.3 with direct)\n"
	       "      --ca-file=FILE        trust these CAs instead of the system store\n"
	       "      --server-name=NAME    the name the certificate must carry (default: HOST)\n"
	       "      --pin-sha256=PIN      trust the server key with this SPKI SHA-256 pin\n"
	       "      --cert=FILE           client certificate (PEM), with --key\n"
	       "      --key=FILE            client key (PEM)\n"
	       "  -u, --user=NAME           log in as NAME (checks the credentials with LOGIN)\n"
	       "  -p, --password-file=FILE  the password, first line of FILE (mode 0600)\n"
	       "  -j, --json                print a JSON object\n"
	       "  -T, --timeout=SECONDS     connect and reply timeout (default 10)\n"
	       "  -v, --verbose             log each step\n"
	       "  -h, --help                show this help\n");
}

static int parse_seconds(const char *s, uint64_t *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 3600)
		return -EINVAL;
	*ret = (uint64_t)(v * (double)USEC_PER_SEC);
	return 0;
}

static int query_option(struct query *q, int opt, const char *arg)
{
	int r;

	switch (opt) {
	case 't':
		r = tls_mode_from_string(arg);
		if (r < 0)
			return cli_usage_error("--tls: '%s' is not starttls, direct or off", arg);
		q->tls = (enum tls_mode)r;
		return 0;
	case 'M':
		r = tls_version_from_string(arg);
		if (r < 0)
			return cli_usage_error("--tls-min: '%s' is not 1.2 or 1.3", arg);
		q->tls_min = r;
		return 0;
	case 'C':
		q->tls_options.ca_file = arg;
		return 0;
	case 'N':
		q->server_name = arg;
		return 0;
	case 'P':
		if (tls_pin_parse(arg, q->pin) < 0)
			return cli_usage_error("--pin-sha256: '%s' is not a base64 SHA-256 "
					       "(44 characters ending in '=')",
					       arg);
		return 0;
	case 'c':
		q->tls_options.cert_file = arg;
		return 0;
	case 'k':
		q->tls_options.key_file = arg;
		return 0;
	case 'u':
		q->user = arg;
		return 0;
	case 'p':
		q->password_file = arg;
		return 0;
	case 'j':
		q->json = true;
		return 0;
	case 'T':
		if (parse_seconds(arg, &q->timeout) < 0)
			return cli_usage_error("--timeout: '%s' is not a number of seconds", arg);
		return 0;
	case 'v':
		log_set_max_level(LOG_DEBUG);
		return 0;
	case 'h':
		query_help();
		return 1;
	default:
		return cli_usage_error("see 'upsagent query --help'");
	}
}

static int query_parse(struct query *q, int argc, char **argv)
{
	static const struct option options[] = {
	    {"tls", required_argument, NULL, 't'},
	    {"tls-min", required_argument, NULL, 'M'},
	    {"ca-file", required_argument, NULL, 'C'},
	    {"server-name", required_argument, NULL, 'N'},
	    {"pin-sha256", required_argument, NULL, 'P'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"user", required_argument, NULL, 'u'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char err[256];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "t:u:p:jT:vh", options, NULL)) >= 0) {
		r = query_option(q, opt, optarg);
		if (r != 0)
			return r;
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error("expected UPS[@HOST[:PORT]] [VARIABLE]; see --help");
	if (target_parse(argv[optind], &q->target, err, sizeof(err)) < 0)
		return cli_usage_error("%s", err);
	if (q->tls == TLS_MODE_DIRECT && !q->target.port_given)
		q->target.port = TLS_DIRECT_PORT;
	if (q->tls == TLS_MODE_DIRECT && q->tls_min == TLS_VERSION_1_2)
		log_warning("warning: --tls-min=1.2 on direct TLS: port 401 is meant for TLS 1.3");
	q->var = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (!!q->user != !!q->password_file)
		return cli_usage_error("--user and --password-file go together");
	return 0;
}

static void print_pair(struct query *q, const char *name, const char *value, bool first)
{
	if (!q->json) {
		/* As upsc prints, but a peer's bytes cannot drive the terminal. */
		printf("%s: ", name);
		escape_print(stdout, value);
		putchar('\n');
		return;
	}
	fputs(first ? "{" : ", ", stdout);
	json_print_string(stdout, name);
	fputs(": ", stdout);
	json_print_string(stdout, value);
}

static void report_refusal(struct query *q, const struct conn_reply *reply)
{
	const char *peer = conn_peer(q->conn), *ups = q->target.ups;

	q->reported = true;
	switch (reply->err) {
	case PROTO_ERR_UNKNOWN_UPS:
		log_error("unknown UPS '%s' on %s", ups, peer);
		break;
	case PROTO_ERR_VAR_NOT_SUPPORTED:
	case PROTO_ERR_VAR_UNKNOWN:
		log_error("UPS %s on %s has no variable '%s'", ups, peer, q->var);
		break;
	case PROTO_ERR_DATA_STALE:
		log_error("data stale: %s has no fresh data from the driver of UPS %s", peer, ups);
		break;
	case PROTO_ERR_DRIVER_NOT_CONNECTED:
		log_error("%s: the driver of UPS %s is not connected", peer, ups);
		break;
	default:
		log_error("%s refused the request: ERR %s (%s)", peer, reply->err_word,
			  proto_err_to_string(reply->err));
		break;
	}
}

static void on_value(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct query *q = userdata;

	if (!reply)
		return; /* on_closed reports it */
	if (error < 0) {
		report_refusal(q, reply);
	} else if (q->json) {
		print_pair(q, q->var, reply->value, true);
		puts("}");
	} else {
		escape_print(stdout, reply->value);
		putchar('\n');
	}
	conn_close(c);
}

static void on_list(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct query *q = userdata;

	if (!reply)
		return;
	if (error < 0) {
		report_refusal(q, reply);
		conn_close(c);
		return;
	}
	for (size_t i = 0; i < reply->list->n; i++)
		print_pair(q, reply->list->items[i].key,
			   reply->list->items[i].value ? reply->list->items[i].value : "", i == 0);
	if (q->json)
		puts(reply->list->n ? "}" : "{}");
	conn_close(c);
}

static void on_ready(struct conn *c, void *userdata)
{
	struct query *q = userdata;
	const char *list[] = {"VAR", q->target.ups};
	int r;

	r = q->var ? conn_get_var(c, q->var, on_value, q) : conn_list(c, 2, list, on_list, q);
	if (r < 0) {
		log_error("cannot send the request: %s", strerror(-r));
		q->reported = true;
		conn_close(c);
	}
}

static void on_closed(struct conn *c, int error, const char *message, void *userdata)
{
	struct query *q = userdata;

	if (error < 0 && !q->reported) {
		log_error("%s", message);
		q->reported = true;
	}
	sd_event_exit(q->event, q->reported ? 1 : 0);
}

static const struct conn_callbacks query_callbacks = {
    .ready = on_ready,
    .closed = on_closed,
};

static int query_prepare(struct query *q)
{
	char err[512];
	int r;

	if (q->tls == TLS_MODE_OFF) {
		log_warning("warning: tls is off: the session%s crosses the network in plaintext",
			    q->user ? ", password included," : "");
	} else {
		r = tls_creds_new(&q->tls_options, &q->creds, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "%s", err);
	}
	if (q->password_file) {
		char *secret = NULL;

		/* Refuse a bad file before connecting; the session reads it
		 * again when it logs in and keeps no copy. */
		r = secret_read_file(q->password_file, &secret, err, sizeof(err));
		secret_free(secret);
		if (r < 0)
			return log_error_errno(r, "%s", err);
	}
	return 0;
}

static int query_run(struct query *q)
{
	struct conn_config cfg = {
	    .host = q->target.host,
	    .port = q->target.port,
	    .ups = q->target.ups,
	    .tls = q->tls,
	    .tls_min =
		q->tls_min >= 0 ? (enum tls_version)q->tls_min : tls_mode_min_version(q->tls),
	    .creds = q->creds,
	    .server_name = q->server_name,
	    .pin = q->pin[0] ? q->pin : NULL,
	    .user = q->user,
	    .password_file = q->password_file,
	    .login = q->user != NULL, /* the only way upsd checks a password */
	    .connect_timeout = q->timeout,
	    .request_timeout = q->timeout,
	};
	int r;

	r = sd_event_default(&q->event);
	if (r >= 0)
		r = conn_new(q->event, &cfg, &query_callbacks, q, &q->conn);
	if (r >= 0)
		r = conn_start(q->conn);
	if (r < 0)
		return log_error_errno(r, "cannot start the session: %s", strerror(-r));
	r = sd_event_loop(q->event);
	return r < 0 ? log_error_errno(r, "event loop failed: %s", strerror(-r)) : r;
}

int verb_query(int argc, char **argv)
{
	struct query q = {.tls = TLS_MODE_STARTTLS, .tls_min = -1, .timeout = 10 * USEC_PER_SEC};
	int status;

	/* 0: go on, 1: --help printed, 2: usage error printed. */
	status = query_parse(&q, argc, argv);
	if (status == 0)
		status = query_prepare(&q) < 0 ? 1 : 0;
	else if (status == 1)
		status = 0;
	else
		status = 2;
	if (status == 0 && (q.target.ups || q.var)) {
		int r = query_run(&q);

		status = r < 0 ? 1 : r;
	}
	conn_unref(q.conn);
	tls_creds_free(q.creds);
	sd_event_unref(q.event);
	target_done(&q.target);
	return status;
}
