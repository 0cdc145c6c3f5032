/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The polkit rule, run in duktape (the JavaScript engine of polkitd 122)
 * with polkit's API stubbed: the upsagent user may power off, and nothing
 * else; nobody else gains anything.
 */
#include <duktape.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

static const char prelude[] =
	"var rules = [];"
	"var polkit = {Result: {YES: 'yes', NO: 'no', AUTH_ADMIN: 'auth_admin',"
	"                       AUTH_SELF: 'auth_self', NOT_HANDLED: null},"
	"              addRule: function(f) { rules.push(f); }, log: function() {}};"
	"function check(id, user) {"
	"  var action = {id: id, lookup: function() { return undefined; }};"
	"  var subject = {user: user, local: false, active: false,"
	"                 isInGroup: function() { return false; }};"
	"  for (var i = 0; i < rules.length; i++) {"
	"    var r = rules[i](action, subject);"
	"    if (r !== null && r !== undefined) return r;"
	"  }"
	"  return 'not handled';"
	"}";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	CHECK(f && buf);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static const char *check(duk_context *ctx, const char *id, const char *user)
{
	duk_get_global_string(ctx, "check");
	duk_push_string(ctx, id);
	duk_push_string(ctx, user);
	CHECK(duk_pcall(ctx, 2) == DUK_EXEC_SUCCESS);
	return duk_safe_to_string(ctx, -1);
}

static const struct {
	const char *action, *user, *result;
} cases[] = {
	{"org.freedesktop.login1.power-off", "upsagent", "yes"},
	{"org.freedesktop.login1.power-off-multiple-sessions", "upsagent", "yes"},
	{"org.freedesktop.login1.power-off-ignore-inhibit", "upsagent", "yes"},
	{"org.freedesktop.login1.reboot", "upsagent", "not handled"},
	{"org.freedesktop.login1.suspend", "upsagent", "not handled"},
	{"org.freedesktop.login1.set-wall-message", "upsagent", "not handled"},
	{"org.freedesktop.systemd1.manage-units", "upsagent", "not handled"},
	{"org.freedesktop.login1.power-off", "alice", "not handled"},
	{"org.freedesktop.login1.power-off", "root", "not handled"},
	{"org.freedesktop.login1.power-off", "upsagent2", "not handled"},
};

int main(int argc, char **argv)
{
	duk_context *ctx = duk_create_heap_default();
	char *rules;

	CHECK(argc == 2 && ctx);
	rules = slurp(argv[1]);
	CHECK(duk_peval_string(ctx, prelude) == 0);
	duk_pop(ctx);
	if (duk_peval_string(ctx, rules) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], duk_safe_to_string(ctx, -1));
		abort();
	}
	duk_pop(ctx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = check(ctx, cases[i].action, cases[i].user);

		fprintf(stderr, "   %s as %s: %s\n", cases[i].action, cases[i].user, got);
		CHECK_STR(got, cases[i].result);
		duk_pop(ctx);
	}
	free(rules);
	duk_destroy_heap(ctx);
	return 0;
}
