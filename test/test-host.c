/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host verdict and the shutdown sequence as a table of timed scenarios.
 * Each step sets the UPS verdicts and the NUMLOGINS answers at an injected
 * time, runs host_update(), and checks the exact list of actions, the state,
 * and optionally the supply and host_next_deadline().
 */
#include <errno.h>

#include "host.h"
#include "macro.h"
#include "test.h"

/* The tables leave the optional trailing fields of a step out: zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define UPS_MAX 3
#define NEVER	(-1.0)
#define S(x)	HOST_STATE_##x

struct hstep {
	double t;	     /* seconds since start */
	const char *crit;    /* one char per UPS: 'C' critical, '.' not; NULL ends the list */
	const char *logins;  /* one char per UPS: a digit is a NUMLOGINS answer, '-' a failed
				query, ' ' nothing new; NULL = nothing new */
	const char *actions; /* exactly these, in order, space-separated */
	enum host_state state;
	/* Optional: */
	double deadline; /* expected host_next_deadline(); 0 = unchecked */
	int supply;	 /* expected host_supply() + 1; 0 = unchecked */
};

struct hups {
	unsigned power_value;
	bool primary;
};

struct hscenario {
	const char *name;
	unsigned min_supplies;
	double host_sync, final_delay; /* seconds */
	const struct hups ups[UPS_MAX];
	size_t n_ups;
	const struct hstep *steps;
};

#define SUPPLY(x) ((x) + 1)

/* One step per line, so that a scenario reads as a timeline. */
/* clang-format off */
static const struct hscenario scenarios[] = {
	{"power values: watch-only and one critical of two",
	 1, 15, 5, {{1, false}, {1, false}, {0, false}}, 3, (const struct hstep[]){
		{0, "...", NULL, "", S(WATCHING), NEVER, SUPPLY(2)},
		{5, "C..", NULL, "critical:0", S(WATCHING), NEVER, SUPPLY(1)},
		{10, "C.C", NULL, "critical:2", S(WATCHING), NEVER, SUPPLY(1)},
		{15, "...", NULL, "", S(WATCHING), NEVER, SUPPLY(2)},
		{20, "C.C", NULL, "critical:0 critical:2", S(WATCHING), NEVER, SUPPLY(1)},
		{25, "CCC", NULL, "critical:1 shutdown", S(FINAL), 30, SUPPLY(0)},
		{0}}},
	{"min-supplies 2 with two supplies: one critical is enough",
	 2, 15, 5, {{1, false}, {1, false}}, 2, (const struct hstep[]){
		{0, "..", NULL, "", S(WATCHING), NEVER, SUPPLY(2)},
		{5, ".C", NULL, "critical:1 shutdown", S(FINAL), 10, SUPPLY(1)},
		{0}}},
	{"power value 2 carries the host alone",
	 1, 15, 5, {{2, false}, {1, false}}, 2, (const struct hstep[]){
		{0, ".C", NULL, "critical:1", S(WATCHING), NEVER, SUPPLY(2)},
		{5, "CC", NULL, "critical:0 shutdown", S(FINAL)},
		{0}}},
	{"min-supplies 0 never shuts down",
	 0, 15, 5, {{1, false}, {1, true}}, 2, (const struct hstep[]){
		{0, "CC", NULL, "critical:0 critical:1", S(WATCHING), NEVER, SUPPLY(0)},
		{100, "CC", NULL, "", S(WATCHING), NEVER},
		{0}}},
	{"secondary: SHUTDOWN at once, final-delay, power-off once",
	 1, 15, 5, {{1, false}}, 1, (const struct hstep[]){
		{0, ".", NULL, "", S(WATCHING)},
		{10, "C", NULL, "critical:0 shutdown", S(FINAL), 15},
		{14.9, "C", NULL, "", S(FINAL), 15},
		{15, "C", NULL, "flag poweroff", S(DONE), NEVER},
		{16, "C", NULL, "", S(DONE), NEVER},
		{20, ".", NULL, "", S(DONE), NEVER},
		{25, "C", NULL, "critical:0", S(DONE), NEVER}, /* logged, nothing more */
		{0}}},
	{"mains back during final-delay does not cancel",
	 1, 15, 5, {{1, false}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 shutdown", S(FINAL), 5},
		{2, ".", NULL, "", S(FINAL), 5},
		{5, ".", NULL, "flag poweroff", S(DONE)},
		{0}}},
	{"final-delay 0",
	 1, 15, 0, {{1, false}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 shutdown flag poweroff", S(DONE), NEVER},
		{1, "C", NULL, "", S(DONE)},
		{0}}},
	{"primary: FSD, secondaries log out, no HOSTSYNC",
	 1, 15, 5, {{1, true}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 fsd:0 numlogins:0", S(SYNC), 0.25},
		{0.1, "C", "1", "alone shutdown", S(FINAL), 5.1},
		{5.1, "C", NULL, "flag poweroff", S(DONE)},
		{0}}},
	{"primary waits for NUMLOGINS then proceeds",
	 1, 15, 5, {{1, true}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 fsd:0 numlogins:0", S(SYNC), 0.25},
		{0.1, "C", "3", "hostsync", S(SYNC), 0.25},
		{0.25, "C", NULL, "numlogins:0", S(SYNC), 0.5},
		{0.3, "C", "2", "", S(SYNC), 0.5},
		{0.5, "C", NULL, "numlogins:0", S(SYNC), 0.75},
		{0.6, ".", "1", "alone shutdown", S(FINAL), 5.6}, /* mains back: too late */
		{5.6, ".", NULL, "flag poweroff", S(DONE), NEVER},
		{0}}},
	{"primary: host-sync runs out, SHUTDOWN_HOSTSYNC once",
	 1, 15, 5, {{1, true}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 fsd:0 numlogins:0", S(SYNC), 0.25},
		{0.1, "C", "2", "hostsync", S(SYNC)},
		{0.25, "C", NULL, "numlogins:0", S(SYNC)},
		{0.3, "C", "2", "", S(SYNC)},
		{14.9, "C", NULL, "numlogins:0", S(SYNC), 15},
		{14.95, "C", "2", "", S(SYNC), 15},
		{15, "C", NULL, "expired:0 shutdown", S(FINAL), 20},
		{20, "C", NULL, "flag poweroff", S(DONE)},
		{0}}},
	{"primary: server silent, host-sync runs out",
	 1, 15, 5, {{1, true}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 fsd:0 numlogins:0", S(SYNC), 0.25},
		{0.3, "C", "-", "numlogins:0", S(SYNC), 0.55},
		{15, "C", NULL, "hostsync expired:0 shutdown", S(FINAL), 20},
		{0}}},
	{"primary: host-sync 0 does not wait",
	 1, 0, 5, {{1, true}}, 1, (const struct hstep[]){
		{0, "C", NULL, "critical:0 fsd:0 numlogins:0 hostsync shutdown", S(FINAL), 5},
		{0}}},
	{"mixed roles: FSD and NUMLOGINS only where primary",
	 1, 15, 5, {{1, false}, {1, true}, {0, true}}, 3, (const struct hstep[]){
		{0, "C..", NULL, "critical:0", S(WATCHING), NEVER, SUPPLY(1)},
		{5, "CC.", NULL, "critical:1 fsd:1 fsd:2 numlogins:1 numlogins:2", S(SYNC), 5.25, SUPPLY(0)},
		{5.1, "CC.", " 1 ", "", S(SYNC)}, /* UPS 2 has not answered */
		{5.2, "CC.", "  1", "alone shutdown", S(FINAL), 10.2},
		{0}}},
};
/* clang-format on */

static void actions_format(const struct host_action *act, size_t n, char *buf, size_t size)
{
	static const char *const names[_HOST_ACTION_MAX] = {
	    [HOST_ACTION_UPS_CRITICAL] = "critical:",
	    [HOST_ACTION_SEND_FSD] = "fsd:",
	    [HOST_ACTION_QUERY_NUMLOGINS] = "numlogins:",
	    [HOST_ACTION_NOTIFY_HOSTSYNC] = "hostsync",
	    [HOST_ACTION_SYNC_DONE] = "alone",
	    [HOST_ACTION_SYNC_EXPIRED] = "expired:",
	    [HOST_ACTION_NOTIFY_SHUTDOWN] = "shutdown",
	    [HOST_ACTION_WRITE_POWERDOWN_FLAG] = "flag",
	    [HOST_ACTION_POWER_OFF] = "poweroff",
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		const char *name = names[act[i].type];
		bool per_ups = name[strlen(name) - 1] == ':';

		if (per_ups)
			len += (size_t)snprintf(buf + len, size - len, "%s%s%zu", i ? " " : "",
						name, act[i].ups);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", name);
	}
}

static uint64_t usec(double seconds)
{
	return (uint64_t)(seconds * (double)USEC_PER_SEC + 0.5);
}

static void step_fail(const struct hscenario *sc, const struct hstep *st, const char *what,
		      const char *got, const char *want)
{
	fprintf(stderr, "%s, t=%gs: %s \"%s\", expected \"%s\"\n", sc->name, st->t, what, got,
		want);
	abort();
}

static void step_inputs(struct host_ups *ups, size_t n, const struct hstep *st)
{
	CHECK_INT(strlen(st->crit), n);
	for (size_t i = 0; i < n; i++) {
		char l = st->logins && i < strlen(st->logins) ? st->logins[i] : ' ';

		ups[i].critical = st->crit[i] == 'C';
		ups[i].reason = ups[i].critical ? "test" : NULL;
		if (l == '-')
			ups[i].numlogins = -1;
		else if (l >= '0' && l <= '9')
			ups[i].numlogins = l - '0';
	}
}

static void step_check_numbers(const struct hscenario *sc, const struct hstep *st,
			       const struct host *h, const struct host_ups *ups)
{
	uint64_t now = usec(st->t), got, want;
	char a[32], b[32];

	if (st->supply && host_supply(ups, sc->n_ups) != (unsigned)(st->supply - 1)) {
		snprintf(a, sizeof(a), "%u", host_supply(ups, sc->n_ups));
		snprintf(b, sizeof(b), "%d", st->supply - 1);
		step_fail(sc, st, "supply", a, b);
	}
	if (st->deadline == 0)
		return;
	got = host_next_deadline(h, now);
	want = st->deadline < 0 ? HOST_NEVER : usec(st->deadline);
	if (got != want) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)got);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)want);
		step_fail(sc, st, "deadline", a, b);
	}
}

static void step_run(const struct hscenario *sc, struct host *h, struct host_ups *ups,
		     const struct hstep *st)
{
	struct host_action act[HOST_ACTIONS_MAX(UPS_MAX)];
	char got[256];
	int n;

	step_inputs(ups, sc->n_ups, st);
	n = host_update(h, ups, sc->n_ups, usec(st->t), act, ELEMENTSOF(act));
	CHECK(n >= 0);
	actions_format(act, (size_t)n, got, sizeof(got));
	if (strcmp(got, st->actions) != 0)
		step_fail(sc, st, "actions", got, st->actions);
	if (h->state != st->state)
		step_fail(sc, st, "state", host_state_to_string(h->state),
			  host_state_to_string(st->state));
	step_check_numbers(sc, st, h, ups);
}

static void scenario_run(const struct hscenario *sc)
{
	struct host_ups ups[UPS_MAX];
	struct host_config cfg;
	struct host h;
	size_t steps = 0;

	host_config_init(&cfg);
	cfg.min_supplies = sc->min_supplies;
	cfg.host_sync = usec(sc->host_sync);
	cfg.final_delay = usec(sc->final_delay);
	host_init(&h, &cfg);
	for (size_t i = 0; i < sc->n_ups; i++)
		host_ups_init(&ups[i], sc->ups[i].power_value, sc->ups[i].primary);
	for (const struct hstep *st = sc->steps; st->crit; st++, steps++)
		step_run(sc, &h, ups, st);
	fprintf(stderr, "   ok  %-58s (%zu steps)\n", sc->name, steps);
}

static void test_scenarios(void)
{
	for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
		scenario_run(&scenarios[i]);
	fprintf(stderr, "   %zu scenarios\n", ELEMENTSOF(scenarios));
}

static void test_critical_reason(void)
{
	struct host_action act[HOST_ACTIONS_MAX(2)];
	struct host_ups ups[2];
	struct host_config cfg;
	struct host h;

	host_config_init(&cfg);
	host_init(&h, &cfg);
	host_ups_init(&ups[0], 1, false);
	host_ups_init(&ups[1], 1, false);
	ups[1].critical = true;
	ups[1].reason = "on battery with low battery";
	CHECK_INT(host_update(&h, ups, 2, 0, act, ELEMENTSOF(act)), 1);
	CHECK_INT(act[0].type, HOST_ACTION_UPS_CRITICAL);
	CHECK_INT(act[0].ups, 1);
	CHECK_STR(act[0].reason, "on battery with low battery");
	CHECK(!host_power_short(&h, ups, 2));
}

/* upsagent fsd: whatever the supply and min-supplies, as upsmon -c fsd. */
static void test_force(void)
{
	struct host_action act[HOST_ACTIONS_MAX(2)];
	struct host_ups ups[2];
	struct host_config cfg;
	struct host h;

	host_config_init(&cfg);
	cfg.min_supplies = 0; /* would never shut down by itself */
	host_init(&h, &cfg);
	host_ups_init(&ups[0], 1, true);
	host_ups_init(&ups[1], 1, false);
	CHECK_INT(host_update(&h, ups, 2, 0, act, ELEMENTSOF(act)), 0);
	CHECK(host_force(&h));
	/* The primary still sets FSD on its UPS and waits for its secondaries. */
	CHECK_INT(host_update(&h, ups, 2, 1, act, ELEMENTSOF(act)), 2);
	CHECK_INT(act[0].type, HOST_ACTION_SEND_FSD);
	CHECK_INT(act[0].ups, 0);
	CHECK_INT(act[1].type, HOST_ACTION_QUERY_NUMLOGINS);
	CHECK_INT(h.state, HOST_STATE_SYNC);
	/* Once under way, a second request changes nothing. */
	CHECK(!host_force(&h));

	/* A secondary only: SHUTDOWN at once. */
	host_init(&h, &cfg);
	host_ups_init(&ups[0], 1, false);
	CHECK(host_force(&h));
	CHECK_INT(host_update(&h, ups, 2, 0, act, ELEMENTSOF(act)), 1);
	CHECK_INT(act[0].type, HOST_ACTION_NOTIFY_SHUTDOWN);
	CHECK_INT(h.state, HOST_STATE_FINAL);
}

static void test_small_buffer(void)
{
	struct host_action act[HOST_ACTIONS_MAX(1)];
	struct host_ups ups[2];
	struct host_config cfg;
	struct host h;

	/* Too small for two UPSes: refused, and nothing moved. */
	host_config_init(&cfg);
	host_init(&h, &cfg);
	host_ups_init(&ups[0], 1, true);
	host_ups_init(&ups[1], 1, true);
	ups[0].critical = ups[1].critical = true;
	CHECK_INT(host_update(&h, ups, 2, 0, act, ELEMENTSOF(act)), -ENOBUFS);
	CHECK_INT(h.state, HOST_STATE_WATCHING);
	CHECK(!ups[0].was_critical);
}

static void test_names(void)
{
	for (int t = 0; t < _HOST_ACTION_MAX; t++)
		CHECK(host_action_to_string(t));
	for (int s = 0; s < _HOST_STATE_MAX; s++)
		CHECK(host_state_to_string(s));
	CHECK(!host_action_to_string(_HOST_ACTION_MAX));
	CHECK(!host_state_to_string(_HOST_STATE_MAX));
}

int main(void)
{
	TEST_RUN(test_scenarios);
	TEST_RUN(test_critical_reason);
	TEST_RUN(test_force);
	TEST_RUN(test_small_buffer);
	TEST_RUN(test_names);
	return 0;
}
