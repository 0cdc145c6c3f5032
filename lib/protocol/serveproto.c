/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server side of the NUT network protocol: one request line in, its reply
 * lines out, in the words and the error order of upsd 2.8 (server/netget.c,
 * netlist.c, netuser.c).
 *
 * The secure channel rule. A session is secure once it runs under TLS, or
 * when its listener allows plaintext (s->plain_ok: loopback, written so in
 * the config). Before that, in the plaintext phase of a STARTTLS listener,
 * only STARTTLS, VER, NETVER, PROTVER, HELP and LOGOUT are answered; every
 * other command gets ERR ACCESS-DENIED. So neither a password nor a UPS's
 * data ever crosses in clear on a listener that offers TLS: a client must
 * upgrade first. upsd has no such rule (it serves plaintext clients always);
 * this is where we are stricter than it.
 *
 * A plaintext listener facing the network (s->reads_only) answers reads only:
 * it is for the clients that have no TLS (Home Assistant, PyNUT, exporters),
 * and a password sent there would cross the network in clear.
 *
 * Legacy plaintext logins (s->legacy_logins, on a STARTTLS or reads-only
 * listener): upsd took USERNAME and PASSWORD in clear from any client
 * without FORCESSL, so after a switch from upsd the hosts not yet moved to
 * STARTTLS keep logging in, but only as users the owner allows so: before
 * TLS, USERNAME and PASSWORD are kept, any other command first
 * authenticates (clear) and then works as under TLS, except FSD, which is
 * never taken in plaintext.
 *
 * Where we differ from upsd on purpose:
 * - read-only: SET is refused (ERR ACCESS-DENIED, upsd's answer to a user
 *   without the right), INSTCMD gets CMD-NOT-SUPPORTED (no UPS here has
 *   instant commands), neither checks the password (the answer would not
 *   change), SET TRACKING gets FEATURE-NOT-CONFIGURED;
 * - credentials are checked by ops->authenticate() as soon as a command needs
 *   them, and SERVE_AUTH_FAILURES_MAX failures close the session;
 * - LIST RANGE ends with END LIST RANGE (upsd writes END LIST ENUM, a bug
 *   that makes strict clients reject the list);
 * - a wrong number of words is ERR INVALID-ARGUMENT everywhere (upsd ignores
 *   extra words after GET and LIST);
 * - every reply line stays within PROTO_LINE_MAX (a longer value is cut) and
 *   all of a request's replies within serve_out.max;
 * - once the session is to close (LOGOUT, failed authentications), lines the
 *   client pipelined behind go unanswered.
 *
 * GET and LIST live in serveproto-query.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "nutword.h"
#include "proto.h"
#include "serveproto-internal.h"
#include "serveproto.h"

#define SERVE_PASSWORD_MAX 255 /* upsd.users allows no longer; longer is a client bug */

/* --- bounded output ------------------------------------------------------ */

void serve_out_init(struct serve_out *o, size_t max)
{
	*o = (struct serve_out){.max = max};
}

void serve_out_consume(struct serve_out *o, size_t n)
{
	if (n >= o->len) {
		o->len = 0;
		return;
	}
	memmove(o->buf, o->buf + n, o->len - n);
	o->len -= n;
}

void serve_out_done(struct serve_out *o)
{
	free(o->buf);
	*o = (struct serve_out){0};
}

static void put_bytes(struct serve_ctx *c, const char *p, size_t n)
{
	struct serve_out *o = c->out;

	if (c->r < 0 || o->overflow || n == 0)
		return;
	if (o->len > o->max || n > o->max - o->len) {
		/* a half line would be worse than none: the caller closes after the whole ones */
		o->overflow = true;
		o->len = c->mark;
		return;
	}
	if (o->len + n > o->allocated) {
		size_t a = o->allocated ? o->allocated : 256;
		char *b;

		while (a < o->len + n)
			a = a > SIZE_MAX / 2 ? SIZE_MAX : a * 2;
		if (a > o->max)
			a = o->max;
		b = realloc(o->buf, a);
		if (!b) {
			c->r = -ENOMEM;
			o->len = c->mark;
			return;
		}
		o->buf = b;
		o->allocated = a;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put_str(struct serve_ctx *c, const char *s)
{
	put_bytes(c, s, strlen(s));
}

/* How long the line being built is so far. */
static size_t line_len(const struct serve_ctx *c)
{
	return c->out->len >= c->mark ? c->out->len - c->mark : 0;
}

/*
 * A value as upsd's pconf_encode() writes it: in double quotes, with '\\',
 * '"' and '#' escaped; bytes outside printable ASCII are dropped, as upsd
 * does since CVE-2012-2944. A value that would make the line longer than
 * PROTO_LINE_MAX is cut there (never inside an escape), so that no client's
 * line reader chokes on it.
 */
static void put_value(struct serve_ctx *c, const char *v)
{
	char buf[256];
	size_t k = 0, used = line_len(c) + 2; /* with both quotes */

	put_bytes(c, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		bool esc = *p == '\\' || *p == '"' || *p == '#';

		if (*p < 0x20 || *p > 0x7e)
			continue;
		if (used + 1 + esc > PROTO_LINE_MAX)
			break;
		if (k + 2 > sizeof(buf)) {
			put_bytes(c, buf, k);
			k = 0;
		}
		if (esc)
			buf[k++] = '\\';
		buf[k++] = (char)*p;
		used += 1 + esc;
	}
	put_bytes(c, buf, k);
	put_bytes(c, "\"", 1);
}

/* A name (UPS, variable, address): bare when it is one plain word, quoted otherwise. */
static void put_name(struct serve_ctx *c, const char *name)
{
	if (nut_word_ok(name))
		put_str(c, name);
	else
		put_value(c, name);
}

/*
 * One reply line from a template: %w a name (put_name), %v a value
 * (put_value), %s text of our own, %u an unsigned. Nothing a client sent
 * goes through %s.
 */
void serve_reply(struct serve_ctx *c, const char *fmt, ...)
{
	va_list ap;

	c->mark = c->out->len;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		const char *q = strchr(p, '%');
		char num[16];

		if (!q) {
			put_str(c, p);
			break;
		}
		put_bytes(c, p, (size_t)(q - p));
		p = q + 1;
		if (*p == 'w') {
			put_name(c, va_arg(ap, const char *));
		} else if (*p == 'v') {
			put_value(c, va_arg(ap, const char *));
		} else if (*p == 's') {
			put_str(c, va_arg(ap, const char *));
		} else if (*p == 'u') {
			snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned));
			put_str(c, num);
		} else {
			p--; /* a lone '%': the templates have none, but never read past the end */
		}
	}
	va_end(ap);
	put_bytes(c, "\n", 1);
}

void serve_reply_err(struct serve_ctx *c, const char *word)
{
	serve_reply(c, "ERR %s", word);
}

/* --- lookups ------------------------------------------------------------- */

/* The UPS so named, ASCII case aside (as upsd's get_ups_ptr()): true and *i. */
static bool ups_find(struct serve_ctx *c, const char *name, size_t *i)
{
	size_t n = c->ops->ups_count(c->ud);

	for (size_t k = 0; k < n; k++) {
		const char *u = c->ops->ups_name(c->ud, k);

		if (u && strcasecmp(u, name) == 0) {
			*i = k;
			return true;
		}
	}
	return false;
}

/* As ups_find(), or ERR UNKNOWN-UPS. The unknown name is not echoed. */
bool serve_ups_known(struct serve_ctx *c, const char *name, size_t *i)
{
	if (ups_find(c, name, i))
		return true;
	serve_reply_err(c, "UNKNOWN-UPS");
	return false;
}

/*
 * The UPS so named and its current variables, or the ERR of upsd's order:
 * UNKNOWN-UPS, then DATA-STALE or DRIVER-NOT-CONNECTED (its ups_available()).
 */
bool serve_ups_fresh(struct serve_ctx *c, const char *name, size_t *i, const struct varlist **vars)
{
	int r;

	if (!serve_ups_known(c, name, i))
		return false;
	r = c->ops->ups_vars(c->ud, *i, vars);
	if (r >= 0 && *vars)
		return true;
	if (r == -ENOMEM)
		c->r = r;
	else
		serve_reply_err(c, r == -ESTALE ? "DATA-STALE" : "DRIVER-NOT-CONNECTED");
	return false;
}

/* --- authentication ------------------------------------------------------ */

/* USERNAME and PASSWORD given (or a certificate): upsd's FLAG_USER check. */
static bool session_named(struct serve_ctx *c)
{
	const struct serve_session *s = c->s;

	if (!s->username && !s->cert_name) {
		serve_reply_err(c, "USERNAME-REQUIRED");
		return false;
	}
	if (!s->password && !s->cert_name) {
		serve_reply_err(c, "PASSWORD-REQUIRED");
		return false;
	}
	return true;
}

/*
 * Who the client is, asked of ops->authenticate() when a command first needs
 * it (as upsd checks upsd.users only then), and kept. false: the ERR is sent.
 */
/* Words from the client cross the network in clear: no TLS, and not a
 * loopback plaintext listener (which the administrator wrote so). */
static bool session_in_clear(const struct serve_session *s)
{
	return !s->tls && (!s->plain_ok || s->reads_only);
}

static bool session_auth(struct serve_ctx *c)
{
	struct serve_session *s = c->s;
	enum serve_role role = SERVE_ROLE_NONE;
	int r;

	if (s->role != SERVE_ROLE_NONE)
		return true;
	if (!session_named(c))
		return false;
	s->auth_tried = true;
	r = c->ops->authenticate(c->ud, s->username, s->password, s->cert_name, session_in_clear(s),
				 &role);
	if (r == -ENOMEM) {
		c->r = r;
		return false;
	}
	if (r < 0 || role == SERVE_ROLE_NONE) {
		serve_reply_err(c, "ACCESS-DENIED");
		/* one guess per session (USERNAME/PASSWORD are set once); this ends the retries */
		if (++s->auth_failures >= SERVE_AUTH_FAILURES_MAX)
			s->want_close = true;
		return false;
	}
	s->role = role;
	return true;
}

/* --- commands ------------------------------------------------------------ */

static bool args_exactly(struct serve_ctx *c, size_t n)
{
	if (c->n == n)
		return true;
	serve_reply_err(c, "INVALID-ARGUMENT");
	return false;
}

static void cmd_ver(struct serve_ctx *c)
{
	if (args_exactly(c, 0))
		serve_reply(c, "upsagent - NUT network protocol %s", SERVE_PROTOCOL_VERSION);
}

static void cmd_netver(struct serve_ctx *c)
{
	if (args_exactly(c, 0))
		serve_reply(c, "%s", SERVE_PROTOCOL_VERSION);
}

/* What a client may use here: upsd's list without SET and INSTCMD. */
static void cmd_help(struct serve_ctx *c)
{
	static const char help[] = "Commands: HELP VER PROTVER NETVER GET LIST LOGIN LOGOUT "
				   "USERNAME PASSWORD STARTTLS PRIMARY MASTER FSD";

	if (args_exactly(c, 0))
		serve_reply(c, "%s",
			    c->s->reads_only ? "Commands: HELP VER PROTVER NETVER GET LIST LOGOUT"
					     : help);
}

static void cmd_starttls(struct serve_ctx *c)
{
	if (!args_exactly(c, 0))
		return;
	if (c->s->tls) {
		serve_reply_err(c, "ALREADY-SSL-MODE");
	} else if (!c->s->starttls_ok) {
		serve_reply_err(c, "FEATURE-NOT-CONFIGURED");
	} else {
		serve_reply(c, "OK STARTTLS");
		c->s->want_starttls = true;
	}
}

static void cmd_logout(struct serve_ctx *c)
{
	if (!args_exactly(c, 0))
		return;
	serve_reply(c, "OK Goodbye");
	c->s->want_close = true;
}

static bool password_ok(const char *p)
{
	size_t len = strlen(p);

	return len > 0 && len <= SERVE_PASSWORD_MAX;
}

/* USERNAME and PASSWORD: each set once, and kept for the authentication to come. */
static void credential_set(struct serve_ctx *c, char **slot, bool (*valid)(const char *),
			   const char *err_again, const char *err_invalid)
{
	if (!args_exactly(c, 1))
		return;
	if (*slot) {
		serve_reply_err(c, err_again);
	} else if (!valid(c->arg[0])) {
		serve_reply_err(c, err_invalid);
	} else {
		*slot = strdup(c->arg[0]);
		if (!*slot)
			c->r = -ENOMEM;
		else
			serve_reply(c, "OK");
	}
}

static void cmd_username(struct serve_ctx *c)
{
	credential_set(c, &c->s->username, nut_word_ok, "ALREADY-SET-USERNAME", "INVALID-USERNAME");
}

static void cmd_password(struct serve_ctx *c)
{
	credential_set(c, &c->s->password, password_ok, "ALREADY-SET-PASSWORD", "INVALID-PASSWORD");
}

static void cmd_login(struct serve_ctx *c)
{
	size_t i;

	if (!args_exactly(c, 1) || !serve_ups_known(c, c->arg[0], &i))
		return;
	if (c->s->login >= 0) {
		serve_reply_err(c, "ALREADY-LOGGED-IN");
		return;
	}
	c->s->login = (int)i;
	c->s->login_changed = true;
	serve_reply(c, "OK");
}

/* The one UPS named by a primary's command (PRIMARY, FSD), or the ERR. */
static bool primary_ups(struct serve_ctx *c, size_t *i)
{
	if (!args_exactly(c, 1) || !serve_ups_known(c, c->arg[0], i))
		return false;
	if (c->s->role == SERVE_ROLE_PRIMARY)
		return true;
	serve_reply_err(c, "ACCESS-DENIED");
	return false;
}

/* PRIMARY and its old name MASTER: the reply names the one asked for. */
static void cmd_primary(struct serve_ctx *c)
{
	size_t i;

	if (!primary_ups(c, &i))
		return;
	c->s->primary = true;
	serve_reply(c, "OK %s-GRANTED", c->cmd);
}

static void cmd_fsd(struct serve_ctx *c)
{
	const char *who = c->s->username ? c->s->username : c->s->cert_name;
	size_t i;
	int r;

	if (!primary_ups(c, &i))
		return;
	r = c->ops->set_fsd(c->ud, i, who);
	if (r == -ENOMEM)
		c->r = r;
	else if (r < 0)
		serve_reply_err(c, "SET-FAILED");
	else
		serve_reply(c, "OK FSD-SET");
}

/* --- dispatch ------------------------------------------------------------ */

enum {
	CMD_CLEAR = 1 << 0, /* answered in the plaintext phase too */
	CMD_USER = 1 << 1,  /* authenticates first (upsd's FLAG_USER) */
	CMD_READ = 1 << 2,  /* answered on a reads-only listener */
	/* USERNAME and PASSWORD must be given, as upsd's FLAG_USER asks; no
	 * password is checked: the answer is a refusal whatever it is. */
	CMD_NAMED = 1 << 3,
};

static const struct command {
	const char *name;
	unsigned flags;
	void (*fn)(struct serve_ctx *c);
} commands[] = {
    {"VER", CMD_CLEAR | CMD_READ, cmd_ver},
    {"NETVER", CMD_CLEAR | CMD_READ, cmd_netver},
    {"PROTVER", CMD_CLEAR | CMD_READ, cmd_netver},
    {"HELP", CMD_CLEAR | CMD_READ, cmd_help},
    {"STARTTLS", CMD_CLEAR | CMD_READ, cmd_starttls},
    {"LOGOUT", CMD_CLEAR | CMD_READ, cmd_logout},
    {"GET", CMD_READ, serve_cmd_get},
    {"LIST", CMD_READ, serve_cmd_list},
    {"USERNAME", 0, cmd_username},
    {"PASSWORD", 0, cmd_password},
    {"LOGIN", CMD_USER, cmd_login},
    {"PRIMARY", CMD_USER, cmd_primary},
    {"MASTER", CMD_USER, cmd_primary},
    {"FSD", CMD_USER, cmd_fsd},
    {"SET", CMD_NAMED, serve_cmd_set},
    {"INSTCMD", CMD_NAMED, serve_cmd_instcmd},
};

/* Before TLS with legacy logins: the credentials are kept, the rest waits
 * for a user allowed plaintext logins, and FSD never comes in clear. */
static bool legacy_allows(struct serve_ctx *c, const struct command *cmd)
{
	if (cmd->fn == cmd_username || cmd->fn == cmd_password)
		return true;
	if (cmd->fn == cmd_fsd) {
		serve_reply_err(c, "ACCESS-DENIED");
		return false;
	}
	/* a reads-only listener's reads stay open to readers */
	if ((cmd->flags & CMD_READ) && c->s->reads_only)
		return true;
	return session_auth(c);
}

/* Whether the channel lets cmd through; the refusal is answered. */
static bool channel_allows(struct serve_ctx *c, const struct command *cmd)
{
	if (session_in_clear(c->s) && c->s->legacy_logins && !(cmd->flags & CMD_CLEAR))
		return legacy_allows(c, cmd);
	if (!(cmd->flags & CMD_CLEAR) && !c->s->tls && !c->s->plain_ok) {
		serve_reply_err(c, "ACCESS-DENIED");
		return false;
	}
	/* before the arguments are looked at: a PASSWORD there is never kept */
	if (!(cmd->flags & CMD_READ) && c->s->reads_only) {
		serve_reply_err(c, "ACCESS-DENIED");
		return false;
	}
	return true;
}

static void dispatch(struct serve_ctx *c, struct proto_words *w)
{
	const struct command *cmd = NULL;

	for (size_t k = 0; k < ELEMENTSOF(commands) && !cmd; k++)
		if (strcasecmp(commands[k].name, w->w[0]) == 0)
			cmd = &commands[k];
	if (!cmd) {
		serve_reply_err(c, "UNKNOWN-COMMAND");
		return;
	}
	if (!channel_allows(c, cmd))
		return;
	if ((cmd->flags & CMD_USER) && !session_auth(c))
		return;
	if ((cmd->flags & CMD_NAMED) && !session_named(c))
		return;
	c->cmd = cmd->name;
	c->arg = w->w + 1;
	c->n = w->n - 1;
	cmd->fn(c);
}

int serve_handle(struct serve_session *s, const struct serve_ops *ops, void *ud, const char *line,
		 struct serve_out *out)
{
	struct serve_ctx c = {.s = s, .ops = ops, .ud = ud, .out = out};
	struct proto_words w;

	/* after LOGOUT or the last failed authentication, what was pipelined goes unanswered */
	if (s->want_close)
		return 0;
	if (proto_split(line, &w) < 0)
		serve_reply_err(&c, "INVALID-ARGUMENT");
	else if (w.n > 0)
		dispatch(&c, &w);
	/* the words may hold a password */
	explicit_wipe(&w, sizeof(w));
	return c.r;
}

/* --- session ------------------------------------------------------------- */

void serve_session_init(struct serve_session *s)
{
	*s = (struct serve_session){.login = -1};
}

void serve_session_done(struct serve_session *s)
{
	if (s->password) {
		explicit_wipe(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->username);
	serve_session_init(s);
}
