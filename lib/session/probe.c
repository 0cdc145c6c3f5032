/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One probe (probe.h): a session as the daemon would set it up, one GET VAR
 * ups.status, LOGOUT; on a ladder, at most two more attempts with what
 * upsmon had accepted. Each attempt is a fresh session, started from a
 * deferred event so that no session is freed inside its own callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "log.h"
#include "macro.h"
#include "probe.h"

struct probe {
	sd_event *event;
	struct conn_config cfg; /* the caller's, then what the ladder changed */
	bool ladder;
	probe_done_fn done;
	void *userdata;
	struct conn *conn;
	sd_event_source *defer; /* the next attempt, or the report */
	bool finished;		/* the result is final: report it */
	struct probe_result res;
};

static const char *const transport_names[] = {
    [PROBE_AS_CONFIGURED] = "as configured",
    [PROBE_PINNED] = "pinned",
    [PROBE_PLAINTEXT] = "plaintext",
};

const char *probe_transport_to_string(enum probe_transport t)
{
	return t < ELEMENTSOF(transport_names) ? transport_names[t] : "?";
}

static void probe_schedule(struct probe *p);

static void probe_finish(struct probe *p, int error, const char *message)
{
	p->res.error = error;
	if (error < 0)
		escape_line(p->res.message, sizeof(p->res.message), message);
	p->finished = true;
	probe_schedule(p);
}

static void on_status(struct conn *c, int error, const struct conn_reply *reply, void *userdata)
{
	struct probe *p = userdata;
	char why[256];

	if (!reply)
		return; /* the session ended first: on_closed says why */
	if (error < 0) {
		snprintf(why, sizeof(why), "%s answered GET VAR %s ups.status with ERR %s (%s)",
			 conn_peer(c), p->cfg.ups, reply->err_word,
			 proto_err_to_string(reply->err));
		p->res.error = error;
		escape_line(p->res.message, sizeof(p->res.message), why);
	} else {
		escape_line(p->res.status, sizeof(p->res.status), reply->value);
		(void)conn_describe(c, p->res.tls, sizeof(p->res.tls));
	}
	conn_close(c); /* LOGOUT: closed(0) follows */
}

static void on_ready(struct conn *c, void *userdata)
{
	struct probe *p = userdata;
	int r = conn_get_var(c, "ups.status", on_status, p);

	if (r < 0)
		probe_finish(p, r, "cannot send GET VAR");
}

/* The ladder's next rung after a failure upsmon would have let pass, if any. */
static bool probe_next_rung(struct probe *p, int error, const char *message)
{
	if (!p->ladder || p->cfg.tls != TLS_MODE_STARTTLS ||
	    p->res.transport != PROBE_AS_CONFIGURED)
		return false;
	if ((error == -EKEYREJECTED || error == -EKEYEXPIRED) && conn_peer_pin(p->conn)[0]) {
		/* CERTVERIFY 0: upsmon took any certificate; pin the one shown. */
		snprintf(p->res.pin, sizeof(p->res.pin), "%s", conn_peer_pin(p->conn));
		p->cfg.pin = p->res.pin;
		p->res.transport = PROBE_PINNED;
	} else if (error == -EOPNOTSUPP) {
		/* No TLS at that server: upsmon without FORCESSL went on in clear. */
		p->cfg.tls = TLS_MODE_OFF;
		p->res.transport = PROBE_PLAINTEXT;
	} else
		return false;
	escape_line(p->res.secure_failure, sizeof(p->res.secure_failure), message);
	return true;
}

static void on_closed(struct conn *c, int error, const char *message, void *userdata)
{
	struct probe *p = userdata;

	if (p->finished)
		return;
	if (error == 0 && p->res.error == 0 && p->res.status[0]) {
		probe_finish(p, 0, NULL);
		return;
	}
	if (error == 0) { /* closed after an ERR answer: on_status said why */
		probe_finish(p, p->res.error < 0 ? p->res.error : -EPROTO, p->res.message);
		return;
	}
	if (probe_next_rung(p, error, message)) {
		probe_schedule(p);
		return;
	}
	probe_finish(p, error, message);
}

static const struct conn_callbacks probe_callbacks = {
    .ready = on_ready,
    .closed = on_closed,
};

static int probe_attempt(struct probe *p)
{
	int r;

	p->conn = conn_unref(p->conn);
	p->res.error = 0;
	p->res.message[0] = '\0';
	r = conn_new(p->event, &p->cfg, &probe_callbacks, p, &p->conn);
	if (r >= 0)
		r = conn_start(p->conn);
	return r;
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct probe *p = userdata;
	int r;

	p->defer = sd_event_source_disable_unref(p->defer);
	if (!p->finished) {
		r = probe_attempt(p);
		if (r >= 0)
			return 0;
		p->res.error = r;
		snprintf(p->res.message, sizeof(p->res.message), "cannot start a session: %s",
			 strerror(-r));
		p->finished = true;
	}
	p->done(p, &p->res, p->userdata); /* may free p */
	return 0;
}

static void probe_schedule(struct probe *p)
{
	if (p->defer)
		return;
	if (sd_event_add_defer(p->event, &p->defer, on_defer, p) < 0) {
		/* Out of memory in the loop itself: nothing better to report with. */
		log_debug("probe: cannot schedule the next step");
		p->finished = true;
	}
}

int probe_new(sd_event *e, const struct conn_config *cfg, bool ladder, probe_done_fn done,
	      void *userdata, struct probe **ret)
{
	struct probe *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	*p = (struct probe){.event = sd_event_ref(e),
			    .cfg = *cfg,
			    .ladder = ladder,
			    .done = done,
			    .userdata = userdata};
	r = sd_event_add_defer(e, &p->defer, on_defer, p);
	if (r < 0) {
		probe_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

struct probe *probe_free(struct probe *p)
{
	if (!p)
		return NULL;
	p->defer = sd_event_source_disable_unref(p->defer);
	conn_unref(p->conn);
	sd_event_unref(p->event);
	free(p);
	return NULL;
}
