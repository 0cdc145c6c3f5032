/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What lib/serveproto.c (the session, dispatch and reply writer) shares with
 * lib/serveproto-query.c (GET, LIST and the refused SET/INSTCMD). Not for
 * other modules: they use serveproto.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "serveproto.h"

/* One request being answered. */
struct serve_ctx {
	struct serve_session *s;
	const struct serve_ops *ops;
	void *ud;
	struct serve_out *out;
	const char *cmd; /* the command (or subcommand) as we spell it: "MASTER", "VAR" */
	char **arg;	 /* the words after it */
	size_t n;
	size_t mark; /* where the reply line being built began in out */
	int r;	     /* -ENOMEM once an allocation failed; everything after is dropped */
};

/*
 * One reply line from a template: %w a name (bare when it is one plain word,
 * quoted otherwise), %v a value (quoted and escaped as upsd's pconf_encode(),
 * bytes outside printable ASCII dropped), %s text of our own, %u an
 * unsigned. Nothing a client sent goes through %s.
 */
void serve_reply(struct serve_ctx *c, const char *fmt, ...);
void serve_reply_err(struct serve_ctx *c, const char *word);

/* The UPS so named, ASCII case aside: true and *i, or false and ERR UNKNOWN-UPS. */
bool serve_ups_known(struct serve_ctx *c, const char *name, size_t *i);
/*
 * As serve_ups_known(), and the UPS's current variables: true, or false with
 * ERR DATA-STALE / DRIVER-NOT-CONNECTED sent (or c->r set to -ENOMEM).
 */
bool serve_ups_fresh(struct serve_ctx *c, const char *name, size_t *i, const struct varlist **vars);

/* The commands serveproto-query.c answers; c->arg holds the words after the command. */
void serve_cmd_get(struct serve_ctx *c);
void serve_cmd_list(struct serve_ctx *c);
void serve_cmd_set(struct serve_ctx *c);
void serve_cmd_instcmd(struct serve_ctx *c);
