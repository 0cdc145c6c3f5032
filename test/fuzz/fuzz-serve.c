/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the server side of the protocol. The first byte picks
 * the session (TLS or not, plaintext allowed, STARTTLS offered, a client
 * certificate) and the second the output bound; the rest is request lines,
 * split on LF, each answered by serve_handle() against two fake UPSes (one
 * stale) whose values hold every byte that needs escaping.
 *
 * Every reply must be whole lines of printable ASCII that split back into
 * words, no longer than PROTO_LINE_MAX; before the channel is secure, no
 * reply may carry data; the output never passes its bound.
 *
 * test/fuzz/replay.c replays its seeds in every build, without clang.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "serveproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct varlist vars;

static size_t f_count(void *ud)
{
	return 2;
}

static const char *f_name(void *ud, size_t i)
{
	return i == 0 ? "ups1" : "Stale";
}

static const char *f_desc(void *ud, size_t i)
{
	return i == 0 ? "Rack \"A\" #1 \\ \x01\xff" : NULL;
}

static int f_vars(void *ud, size_t i, const struct varlist **ret)
{
	if (i != 0)
		return -ESTALE;
	*ret = &vars;
	return 0;
}

static unsigned f_numlogins(void *ud, size_t i)
{
	return 3;
}

static void f_clients(void *ud, size_t i, void (*fn)(const char *addr, void *ctx), void *ctx)
{
	fn("127.0.0.1", ctx);
	fn("fe80::1%eth0", ctx);
	fn("bad addr \"x\"", ctx);
}

/* mon may log in in plaintext (plaintext-login), upsmon only under TLS. */
static int f_auth(void *ud, const char *user, const char *password, const char *cert_name,
		  bool clear, enum serve_role *ret)
{
	if (clear && !(user && strcmp(user, "mon") == 0))
		return -EACCES;
	if (user && password && strcmp(user, "upsmon") == 0 && strcmp(password, "secret") == 0)
		*ret = SERVE_ROLE_PRIMARY;
	else if ((user && password && strcmp(user, "mon") == 0 && strcmp(password, "pw") == 0) ||
		 (cert_name && !password))
		*ret = SERVE_ROLE_SECONDARY;
	else
		return -EACCES;
	return 0;
}

/* ud is the session: FSD only from an authenticated primary over a secure channel. */
static int f_set_fsd(void *ud, size_t i, const char *user)
{
	const struct serve_session *s = ud;

	/* never in clear: not on a reads-only listener, not with a legacy login */
	if (s->role != SERVE_ROLE_PRIMARY || !(s->tls || (s->plain_ok && !s->reads_only)) || i > 1)
		abort();
	return 0;
}

static const struct serve_ops ops = {
    .ups_count = f_count,
    .ups_name = f_name,
    .ups_desc = f_desc,
    .ups_vars = f_vars,
    .ups_numlogins = f_numlogins,
    .ups_clients = f_clients,
    .authenticate = f_auth,
    .set_fsd = f_set_fsd,
};

static void vars_fill(void)
{
	static char big[3000];

	if (vars.n)
		return;
	memset(big, '#', sizeof(big) - 1);
	if (varlist_set(&vars, "ups.status", "OL CHRG") < 0 ||
	    varlist_set(&vars, "battery.charge", "100") < 0 ||
	    varlist_set(&vars, "battery.runtime", "-12.5") < 0 ||
	    varlist_set(&vars, "device.model", "Back-UPS \"XS\" #1 \\ \t\x7f\xc3\xa9") < 0 ||
	    varlist_set(&vars, "ups.test.result", big) < 0 ||
	    varlist_set(&vars, "odd name", "x") < 0)
		abort();
}

/* What the plaintext phase may say: nothing that carries a UPS's data. */
static bool reply_is_clear(const char *line)
{
	static const char *const ok[] = {"ERR ", "OK STARTTLS", "OK Goodbye",
					 "1.3",	 "upsagent - ", "Commands: "};

	/* a bare OK (USERNAME, PASSWORD of a legacy plaintext login) says nothing */
	if (strcmp(line, "OK") == 0)
		return true;
	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		if (strncmp(line, ok[k], strlen(ok[k])) == 0)
			return true;
	return false;
}

/* The new bytes in out: whole lines, printable, splittable, bounded. */
static void check_replies(const struct serve_out *out, bool secure)
{
	static struct proto_words w;
	static char line[PROTO_LINE_MAX + 1];
	size_t start = 0;

	if (out->len > out->max || (out->len > 0 && out->buf[out->len - 1] != '\n'))
		abort();
	for (size_t k = 0; k < out->len; k++) {
		unsigned char ch = (unsigned char)out->buf[k];

		if (ch == '\n') {
			if (k - start > PROTO_LINE_MAX)
				abort();
			memcpy(line, out->buf + start, k - start);
			line[k - start] = '\0';
			if (proto_split(line, &w) != 0 || w.n == 0)
				abort();
			if (!secure && !reply_is_clear(line))
				abort();
			start = k + 1;
		} else if (ch < 0x20 || ch > 0x7e) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[PROTO_LINE_MAX + 1];
	struct serve_session s;
	struct serve_out out;
	size_t off = 2;

	if (size < 2)
		return 0;
	vars_fill();
	serve_session_init(&s);
	s.tls = data[0] & 1;
	s.plain_ok = data[0] & 2;
	s.starttls_ok = data[0] & 4;
	s.cert_name = data[0] & 8 ? "client1" : NULL;
	s.reads_only = s.plain_ok && (data[0] & 64);
	s.legacy_logins = data[0] & 128;
	serve_out_init(&out, 64 + (size_t)data[1] * 64);
	while (off < size && !s.want_close && !out.overflow) {
		const uint8_t *lf = memchr(data + off, '\n', size - off);
		size_t len = lf ? (size_t)(lf - (data + off)) : size - off;
		bool secure = s.tls || s.plain_ok;

		/* the caller's reader cuts at PROTO_LINE_MAX; a NUL ends the string early */
		memcpy(line, data + off, len < PROTO_LINE_MAX ? len : PROTO_LINE_MAX);
		line[len < PROTO_LINE_MAX ? len : PROTO_LINE_MAX] = '\0';
		off += len + 1;
		if (serve_handle(&s, &ops, &s, line, &out) < 0)
			abort(); /* no allocation here can fail but by running out of memory */
		/* a legacy plaintext login, once authenticated, reads in clear by design */
		if (s.legacy_logins && s.role != SERVE_ROLE_NONE)
			secure = true;
		check_replies(&out, secure);
		serve_out_consume(&out, out.len); /* sent */
		if (s.want_starttls) {
			/* the handshake, as the caller does it */
			s.want_starttls = false;
			s.tls = true;
		}
	}
	if (s.auth_failures > SERVE_AUTH_FAILURES_MAX)
		abort();
	serve_out_done(&out);
	serve_session_done(&s);
	if (s.username || s.password || s.login != -1)
		abort();
	return 0;
}
