/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * import-upsmon's probes (import-probe.h): all servers at once on one loop;
 * what each found becomes its transport (verified, pinned, plaintext), and
 * what cannot be read at all is an error naming the MONITOR line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import-probe.h"
#include "log.h"
#include "probe.h"
#include "tls.h"

struct run {
	sd_event *event;
	const struct upsmon_import *res;
	struct import_probe *out;
	const char *ca_file;
	struct probe **probes;
	size_t pending;
};

static void transport_from(struct import_probe *p, size_t i, const char *ca_file)
{
	const struct probe_result *r = &p->results[i];
	struct upsmon_transport *t = &p->transports[i];

	*t = (struct upsmon_transport){.when = p->when, .why = r->secure_failure};
	if (r->transport == PROBE_PINNED) {
		t->tls = UPSMON_TLS_PINNED;
		t->pin = r->pin;
	} else if (r->transport == PROBE_PLAINTEXT) {
		t->tls = UPSMON_TLS_OFF;
	} else {
		t->tls = UPSMON_TLS_VERIFIED;
		t->ca_file = ca_file;
	}
}

static void on_done(struct probe *pr, const struct probe_result *r, void *userdata)
{
	struct run *run = userdata;
	size_t i = 0;

	while (run->probes[i] != pr)
		i++;
	run->out->results[i] = *r;
	if (r->error < 0) {
		const struct upsmon_server *s = &run->res->servers[i];

		log_error("MONITOR %s@%s:%u (line %u): cannot be read: %s", s->ups, s->host,
			  s->port, s->line, r->message);
		run->out->failed++;
	} else {
		transport_from(run->out, i, run->ca_file);
		log_info("MONITOR %s@%s:%u: read over %s%s (ups.status %s)",
			 run->res->servers[i].ups, run->res->servers[i].host,
			 run->res->servers[i].port, r->tls,
			 r->transport == PROBE_PINNED	   ? ", certificate not verifiable: pinned"
			 : r->transport == PROBE_PLAINTEXT ? ": the server offers no TLS"
							   : ", verified",
			 r->status);
	}
	if (--run->pending == 0)
		sd_event_exit(run->event, 0);
}

static int probe_one(struct run *run, size_t i, struct tls_creds *creds, uint64_t timeout)
{
	const struct upsmon_server *s = &run->res->servers[i];
	struct conn_config cc = {.host = s->host,
				 .port = (uint16_t)s->port,
				 .ups = s->ups,
				 .tls = TLS_MODE_STARTTLS,
				 .tls_min = tls_mode_min_version(TLS_MODE_STARTTLS),
				 .creds = creds,
				 .server_name = s->server_name,
				 .user = s->user,
				 .password = s->password,
				 .login = s->user != NULL,
				 .primary = s->primary,
				 .connect_timeout = timeout,
				 .request_timeout = timeout};
	int r = probe_new(run->event, &cc, /* ladder= */ true, on_done, run, &run->probes[i]);

	if (r >= 0)
		run->pending++;
	return r;
}

static int run_all(struct run *run, struct tls_creds *creds, uint64_t timeout)
{
	int r = sd_event_default(&run->event);

	/* This host's own UPSes (import-upsd) are read locally: nothing to probe. */
	for (size_t i = 0; r >= 0 && i < run->res->n_servers; i++)
		if (!run->res->servers[i].local)
			r = probe_one(run, i, creds, timeout);
	if (r >= 0 && run->pending)
		r = sd_event_loop(run->event);
	return r;
}

static void when_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm))
		snprintf(buf, len, "import time");
}

int import_probe_run(const struct upsmon_import *res, const char *ca_file, uint64_t timeout,
		     struct import_probe **ret)
{
	struct tls_options o = {.ca_file = ca_file};
	struct tls_creds *creds = NULL;
	struct import_probe *p = calloc(1, sizeof(*p));
	struct run run = {.res = res, .out = p, .ca_file = ca_file};
	char err[512];
	int r;

	if (!p)
		return log_error_errno(-ENOMEM, "out of memory");
	p->n = res->n_servers;
	p->transports = calloc(p->n ? p->n : 1, sizeof(*p->transports));
	p->results = calloc(p->n ? p->n : 1, sizeof(*p->results));
	run.probes = calloc(p->n ? p->n : 1, sizeof(*run.probes));
	when_now(p->when, sizeof(p->when));
	r = p->transports && p->results && run.probes ? 0 : -ENOMEM;
	if (r >= 0 && (r = tls_creds_new(&o, &creds, err, sizeof(err))) < 0)
		log_error("%s", err);
	else if (r >= 0 && (r = run_all(&run, creds, timeout)) < 0)
		log_error("cannot probe the servers: %s", strerror(-r));
	for (size_t i = 0; run.probes && i < p->n; i++)
		probe_free(run.probes[i]);
	free(run.probes);
	sd_event_unref(run.event);
	tls_creds_free(creds);
	if (r < 0) {
		import_probe_free(p);
		return r == -ENOMEM ? log_error_errno(r, "out of memory") : r;
	}
	*ret = p;
	return 0;
}

struct import_probe *import_probe_free(struct import_probe *p)
{
	if (!p)
		return NULL;
	free(p->transports);
	free(p->results);
	free(p);
	return NULL;
}
