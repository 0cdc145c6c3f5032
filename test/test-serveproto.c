/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server side of the protocol against a fake server: two UPSes, "ups1"
 * with data and "Stale" without fresh data. Every request is checked against
 * the exact reply bytes.
 */
#include <errno.h>
#include <stdbool.h>

#include "macro.h"
#include "proto.h"
#include "serveproto.h"
#include "test.h"

static unsigned long ncases;

/* --- the fake server ----------------------------------------------------- */

struct fake {
	struct varlist vars; /* ups1's */
	const char *desc;    /* ups1's */
	int stale_err;	     /* what Stale's ups_vars returns */
	unsigned auth_calls, fsd_calls;
	size_t fsd_index;
	const char *fsd_user;
	int fsd_err;
	const char *seen_user, *seen_password, *seen_cert;
};

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
	struct fake *f = ud;

	return i == 0 ? f->desc : NULL;
}

static int f_vars(void *ud, size_t i, const struct varlist **ret)
{
	struct fake *f = ud;

	if (i != 0)
		return f->stale_err;
	*ret = &f->vars;
	return 0;
}

static unsigned f_numlogins(void *ud, size_t i)
{
	return i == 0 ? 2 : 0;
}

static void f_clients(void *ud, size_t i, void (*fn)(const char *addr, void *ctx), void *ctx)
{
	if (i != 0)
		return;
	fn("127.0.0.1", ctx);
	fn("::1", ctx);
}

/* upsmon/secret: primary; mon/pw: secondary; a certificate "client1" alone: secondary. */
/* In clear (a legacy plaintext login), only mon. */
static int f_auth(void *ud, const char *user, const char *password, const char *cert_name,
		  bool clear, enum serve_role *ret)
{
	struct fake *f = ud;

	f->auth_calls++;
	f->seen_user = user, f->seen_password = password, f->seen_cert = cert_name;
	if (clear && !(user && !strcmp(user, "mon")))
		return -EACCES;
	if (user && password && !strcmp(user, "upsmon") && !strcmp(password, "secret"))
		*ret = SERVE_ROLE_PRIMARY;
	else if (user && password && !strcmp(user, "mon") && !strcmp(password, "pw"))
		*ret = SERVE_ROLE_SECONDARY;
	else if (!password && cert_name && !strcmp(cert_name, "client1"))
		*ret = SERVE_ROLE_SECONDARY;
	else
		return -EACCES;
	return 0;
}

static int f_set_fsd(void *ud, size_t i, const char *user)
{
	struct fake *f = ud;

	f->fsd_calls++;
	f->fsd_index = i;
	f->fsd_user = user;
	return f->fsd_err;
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

/* --- one client ---------------------------------------------------------- */

struct t {
	struct fake f;
	struct serve_session s;
	struct serve_out out;
};

/* A secure session (TLS) to the fake, its output bounded at max. */
static void t_init(struct t *t, size_t max)
{
	*t = (struct t){0};
	t->f.desc = "Rack A";
	t->f.stale_err = -ESTALE;
	CHECK_INT(varlist_set(&t->f.vars, "ups.status", "OL CHRG"), 0);
	CHECK_INT(varlist_set(&t->f.vars, "battery.charge", "100"), 0);
	CHECK_INT(varlist_set(&t->f.vars, "battery.runtime", "-12.5"), 0);
	CHECK_INT(varlist_set(&t->f.vars, "device.model", "Back-UPS XS"), 0);
	serve_session_init(&t->s);
	t->s.tls = true;
	serve_out_init(&t->out, max);
}

static void t_done(struct t *t)
{
	serve_out_done(&t->out);
	serve_session_done(&t->s);
	varlist_clear(&t->f.vars);
}

/* The replies to one line, as one string. */
static const char *ask(struct t *t, const char *line)
{
	static char buf[65536];

	serve_out_consume(&t->out, t->out.len);
	CHECK_INT(serve_handle(&t->s, &ops, &t->f, line, &t->out), 0);
	CHECK(t->out.len < sizeof(buf));
	memcpy(buf, t->out.buf ? t->out.buf : "", t->out.len);
	buf[t->out.len] = '\0';
	ncases++;
	return buf;
}

#define ASK(t, line, expect) CHECK_STR(ask(t, line), expect)

static void login_as(struct t *t, const char *user, const char *password)
{
	char line[512];

	snprintf(line, sizeof(line), "USERNAME %s", user);
	ASK(t, line, "OK\n");
	snprintf(line, sizeof(line), "PASSWORD %s", password);
	ASK(t, line, "OK\n");
}

/* --- tests --------------------------------------------------------------- */

static void test_info(void)
{
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "VER", "upsagent - NUT network protocol 1.3\n");
	ASK(&t, "NETVER", "1.3\n");
	ASK(&t, "PROTVER", "1.3\n");
	ASK(&t, "HELP",
	    "Commands: HELP VER PROTVER NETVER GET LIST LOGIN LOGOUT USERNAME PASSWORD "
	    "STARTTLS PRIMARY MASTER FSD\n");
	/* command words in any case */
	ASK(&t, "ver", "upsagent - NUT network protocol 1.3\n");
	ASK(&t, "pRoTvEr", "1.3\n");
	ASK(&t, "  NETVER\r", "1.3\n");
	/* extra words */
	ASK(&t, "VER x", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "NETVER 1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "HELP me", "ERR INVALID-ARGUMENT\n");
	t_done(&t);
}

/* Lines that are empty, comments, untokenizable or no command at all. */
static void test_tokens(void)
{
	char line[PROTO_LINE_MAX + 16];
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "", "");
	ASK(&t, "   \t ", "");
	ASK(&t, "# only a comment", "");
	ASK(&t, "\"unterminated", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "VER \\", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "FOO", "ERR UNKNOWN-COMMAND\n");
	ASK(&t, "VERX", "ERR UNKNOWN-COMMAND\n");
	ASK(&t, "\"\"", "ERR UNKNOWN-COMMAND\n");
	ASK(&t, "\xff\xfe", "ERR UNKNOWN-COMMAND\n");
	ASK(&t, "ATTACH ups1", "ERR UNKNOWN-COMMAND\n");
	/* quoted words, escapes and a trailing comment, as parseconf reads them */
	ASK(&t, "GET VAR \"ups1\" \"ups.status\" # why", "VAR ups1 ups.status \"OL CHRG\"\n");
	ASK(&t, "GET VAR ups1 ups\\.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	ASK(&t, "\"GET\" VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	/* 65 words: past PROTO_WORDS_MAX */
	strcpy(line, "VER");
	for (int k = 0; k < 64; k++)
		strcat(line, " x");
	ASK(&t, line, "ERR INVALID-ARGUMENT\n");
	/* longer than PROTO_LINE_MAX */
	memset(line, 'a', PROTO_LINE_MAX + 1);
	line[PROTO_LINE_MAX + 1] = '\0';
	ASK(&t, line, "ERR INVALID-ARGUMENT\n");
	/* a long odd word as a UPS name: never echoed */
	strcpy(line, "GET VAR ");
	memset(line + 8, 'u', 600);
	strcpy(line + 608, " ups.status");
	ASK(&t, line, "ERR UNKNOWN-UPS\n");
	t_done(&t);
}

/* Before STARTTLS on a listener that offers it: no credentials, no data. */
static void test_plaintext_phase(void)
{
	static const char *const denied[] = {
	    "USERNAME upsmon",
	    "PASSWORD secret",
	    "LOGIN ups1",
	    "PRIMARY ups1",
	    "MASTER ups1",
	    "FSD ups1",
	    "GET VAR ups1 ups.status",
	    "GET NUMLOGINS ups1",
	    "LIST UPS",
	    "LIST VAR ups1",
	    "SET VAR ups1 x y",
	    "INSTCMD ups1 x",
	    "get var",
	    "SET TRACKING ON",
	    "LIST",
	};
	struct t t;

	t_init(&t, 4096);
	t.s.tls = false;
	t.s.starttls_ok = true;
	for (size_t k = 0; k < ELEMENTSOF(denied); k++)
		ASK(&t, denied[k], "ERR ACCESS-DENIED\n");
	CHECK(!t.s.username && !t.s.password);
	CHECK_INT(t.f.auth_calls, 0);
	ASK(&t, "VER", "upsagent - NUT network protocol 1.3\n");
	ASK(&t, "NETVER", "1.3\n");
	ASK(&t, "PROTVER", "1.3\n");
	ASK(&t, "FOO", "ERR UNKNOWN-COMMAND\n");
	ASK(&t, "HELP",
	    "Commands: HELP VER PROTVER NETVER GET LIST LOGIN LOGOUT USERNAME PASSWORD "
	    "STARTTLS PRIMARY MASTER FSD\n");
	ASK(&t, "STARTTLS x", "ERR INVALID-ARGUMENT\n");
	CHECK(!t.s.want_starttls);
	ASK(&t, "starttls", "OK STARTTLS\n");
	CHECK(t.s.want_starttls);
	/* the caller's handshake */
	t.s.want_starttls = false;
	t.s.tls = true;
	ASK(&t, "STARTTLS", "ERR ALREADY-SSL-MODE\n");
	CHECK(!t.s.want_starttls);
	ASK(&t, "LIST UPS",
	    "BEGIN LIST UPS\nUPS ups1 \"Rack A\"\nUPS Stale \"Description "
	    "unavailable\"\nEND LIST UPS\n");
	t_done(&t);

	/* a plaintext listener: secure as it is, no STARTTLS */
	t_init(&t, 4096);
	t.s.tls = false;
	t.s.plain_ok = true;
	ASK(&t, "STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n");
	CHECK(!t.s.want_starttls);
	ASK(&t, "GET VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	t_done(&t);

	/* LOGOUT is answered in clear too */
	t_init(&t, 4096);
	t.s.tls = false;
	t.s.starttls_ok = true;
	ASK(&t, "LOGOUT", "OK Goodbye\n");
	CHECK(t.s.want_close);
	t_done(&t);
}

static void test_username_password(void)
{
	char line[400];
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "USERNAME", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "USERNAME a b", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "USERNAME \"a b\"", "ERR INVALID-USERNAME\n");
	ASK(&t, "USERNAME \"\"", "ERR INVALID-USERNAME\n");
	ASK(&t, "USERNAME a@b", "ERR INVALID-USERNAME\n");
	ASK(&t, "USERNAME \"a\\\"b\"", "ERR INVALID-USERNAME\n");
	ASK(&t, "USERNAME \xc3\xa9", "ERR INVALID-USERNAME\n");
	strcpy(line, "USERNAME ");
	memset(line + 9, 'x', 65);
	line[9 + 65] = '\0';
	ASK(&t, line, "ERR INVALID-USERNAME\n");
	CHECK(!t.s.username);
	line[9 + 64] = '\0';
	ASK(&t, line, "OK\n");
	ASK(&t, "USERNAME other", "ERR ALREADY-SET-USERNAME\n");
	CHECK_INT(strlen(t.s.username), 64);

	ASK(&t, "PASSWORD", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "PASSWORD \"\"", "ERR INVALID-PASSWORD\n");
	strcpy(line, "PASSWORD ");
	memset(line + 9, 'p', 256);
	line[9 + 256] = '\0';
	ASK(&t, line, "ERR INVALID-PASSWORD\n");
	CHECK(!t.s.password);
	line[9 + 255] = '\0';
	ASK(&t, line, "OK\n");
	ASK(&t, "PASSWORD again", "ERR ALREADY-SET-PASSWORD\n");
	CHECK_INT(strlen(t.s.password), 255);
	/* a password may hold anything printable, quoted */
	t_done(&t);
	t_init(&t, 4096);
	ASK(&t, "PASSWORD \"a b#\\\"c\"", "OK\n");
	CHECK_STR(t.s.password, "a b#\"c");
	/* neither is checked until a command needs them */
	CHECK_INT(t.f.auth_calls, 0);
	serve_session_done(&t.s);
	CHECK(!t.s.username && !t.s.password && t.s.login == -1 && !t.s.tls);
	t_done(&t);
}

static void test_auth_required(void)
{
	static const char *const need[] = {"LOGIN ups1",     "PRIMARY ups1",	 "MASTER ups1",
					   "FSD ups1",	     "SET VAR ups1 x y", "SET TRACKING ON",
					   "INSTCMD ups1 x", "login nope"};
	struct t t;

	t_init(&t, 4096);
	for (size_t k = 0; k < ELEMENTSOF(need); k++)
		ASK(&t, need[k], "ERR USERNAME-REQUIRED\n");
	ASK(&t, "USERNAME upsmon", "OK\n");
	for (size_t k = 0; k < ELEMENTSOF(need); k++)
		ASK(&t, need[k], "ERR PASSWORD-REQUIRED\n");
	CHECK_INT(t.f.auth_calls, 0);
	CHECK_INT(t.s.auth_failures, 0);
	/* GET and LIST need no user */
	ASK(&t, "GET NUMLOGINS ups1", "NUMLOGINS ups1 2\n");
	t_done(&t);

	/* a client certificate stands for both */
	t_init(&t, 4096);
	t.s.cert_name = "client1";
	ASK(&t, "LOGIN ups1", "OK\n");
	CHECK(!t.f.seen_user && !t.f.seen_password);
	CHECK_STR(t.f.seen_cert, "client1");
	CHECK_INT(t.s.role, SERVE_ROLE_SECONDARY);
	ASK(&t, "PRIMARY ups1", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.f.auth_calls, 1);
	t_done(&t);

	/* ... for the password alone too */
	t_init(&t, 4096);
	t.s.cert_name = "client1";
	ASK(&t, "USERNAME someone", "OK\n");
	ASK(&t, "LOGIN ups1", "OK\n");
	CHECK_STR(t.f.seen_user, "someone");
	CHECK(!t.f.seen_password);
	t_done(&t);
}

static void test_login(void)
{
	struct t t;

	t_init(&t, 4096);
	login_as(&t, "mon", "pw");
	CHECK_INT(t.s.login, -1);
	ASK(&t, "LOGIN", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LOGIN ups1 ups1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LOGIN nope", "ERR UNKNOWN-UPS\n");
	CHECK(!t.s.login_changed);
	ASK(&t, "LOGIN stale", "OK\n"); /* UPS names in any case, as upsd */
	CHECK_INT(t.s.login, 1);
	CHECK(t.s.login_changed);
	t.s.login_changed = false;
	ASK(&t, "LOGIN ups1", "ERR ALREADY-LOGGED-IN\n");
	CHECK_INT(t.s.login, 1);
	CHECK(!t.s.login_changed);
	CHECK_INT(t.s.role, SERVE_ROLE_SECONDARY);
	/* authenticated once, then the role is kept */
	CHECK_INT(t.f.auth_calls, 1);
	ASK(&t, "PRIMARY ups1", "ERR ACCESS-DENIED\n");
	ASK(&t, "MASTER ups1", "ERR ACCESS-DENIED\n");
	ASK(&t, "FSD ups1", "ERR ACCESS-DENIED\n");
	CHECK(!t.s.primary);
	CHECK_INT(t.f.fsd_calls, 0);
	CHECK_INT(t.f.auth_calls, 1);
	CHECK_INT(t.s.auth_failures, 0);
	t_done(&t);
}

static void test_primary_fsd(void)
{
	struct t t;

	t_init(&t, 4096);
	login_as(&t, "upsmon", "secret");
	ASK(&t, "LOGIN ups1", "OK\n");
	CHECK_INT(t.s.login, 0);
	CHECK_INT(t.s.role, SERVE_ROLE_PRIMARY);
	ASK(&t, "PRIMARY", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "PRIMARY nope", "ERR UNKNOWN-UPS\n");
	CHECK(!t.s.primary);
	ASK(&t, "PRIMARY ups1", "OK PRIMARY-GRANTED\n");
	CHECK(t.s.primary);
	ASK(&t, "master UPS1", "OK MASTER-GRANTED\n");
	ASK(&t, "FSD", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "FSD nope", "ERR UNKNOWN-UPS\n");
	CHECK_INT(t.f.fsd_calls, 0);
	ASK(&t, "FSD Stale", "OK FSD-SET\n");
	CHECK_INT(t.f.fsd_calls, 1);
	CHECK_INT(t.f.fsd_index, 1);
	CHECK_STR(t.f.fsd_user, "upsmon");
	t.f.fsd_err = -EIO;
	ASK(&t, "FSD ups1", "ERR SET-FAILED\n");
	CHECK_INT(t.f.fsd_calls, 2);
	CHECK_INT(t.f.auth_calls, 1);
	t_done(&t);
}

static void test_auth_failures(void)
{
	struct t t;

	t_init(&t, 4096);
	login_as(&t, "upsmon", "wrong");
	ASK(&t, "LOGIN ups1", "ERR ACCESS-DENIED\n");
	CHECK(!t.s.want_close);
	ASK(&t, "PRIMARY ups1", "ERR ACCESS-DENIED\n");
	CHECK(!t.s.want_close);
	CHECK_INT(t.s.auth_failures, 2);
	/* GET goes on */
	ASK(&t, "GET VAR ups1 battery.charge", "VAR ups1 battery.charge \"100\"\n");
	ASK(&t, "FSD ups1", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.s.auth_failures, SERVE_AUTH_FAILURES_MAX);
	CHECK(t.s.want_close);
	CHECK_INT(t.s.role, SERVE_ROLE_NONE);
	CHECK_INT(t.s.login, -1);
	CHECK_INT(t.f.fsd_calls, 0);
	CHECK_INT(t.f.auth_calls, 3);
	/* what was pipelined behind goes unanswered */
	ASK(&t, "VER", "");
	ASK(&t, "LOGIN ups1", "");
	CHECK_INT(t.f.auth_calls, 3);
	t_done(&t);
}

static void test_logout(void)
{
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "LOGOUT now", "ERR INVALID-ARGUMENT\n");
	CHECK(!t.s.want_close);
	ASK(&t, "logout", "OK Goodbye\n");
	CHECK(t.s.want_close);
	ASK(&t, "VER", "");
	t_done(&t);
}

static void test_get(void)
{
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "GET VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	/* names in any case, echoed as given */
	ASK(&t, "get var UPS1 Battery.Charge", "VAR UPS1 Battery.Charge \"100\"\n");
	ASK(&t, "GET VAR nope ups.status", "ERR UNKNOWN-UPS\n");
	ASK(&t, "GET VAR Stale ups.status", "ERR DATA-STALE\n");
	ASK(&t, "GET VAR ups1 nothing", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "GET VAR ups1 \"odd name\"", "ERR VAR-NOT-SUPPORTED\n");
	/* server.* whatever the UPS */
	ASK(&t, "GET VAR ups1 server.info", "VAR ups1 server.info \"upsagent\"\n");
	ASK(&t, "GET VAR nope SERVER.VERSION", "VAR nope server.version \"1.3\"\n");
	ASK(&t, "GET VAR Stale server.version", "VAR Stale server.version \"1.3\"\n");
	ASK(&t, "GET VAR ups1 server.other", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "GET VAR \"a b\" server.info", "ERR UNKNOWN-UPS\n");

	ASK(&t, "GET NUMLOGINS ups1", "NUMLOGINS ups1 2\n");
	ASK(&t, "GET NUMLOGINS nope", "ERR UNKNOWN-UPS\n");
	ASK(&t, "GET NUMLOGINS Stale", "ERR DATA-STALE\n");
	ASK(&t, "GET UPSDESC ups1", "UPSDESC ups1 \"Rack A\"\n");
	ASK(&t, "GET UPSDESC Stale", "UPSDESC Stale \"Unavailable\"\n");
	ASK(&t, "GET UPSDESC nope", "ERR UNKNOWN-UPS\n");

	ASK(&t, "GET TYPE ups1 battery.charge", "TYPE ups1 battery.charge NUMBER\n");
	ASK(&t, "GET TYPE ups1 battery.runtime", "TYPE ups1 battery.runtime NUMBER\n");
	ASK(&t, "GET TYPE ups1 ups.status", "TYPE ups1 ups.status NUMBER\n"); /* upsd 2.8.0 */
	ASK(&t, "GET TYPE ups1 nothing", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "GET TYPE Stale ups.status", "ERR DATA-STALE\n");
	ASK(&t, "GET TYPE nope ups.status", "ERR UNKNOWN-UPS\n");

	ASK(&t, "GET DESC ups1 ups.status", "DESC ups1 ups.status \"UPS status\"\n");
	ASK(&t, "GET DESC ups1 battery.runtime",
	    "DESC ups1 battery.runtime \"Battery runtime (seconds)\"\n");
	ASK(&t, "GET DESC ups1 x.y", "DESC ups1 x.y \"Description unavailable\"\n");
	ASK(&t, "GET DESC ups1 \"x y\"", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "GET DESC Stale ups.status", "ERR DATA-STALE\n");
	ASK(&t, "GET CMDDESC ups1 beeper.off", "ERR CMD-NOT-SUPPORTED\n");
	ASK(&t, "GET CMDDESC nope beeper.off", "ERR UNKNOWN-UPS\n");
	ASK(&t, "GET CMDDESC Stale beeper.off", "ERR DATA-STALE\n");

	ASK(&t, "GET TRACKING", "OFF\n");
	ASK(&t, "get tracking 0123-4567", "ERR FEATURE-NOT-CONFIGURED\n");

	/* counts and subcommands */
	ASK(&t, "GET", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET FOO ups1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET VAR ups1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET VAR ups1 ups.status x", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET NUMLOGINS", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET UPSDESC ups1 x", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET TRACKING a b", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "GET TYPE ups1", "ERR INVALID-ARGUMENT\n");

	/* a source that never had a reading */
	t.f.stale_err = -ENOTCONN;
	ASK(&t, "GET VAR Stale ups.status", "ERR DRIVER-NOT-CONNECTED\n");
	ASK(&t, "LIST VAR Stale", "ERR DRIVER-NOT-CONNECTED\n");
	t_done(&t);
}

/* upsd 2.8.0 answers NUMBER for every variable a driver did not flag STRING
 * (only writable ones are): "TYPE ups1 driver.name NUMBER". */
static void test_type(void)
{
	static const char *const values[] = {"0", "230.0", "OL CHRG", "", "a\x01\xffz"};
	struct t t;

	t_init(&t, 4096);
	for (size_t k = 0; k < ELEMENTSOF(values); k++) {
		CHECK_INT(varlist_set(&t.f.vars, "x.y", values[k]), 0);
		ASK(&t, "GET TYPE ups1 x.y", "TYPE ups1 x.y NUMBER\n");
	}
	t_done(&t);
}

static void test_list(void)
{
	struct t t;

	t_init(&t, 4096);
	ASK(&t, "LIST UPS",
	    "BEGIN LIST UPS\nUPS ups1 \"Rack A\"\nUPS Stale \"Description unavailable\"\n"
	    "END LIST UPS\n");
	ASK(&t, "LIST VAR ups1",
	    "BEGIN LIST VAR ups1\n"
	    "VAR ups1 battery.charge \"100\"\nVAR ups1 battery.runtime \"-12.5\"\n"
	    "VAR ups1 device.model \"Back-UPS XS\"\nVAR ups1 ups.status \"OL CHRG\"\n"
	    "END LIST VAR ups1\n");
	ASK(&t, "list var UPS1",
	    "BEGIN LIST VAR UPS1\n"
	    "VAR UPS1 battery.charge \"100\"\nVAR UPS1 battery.runtime \"-12.5\"\n"
	    "VAR UPS1 device.model \"Back-UPS XS\"\nVAR UPS1 ups.status \"OL CHRG\"\n"
	    "END LIST VAR UPS1\n");
	ASK(&t, "LIST RW ups1", "BEGIN LIST RW ups1\nEND LIST RW ups1\n");
	ASK(&t, "list cmd ups1", "BEGIN LIST CMD ups1\nEND LIST CMD ups1\n");
	ASK(&t, "LIST ENUM ups1 ups.status",
	    "BEGIN LIST ENUM ups1 ups.status\nEND LIST ENUM ups1 ups.status\n");
	ASK(&t, "LIST RANGE ups1 battery.charge",
	    "BEGIN LIST RANGE ups1 battery.charge\nEND LIST RANGE ups1 battery.charge\n");
	ASK(&t, "LIST ENUM ups1 nothing", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "LIST RANGE ups1 nothing", "ERR VAR-NOT-SUPPORTED\n");
	ASK(&t, "LIST CLIENT ups1",
	    "BEGIN LIST CLIENT ups1\nCLIENT ups1 127.0.0.1\nCLIENT ups1 ::1\n"
	    "END LIST CLIENT ups1\n");
	/* the logins are ours: listed even while the data is stale */
	ASK(&t, "LIST CLIENT Stale", "BEGIN LIST CLIENT Stale\nEND LIST CLIENT Stale\n");

	ASK(&t, "LIST VAR Stale", "ERR DATA-STALE\n");
	ASK(&t, "LIST RW Stale", "ERR DATA-STALE\n");
	ASK(&t, "LIST CMD Stale", "ERR DATA-STALE\n");
	ASK(&t, "LIST ENUM Stale ups.status", "ERR DATA-STALE\n");
	ASK(&t, "LIST VAR nope", "ERR UNKNOWN-UPS\n");
	ASK(&t, "LIST CLIENT nope", "ERR UNKNOWN-UPS\n");
	ASK(&t, "LIST RANGE nope x", "ERR UNKNOWN-UPS\n");

	ASK(&t, "LIST", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LIST UPS x", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LIST VAR", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LIST ENUM ups1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "LIST FOO ups1", "ERR INVALID-ARGUMENT\n");
	t_done(&t);
}

static void test_refused(void)
{
	struct t t;

	t_init(&t, 4096);
	login_as(&t, "upsmon", "secret");
	ASK(&t, "SET VAR ups1 ups.status OB", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.s.role, SERVE_ROLE_NONE); /* no password checked for a refusal */
	ASK(&t, "set var UPS1 x \"a value\"", "ERR ACCESS-DENIED\n");
	ASK(&t, "SET VAR nope x y", "ERR UNKNOWN-UPS\n");
	ASK(&t, "SET VAR ups1 x", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "SET", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "SET FOO", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "SET TRACKING ON", "ERR FEATURE-NOT-CONFIGURED\n");
	ASK(&t, "set tracking off", "ERR FEATURE-NOT-CONFIGURED\n");
	ASK(&t, "SET TRACKING maybe", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "SET TRACKING", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "INSTCMD ups1 beeper.off", "ERR CMD-NOT-SUPPORTED\n");
	ASK(&t, "INSTCMD ups1 load.off.delay 5", "ERR CMD-NOT-SUPPORTED\n");
	ASK(&t, "INSTCMD nope x", "ERR UNKNOWN-UPS\n");
	ASK(&t, "INSTCMD ups1", "ERR INVALID-ARGUMENT\n");
	ASK(&t, "INSTCMD ups1 a b c", "ERR INVALID-ARGUMENT\n");
	/* refusals are no failed authentications */
	CHECK_INT(t.s.auth_failures, 0);
	CHECK(!t.s.want_close);
	CHECK_INT(t.f.auth_calls, 0);
	t_done(&t);

	/* As upsd: SET and INSTCMD need USERNAME and PASSWORD given, never
	 * checked (the answer is the same): no guess is counted through them. */
	t_init(&t, 4096);
	ASK(&t, "INSTCMD ups1 x", "ERR USERNAME-REQUIRED\n");
	ASK(&t, "USERNAME upsmon", "OK\n");
	ASK(&t, "SET VAR ups1 ups.status OB", "ERR PASSWORD-REQUIRED\n");
	ASK(&t, "PASSWORD nope", "OK\n");
	ASK(&t, "INSTCMD nope x", "ERR UNKNOWN-UPS\n");
	ASK(&t, "INSTCMD ups1 x", "ERR CMD-NOT-SUPPORTED\n");
	ASK(&t, "SET VAR ups1 ups.status OB", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.s.auth_failures, 0);
	CHECK_INT(t.f.auth_calls, 0);
	CHECK(!t.s.auth_tried);
	t_done(&t);
}

/* A plaintext listener facing the network: reads only, no credential kept. */
static void test_reads_only(void)
{
	static const char *const refused[] = {
	    "USERNAME upsmon", "PASSWORD secret", "LOGIN ups1",	      "PRIMARY ups1",
	    "MASTER ups1",     "FSD ups1",	  "SET VAR ups1 x y", "INSTCMD ups1 x",
	};
	struct t t;

	t_init(&t, 4096);
	t.s.tls = false;
	t.s.plain_ok = true;
	t.s.reads_only = true;
	for (size_t k = 0; k < ELEMENTSOF(refused); k++)
		ASK(&t, refused[k], "ERR ACCESS-DENIED\n");
	CHECK(!t.s.username && !t.s.password && t.s.login < 0);
	CHECK_INT(t.f.auth_calls, 0);
	ASK(&t, "GET VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	ASK(&t, "NETVER", "1.3\n");
	ASK(&t, "HELP", "Commands: HELP VER PROTVER NETVER GET LIST LOGOUT\n");
	CHECK(strncmp(ask(&t, "LIST UPS"), "BEGIN LIST UPS\n", 15) == 0);
	ASK(&t, "STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n");
	t_done(&t);
}

/* Legacy plaintext logins (plaintext-login, import-upsd): before TLS only a
 * user allowed so logs in, and never sets FSD; others stay refused. */
static void test_legacy_logins(void)
{
	struct t t;

	t_init(&t, 4096);
	t.s.tls = false;
	t.s.starttls_ok = true;
	t.s.legacy_logins = true;
	/* Data waits for a login; the credentials are kept. */
	ASK(&t, "GET VAR ups1 ups.status", "ERR USERNAME-REQUIRED\n");
	login_as(&t, "mon", "pw");
	ASK(&t, "LOGIN ups1", "OK\n");
	CHECK_INT(t.s.login, 0);
	ASK(&t, "GET VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	ASK(&t, "FSD ups1", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.f.fsd_calls, 0);
	t_done(&t);

	/* A user not allowed plaintext logins is refused, even with its password. */
	t_init(&t, 4096);
	t.s.tls = false;
	t.s.starttls_ok = true;
	t.s.legacy_logins = true;
	login_as(&t, "upsmon", "secret");
	ASK(&t, "LOGIN ups1", "ERR ACCESS-DENIED\n");
	CHECK_INT(t.s.login, -1);
	CHECK_INT(t.s.auth_failures, 1);
	/* ...but the same session upgraded to TLS logs it in. */
	ASK(&t, "STARTTLS", "OK STARTTLS\n");
	t.s.want_starttls = false;
	t.s.tls = true;
	t_done(&t);

	/* On a reads-only listener, reads stay open, logins as above. */
	t_init(&t, 4096);
	t.s.tls = false;
	t.s.plain_ok = true;
	t.s.reads_only = true;
	t.s.legacy_logins = true;
	ASK(&t, "GET VAR ups1 ups.status", "VAR ups1 ups.status \"OL CHRG\"\n");
	login_as(&t, "mon", "pw");
	ASK(&t, "LOGIN ups1", "OK\n");
	ASK(&t, "FSD ups1", "ERR ACCESS-DENIED\n");
	ASK(&t, "SET VAR ups1 x y", "ERR ACCESS-DENIED\n");
	t_done(&t);
}

/* Values as pconf_encode() writes them; what cannot cross is dropped. */
static void test_escaping(void)
{
	struct proto_words w;
	char big[3000], *line;
	struct t t;
	size_t n;

	t_init(&t, 65536);
	t.f.desc = "A \"quoted\" #1 \\ back\x01\x1f\x7f\xc3\xa9 end";
	ASK(&t, "GET UPSDESC ups1", "UPSDESC ups1 \"A \\\"quoted\\\" \\#1 \\\\ back end\"\n");
	line = (char *)ask(&t, "GET UPSDESC ups1");
	line[strlen(line) - 1] = '\0';
	CHECK_INT(proto_split(line, &w), 0);
	CHECK_INT(w.n, 3);
	CHECK_STR(w.w[2], "A \"quoted\" #1 \\ back end");

	CHECK_INT(varlist_set(&t.f.vars, "ups.alarm", "\t\r\n"), 0);
	ASK(&t, "GET VAR ups1 ups.alarm", "VAR ups1 ups.alarm \"\"\n");
	ASK(&t, "GET TYPE ups1 ups.alarm", "TYPE ups1 ups.alarm NUMBER\n");
	ASK(&t, "GET VAR ups1 \"ups.alarm\"", "VAR ups1 ups.alarm \"\"\n");

	/* a name that is not one plain word goes quoted */
	CHECK_INT(varlist_set(&t.f.vars, "odd name", "x"), 0);
	line = (char *)ask(&t, "LIST VAR ups1");
	CHECK(strstr(line, "\nVAR ups1 \"odd name\" \"x\"\n"));

	/* a value past PROTO_LINE_MAX is cut, never inside an escape */
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(varlist_set(&t.f.vars, "ups.test.result", big), 0);
	line = (char *)ask(&t, "GET VAR ups1 ups.test.result");
	n = strlen(line) - 1;
	CHECK(n <= PROTO_LINE_MAX && n >= PROTO_LINE_MAX - 1);
	CHECK(!strncmp(line, "VAR ups1 ups.test.result \"\\#\\#", 30));
	CHECK(!strcmp(line + n - 3, "\\#\"\n"));
	line[n] = '\0';
	CHECK_INT(proto_split(line, &w), 0);
	CHECK_INT(w.n, 4);
	CHECK_INT(strlen(w.w[3]), (n - 27) / 2);
	t_done(&t);
}

/* Past serve_out.max: whole lines kept, then overflow and nothing more. */
static void test_output_bound(void)
{
	const char *r;
	struct t t;

	t_init(&t, 64);
	ASK(&t, "LIST UPS", "BEGIN LIST UPS\nUPS ups1 \"Rack A\"\n");
	CHECK(t.out.overflow);
	CHECK(t.out.len <= t.out.max);
	/* the caller closes; anything more is dropped */
	r = ask(&t, "VER");
	CHECK_STR(r, "");
	t_done(&t);

	t_init(&t, 100);
	ASK(&t, "VER", "upsagent - NUT network protocol 1.3\n");
	/* not consumed: the next reply lands behind it */
	CHECK_INT(serve_handle(&t.s, &ops, &t.f, "NETVER", &t.out), 0);
	CHECK_INT(t.out.len, 40);
	CHECK(!memcmp(t.out.buf, "upsagent - NUT network protocol 1.3\n1.3\n", 40));
	serve_out_consume(&t.out, 36);
	CHECK_INT(t.out.len, 4);
	CHECK(!memcmp(t.out.buf, "1.3\n", 4));
	CHECK(!t.out.overflow);
	CHECK_INT(serve_handle(&t.s, &ops, &t.f, "LIST VAR ups1", &t.out), 0);
	CHECK(t.out.overflow);
	CHECK(t.out.len <= 100);
	CHECK(t.out.buf[t.out.len - 1] == '\n');
	serve_out_consume(&t.out, 1000);
	CHECK_INT(t.out.len, 0);
	t_done(&t);

	/* no room at all */
	t_init(&t, 0);
	ASK(&t, "VER", "");
	CHECK(t.out.overflow);
	t_done(&t);
}

int main(void)
{
	TEST_RUN(test_info);
	TEST_RUN(test_tokens);
	TEST_RUN(test_plaintext_phase);
	TEST_RUN(test_username_password);
	TEST_RUN(test_auth_required);
	TEST_RUN(test_login);
	TEST_RUN(test_primary_fsd);
	TEST_RUN(test_auth_failures);
	TEST_RUN(test_logout);
	TEST_RUN(test_get);
	TEST_RUN(test_type);
	TEST_RUN(test_list);
	TEST_RUN(test_refused);
	TEST_RUN(test_reads_only);
	TEST_RUN(test_legacy_logins);
	TEST_RUN(test_escaping);
	TEST_RUN(test_output_bound);
	fprintf(stderr, "test-serveproto: %lu requests answered as expected\n", ncases);
	return 0;
}
