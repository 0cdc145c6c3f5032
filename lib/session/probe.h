/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a host can really read from a UPS server, tried the way the daemon
 * will: resolve, connect, STARTTLS or direct TLS, verify, PROTVER, the
 * credentials, LOGIN (and PRIMARY), one variable read (ups.status), LOGOUT.
 *
 * A ladder (an import of upsmon's settings, which verified nothing unless
 * told to) goes on where the secure way failed for a reason upsmon
 * ignored: a certificate that cannot be verified is tried again pinned to
 * the key the server showed (trust on first use), and a server that offers
 * no TLS again in plaintext. Every other failure (refused, unreachable,
 * bad password, unknown UPS) ends the probe. Nothing is logged above debug:
 * the result says what happened.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "conn.h"
#include "tls.h"

enum probe_transport {
	PROBE_AS_CONFIGURED, /* with the settings given (verified, or as written) */
	PROBE_PINNED,	     /* ladder: STARTTLS with the key the server showed pinned */
	PROBE_PLAINTEXT,     /* ladder: no TLS at that server: plaintext */
};

struct probe_result {
	int error;			/* 0: ups.status was read; else -errno */
	enum probe_transport transport; /* how the last attempt went */
	char pin[TLS_PIN_LEN + 1];	/* PROBE_PINNED: the key trusted on first use */
	char tls[128];			/* "TLS1.3/..." or "plaintext", once it worked */
	char status[64];		/* ups.status as read (escaped) */
	char message[512];		/* error: why, in one sentence (escaped) */
	char secure_failure[512];	/* PINNED or PLAINTEXT: why the secure way failed */
};

struct probe;

typedef void (*probe_done_fn)(struct probe *p, const struct probe_result *r, void *userdata);

/*
 * Starts a probe on e with cfg (its strings are copied; cfg->creds must
 * live until the probe ends) and calls done once, from the loop, never
 * from probe_new(). Free with probe_free(), also from done. 0 or -errno.
 */
int probe_new(sd_event *e, const struct conn_config *cfg, bool ladder, probe_done_fn done,
	      void *userdata, struct probe **ret);
struct probe *probe_free(struct probe *p);
const char *probe_transport_to_string(enum probe_transport t);
