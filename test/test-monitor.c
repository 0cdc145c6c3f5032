/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-UPS state machine as a table of timed scenarios. Each step feeds a
 * poll (a ups.status string), a failed poll or a timer tick at an injected
 * time, then checks the exact list of events, the verdict with its reason,
 * and optionally monitor_next_deadline().
 */
#include "macro.h"
#include "monitor.h"
#include "test.h"

/* The tables leave the optional trailing fields of a step out: zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Step inputs that are not a ups.status: told apart by address. */
static const char poll_failed[] = "<poll failed>", tick[] = "<tick>";

#define POLL_FAILED poll_failed
#define TICK	    tick
#define R(x)	    MONITOR_REASON_##x
#define NEVER	    (-1.0)

struct step {
	double t;		  /* seconds since start */
	const char *input;	  /* ups.status, POLL_FAILED or TICK; NULL ends the list */
	const char *events;	  /* exactly these, in order, space-separated */
	enum monitor_reason crit; /* R(NONE): not critical */
	/* Optional: */
	double deadline;		      /* expected monitor_next_deadline(); 0 = unchecked */
	const char *charge, *runtime, *alarm; /* the variables polled with ups.status */
	int sole;  /* before the step: 1 = NUMLOGINS is 1, -1 = it is not */
	int wants; /* after: 1 = monitor_wants_attempt(), -1 = not; 0 = unchecked */
};

struct scenario {
	const char *name;
	void (*config)(struct monitor_config *cfg); /* NULL: upsmon defaults */
	const struct step *steps;
};

static void cfg_secondary(struct monitor_config *cfg)
{
	cfg->secondary = true;
}

static void cfg_charge(struct monitor_config *cfg)
{
	cfg->charge_low = 20;
}

static void cfg_secondary_charge(struct monitor_config *cfg)
{
	cfg->secondary = true;
	cfg->charge_low = 20;
}

static void cfg_runtime(struct monitor_config *cfg)
{
	cfg->runtime_low = 120;
}

static void cfg_ob_max(struct monitor_config *cfg)
{
	cfg->on_battery_max = 60 * USEC_PER_SEC;
}

static void cfg_ob_lb_hold(struct monitor_config *cfg)
{
	cfg->ob_lb_duration = 10 * USEC_PER_SEC;
}

static void cfg_off_ignored(struct monitor_config *cfg)
{
	cfg->off_duration = MONITOR_NEVER;
}

static void cfg_no_repeats(struct monitor_config *cfg)
{
	cfg->nocomm_warn = 0;
	cfg->rb_warn = 0;
}

static void cfg_dead_2(struct monitor_config *cfg)
{
	cfg->dead_time = 2 * USEC_PER_SEC;
}

static void cfg_secondary_ob_max(struct monitor_config *cfg)
{
	cfg->secondary = true;
	cfg->on_battery_max = 60 * USEC_PER_SEC;
}

static void cfg_secondary_ob_lb_hold(struct monitor_config *cfg)
{
	cfg->secondary = true;
	cfg->ob_lb_duration = 10 * USEC_PER_SEC;
}

static void cfg_secondary_sync_3(struct monitor_config *cfg)
{
	cfg->secondary = true;
	cfg->host_sync = 3 * USEC_PER_SEC;
}

static void cfg_nocomm_60(struct monitor_config *cfg)
{
	cfg->nocomm_warn = 60 * USEC_PER_SEC;
}

/* One step per line, so that a scenario reads as a timeline. */
/* clang-format off */
static const struct scenario scenarios[] = {
	{"first OL after start is not ONLINE", NULL, (const struct step[]){
		{0, "OL", "", R(NONE), NEVER},
		{5, "OL CHRG", "", R(NONE), NEVER},
		{0}}},
	{"OL -> OB -> OL gives ONBATT then ONLINE", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "OB DISCHRG", "ONBATT", R(NONE), NEVER},
		{10, "OB DISCHRG", "", R(NONE)},
		{15, "OL CHRG", "ONLINE", R(NONE)},
		{20, "OL", "", R(NONE)},
		{0}}},
	{"first reading OB gives ONBATT", NULL, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{0}}},
	{"OB -> OB LB is LOWBATT and critical", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "OB", "ONBATT", R(NONE)},
		{10, "OB LB", "LOWBATT", R(OB_LB)},
		{15, "OB LB", "", R(OB_LB)},
		{20, "OL CHRG", "ONLINE", R(NONE)},
		{0}}},
	{"FSD is critical at once, also with OL", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "FSD OL", "FSD", R(FSD)},
		{10, POLL_FAILED, "COMMBAD", R(FSD)}, /* last known FSD stays */
		{0}}},
	{"4 s comm blip while OB is not critical", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "OB", "ONBATT", R(NONE)},
		{10, POLL_FAILED, "COMMBAD", R(NONE), 20},
		{14, "OB", "COMMOK", R(NONE), NEVER},
		{19, "OB", "", R(NONE)},
		{0}}},
	{"comm lost while OB past dead-time is critical", NULL, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, "OB", "", R(NONE), NEVER},
		{10, POLL_FAILED, "COMMBAD", R(NONE), 20}, /* 15 s from the last good poll */
		{15, POLL_FAILED, "", R(NONE), 20, .wants = -1},
		{19.9, TICK, "", R(NONE), 20, .wants = -1},
		/* Dead-time is over, but the failures so far came before it:
		 * the verdict waits for an attempt that ends after it. */
		{20, TICK, "", R(NONE), 310, .wants = 1},
		{20.8, POLL_FAILED, "", R(LOST_OB), 310, .wants = -1},
		{25, POLL_FAILED, "", R(LOST_OB)},
		{30, "OB", "COMMOK", R(NONE), .wants = -1}, /* a verdict, not a latch */
		{0}}},
	{"dead-time: an attempt in flight at the deadline is waited for", cfg_dead_2, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{0.1, POLL_FAILED, "COMMBAD", R(NONE), 2}, /* dropped right after the answer */
		{0.6, POLL_FAILED, "", R(NONE), 2},	   /* reconnect refused */
		{1.6, POLL_FAILED, "", R(NONE), 2, .wants = -1},
		{2, TICK, "", R(NONE), 300.1, .wants = 1}, /* the reconnect of 2.0 is in flight */
		{2.02, "OB", "COMMOK", R(NONE), NEVER, .wants = -1}, /* the server is back */
		{0}}},
	{"dead-time: a failure at the deadline itself confirms", cfg_dead_2, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{1, POLL_FAILED, "COMMBAD", R(NONE), 2},
		{2, POLL_FAILED, "", R(LOST_OB), 301, .wants = -1},
		{0}}},
	{"dead-time counts from the last answer, WAIT included", cfg_dead_2, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{1, "WAIT", "", R(NONE)},	       /* answers, without data: not a reading */
		{1.5, POLL_FAILED, "COMMBAD", R(NONE), 3}, /* DATA-STALE; the WAIT was at 1 */
		{3, TICK, "", R(NONE), 301.5, .wants = 1},
		{3.4, POLL_FAILED, "", R(LOST_OB)},
		{0}}},
	{"dead-time: lost while OL never wants an attempt", cfg_dead_2, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{1, POLL_FAILED, "COMMBAD", R(NONE), 301, .wants = -1},
		{10, TICK, "", R(NONE), 301, .wants = -1},
		{0}}},
	{"comm lost while OL is never critical", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(NONE), 305},
		{100, POLL_FAILED, "", R(NONE)},
		{0}}},
	{"comm lost while CAL is critical at once", NULL, (const struct step[]){
		{0, "OL CAL", "CAL", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(LOST_CAL)},
		{10, "OL", "COMMOK NOTCAL", R(NONE)},
		{0}}},
	{"comm lost while BYPASS is critical at once", NULL, (const struct step[]){
		{0, "OL BYPASS", "BYPASS", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(LOST_BYPASS)},
		{0}}},
	{"comm lost while OFF is critical at once", NULL, (const struct step[]){
		{0, "OFF", "OFF", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(LOST_OFF)},
		{0}}},
	{"comm lost while ALARM is critical at once", NULL, (const struct step[]){
		{0, "OL", "ALARM", R(NONE), .alarm = "Fan failure"},
		{5, POLL_FAILED, "COMMBAD", R(LOST_ALARM)},
		{10, "OL", "COMMOK NOTALARM", R(NONE)},
		{0}}},
	{"CAL with OB LB is not critical", NULL, (const struct step[]){
		{0, "OL CAL", "CAL", R(NONE)},
		{5, "OB CAL", "ONBATT", R(NONE)},
		{10, "OB LB CAL", "LOWBATT", R(NONE), NEVER},
		{15, "OB LB", "NOTCAL", R(OB_LB)},
		{0}}},
	{"OFF for 29 s is not critical, 31 s is", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "OFF", "OFF", R(NONE), 35},
		{34, "OFF", "", R(NONE), 35},
		{35, TICK, "", R(OFF), NEVER},
		{36, "OFF", "", R(OFF)},
		{40, "OL", "NOTOFF", R(NONE)},
		{45, "OFF", "OFF", R(NONE), 75}, /* the hold starts again */
		{74, "OL", "NOTOFF", R(NONE)},
		{0}}},
	{"OFF ignored with off-duration off", cfg_off_ignored, (const struct step[]){
		{0, "OFF", "OFF", R(NONE), NEVER},
		{1000, "OFF", "", R(NONE)},
		{1005, POLL_FAILED, "COMMBAD", R(NONE)}, /* not even when lost */
		{0}}},
	{"charge-low on battery", cfg_charge, (const struct step[]){
		{0, "OL", "", R(NONE), .charge = "100"},
		{5, "OL", "", R(NONE), .charge = "10"}, /* on line: no rule */
		{10, "OB", "ONBATT", R(NONE), .charge = "50"},
		{15, "OB", "", R(CHARGE), .charge = "20"},
		{20, "OB", "", R(NONE), .charge = "junk"}, /* absent, not 0 */
		{25, "OB", "", R(NONE)},
		{30, "OB", "", R(CHARGE), .charge = "19.5"},
		{0}}},
	{"runtime-low on battery", cfg_runtime, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE), .runtime = "600"},
		{5, "OB", "", R(RUNTIME), .runtime = "120"},
		{10, "OL", "ONLINE", R(NONE), .runtime = "60"},
		{0}}},
	{"thresholds are off by default", NULL, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE), NEVER, .charge = "1", .runtime = "1"},
		{0}}},
	{"on-battery-max", cfg_ob_max, (const struct step[]){
		{0, "OL", "", R(NONE), NEVER},
		{10, "OB", "ONBATT", R(NONE), 70},
		{69, "OB", "", R(NONE), 70},
		{70, TICK, "", R(OB_MAX), NEVER},
		{75, "OL", "ONLINE", R(NONE)},
		{80, "OB", "ONBATT", R(NONE), 140}, /* a new outage, a new clock */
		{0}}},
	{"ob-lb-duration holds OB LB", cfg_ob_lb_hold, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, "OB LB", "LOWBATT", R(NONE), 15},
		{10, "OB LB", "", R(NONE), 15},
		{15, TICK, "", R(OB_LB)},
		{20, "OB", "", R(NONE)},
		{25, "OB LB", "LOWBATT", R(NONE), 35},
		{35, "OB LB", "", R(OB_LB)},
		{0}}},
	{"NOCOMM repeats every nocomm-warn", NULL, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(NONE), 305},
		{10, POLL_FAILED, "", R(NONE), 305},
		{305, TICK, "NOCOMM", R(NONE), 605},
		{400, POLL_FAILED, "", R(NONE), 605},
		{605, POLL_FAILED, "NOCOMM", R(NONE), 905},
		{905, TICK, "NOCOMM", R(NONE)},
		{910, "OL", "COMMOK", R(NONE), NEVER},
		{915, POLL_FAILED, "COMMBAD", R(NONE), 1215},
		{0}}},
	{"NOCOMM period is configurable", cfg_nocomm_60, (const struct step[]){
		{0, POLL_FAILED, "COMMBAD", R(NONE), 60},
		{60, TICK, "NOCOMM", R(NONE), 120},
		{0}}},
	{"REPLBATT repeats every rb-warn", NULL, (const struct step[]){
		{0, "OL RB", "REPLBATT", R(NONE), 43200},
		{5, "OL RB", "", R(NONE), 43200},
		{43200, TICK, "REPLBATT", R(NONE), 86400},
		{43205, "OL", "", R(NONE), NEVER},
		{43210, "OL RB", "", R(NONE), 86400}, /* flapping does not restart it */
		{86400, TICK, "REPLBATT", R(NONE), 129600},
		{0}}},
	{"repeat period 0 turns the repeats off", cfg_no_repeats, (const struct step[]){
		{0, "OL RB", "REPLBATT", R(NONE), NEVER},
		{5, POLL_FAILED, "COMMBAD", R(NONE), NEVER},
		{5000, TICK, "", R(NONE)},
		{0}}},
	{"unknown tokens give OTHER and NOTOTHER", NULL, (const struct step[]){
		{0, "OL FOO", "OTHER", R(NONE)},
		{5, "OL FOO", "", R(NONE)},
		{10, "OL FOO BAR", "OTHER", R(NONE)},
		{15, "OL BAR FOO", "", R(NONE)}, /* the same set */
		{20, "OL BAR", "OTHER", R(NONE)},
		{25, "OL", "NOTOTHER", R(NONE)},
		{0}}},
	{"known tokens without events are quiet", NULL, (const struct step[]){
		{0, "OL CHRG HB TEST", "", R(NONE)},
		{5, "OB DISCHRG", "ONBATT", R(NONE)},
		{0}}},
	{"TRIM BOOST OVER BYPASS ECO edges", NULL, (const struct step[]){
		{0, "OL TRIM", "TRIM", R(NONE)},
		{5, "OL BOOST", "NOTTRIM BOOST", R(NONE)},
		{10, "OL OVER BYPASS ECO", "BYPASS OVER NOTBOOST ECO", R(NONE)},
		{15, "OL", "NOTBYPASS NOTOVER NOTECO", R(NONE)},
		{0}}},
	{"many changes at once come in a fixed order", NULL, (const struct step[]){
		{0, "OB LB CAL OFF RB FOO", "ONBATT LOWBATT CAL OFF OTHER REPLBATT", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(LOST_CAL)},
		{10, "OL", "COMMOK ONLINE NOTCAL NOTOFF NOTOTHER", R(NONE)},
		{0}}},
	{"WAIT is neither a comm loss nor a reading", NULL, (const struct step[]){
		{0, "WAIT", "", R(NONE), NEVER},
		{5, "OL", "", R(NONE)}, /* still the first OL */
		{10, "OB", "ONBATT", R(NONE)},
		{15, "WAIT", "", R(NONE)},
		{40, "WAIT", "", R(NONE)}, /* past dead-time: the server answers */
		{45, POLL_FAILED, "COMMBAD", R(NONE), 55},
		{50, "WAIT", "COMMOK", R(NONE)},
		{0}}},
	{"a UPS never heard from is healthy", NULL, (const struct step[]){
		{0, POLL_FAILED, "COMMBAD", R(NONE), 300},
		{5, POLL_FAILED, "", R(NONE)},
		{300, TICK, "NOCOMM", R(NONE)},
		{305, "OL", "COMMOK", R(NONE)},
		{0}}},
	{"secondary waits host-sync for the primary", cfg_secondary, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, "OB", "", R(NONE)},
		/* 15 s from the reading that saw OB LB, not from the poll before */
		{10, "OB LB", "LOWBATT", R(NONE), 25},
		{15, "OB LB", "", R(NONE), 25},
		{24.9, TICK, "", R(NONE), 25},
		{25, TICK, "", R(OB_LB)},
		{0}}},
	{"secondary sees the primary's FSD in time", cfg_secondary, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, "OB LB", "LOWBATT", R(NONE), 20},
		{8, "FSD OB LB", "FSD", R(FSD)},
		{0}}},
	{"secondary that is the sole login does not wait", cfg_secondary, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, "OB LB", "LOWBATT", R(OB_LB), NEVER, .sole = 1},
		{6, TICK, "", R(NONE), 20, .sole = -1},
		{0}}},
	{"secondary's first reading starts host-sync", cfg_secondary, (const struct step[]){
		{0, "OB LB", "ONBATT LOWBATT", R(NONE), 15},
		{15, TICK, "", R(OB_LB)},
		{0}}},
	{"secondary: comm loss is not held back", cfg_secondary, (const struct step[]){
		{0, "OL CAL", "CAL", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(LOST_CAL)},
		{0}}},
	/* Every timed rule against the poll phase (polls at 0, 5, 10 ... s):
	 * decided at its own deadline, then held host-sync from there by a
	 * secondary, not at all by a sole-login secondary. */
	{"on-battery-max, secondary: host-sync from the deadline", cfg_secondary_ob_max, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{10, "OB", "ONBATT", R(NONE), 70},
		{65, "OB", "", R(NONE), 70},
		{70, TICK, "", R(NONE), 85},
		{75, "OB", "", R(NONE), 85},
		{84.9, TICK, "", R(NONE), 85},
		{85, TICK, "", R(OB_MAX)},
		{0}}},
	{"on-battery-max, sole-login secondary: at the deadline", cfg_secondary_ob_max, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{10, "OB", "ONBATT", R(NONE), 70, .sole = 1},
		{65, "OB", "", R(NONE), 70},
		{69.9, TICK, "", R(NONE), 70},
		{70, TICK, "", R(OB_MAX)},
		{0}}},
	{"off-duration, secondary: host-sync from the deadline", cfg_secondary, (const struct step[]){
		{0, "OL", "", R(NONE)},
		{5, "OFF", "OFF", R(NONE), 35},
		{35, TICK, "", R(NONE), 50},
		{40, "OFF", "", R(NONE), 50},
		{50, TICK, "", R(OFF)},
		{0}}},
	{"off-duration, sole-login secondary: at the deadline", cfg_secondary, (const struct step[]){
		{0, "OL", "", R(NONE), .sole = 1},
		{5, "OFF", "OFF", R(NONE), 35},
		{34.9, TICK, "", R(NONE), 35},
		{35, TICK, "", R(OFF)},
		{0}}},
	{"ob-lb-duration, secondary: host-sync from the deadline", cfg_secondary_ob_lb_hold, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{3, "OB LB", "LOWBATT", R(NONE), 13},
		{8, "OB LB", "", R(NONE), 13},
		{13, TICK, "", R(NONE), 28},
		{28, TICK, "", R(OB_LB)},
		{0}}},
	{"host-sync 3 at poll 1: 3 s after LOWBATT", cfg_secondary_sync_3, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{1, "OB", "", R(NONE), NEVER},
		{2, "OB LB", "LOWBATT", R(NONE), 5},
		{3, "OB LB", "", R(NONE), 5},
		{4, "OB LB", "", R(NONE), 5},
		{5, "OB LB", "", R(OB_LB)},
		{0}}},
	{"secondary: dead-time is not held back", cfg_secondary, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE)},
		{5, POLL_FAILED, "COMMBAD", R(NONE), 15},
		{15, TICK, "", R(NONE), .wants = 1},
		{15.5, POLL_FAILED, "", R(LOST_OB)},
		{0}}},
	{"secondary: charge-low is held back too", cfg_secondary_charge, (const struct step[]){
		{0, "OB", "ONBATT", R(NONE), .charge = "50"},
		{5, "OB", "", R(NONE), 20, .charge = "15"},
		{10, "OB", "", R(NONE), 20, .charge = "14"}, /* still the same run */
		{20, TICK, "", R(CHARGE), NEVER},
		{0}}},
};
/* clang-format on */

static void events_format(const enum monitor_event *ev, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
					monitor_event_to_string(ev[i]));
}

static uint64_t usec(double seconds)
{
	return (uint64_t)(seconds * (double)USEC_PER_SEC + 0.5);
}

static void step_fail(const struct scenario *sc, const struct step *st, const char *what,
		      const char *got, const char *want)
{
	fprintf(stderr, "%s, t=%gs (%s): %s \"%s\", expected \"%s\"\n", sc->name, st->t, st->input,
		what, got, want);
	abort();
}

static size_t step_feed(struct monitor *m, const struct step *st, enum monitor_event *ev)
{
	struct status_snapshot s;
	uint64_t now = usec(st->t);

	if (st->sole)
		monitor_set_sole_login(m, st->sole > 0);
	if (st->input == TICK)
		return monitor_tick(m, now, ev, MONITOR_EVENTS_MAX);
	if (st->input == POLL_FAILED)
		return monitor_update(m, NULL, now, ev, MONITOR_EVENTS_MAX);
	CHECK_INT(status_parse(&s, st->input, st->charge, st->runtime, st->alarm), 0);
	return monitor_update(m, &s, now, ev, MONITOR_EVENTS_MAX);
}

static void step_run(const struct scenario *sc, struct monitor *m, const struct step *st)
{
	enum monitor_event ev[MONITOR_EVENTS_MAX];
	uint64_t now = usec(st->t), want_deadline;
	size_t n = step_feed(m, st, ev);
	enum monitor_reason crit = monitor_verdict(m, now);
	char got[256];

	events_format(ev, n, got, sizeof(got));
	if (strcmp(got, st->events) != 0)
		step_fail(sc, st, "events", got, st->events);
	if (crit != st->crit)
		step_fail(sc, st, "verdict", monitor_reason_to_string(crit),
			  monitor_reason_to_string(st->crit));
	if (st->wants && monitor_wants_attempt(m, now) != (st->wants > 0))
		step_fail(sc, st, "wants an attempt", st->wants > 0 ? "no" : "yes",
			  st->wants > 0 ? "yes" : "no");
	if (st->deadline == 0)
		return;
	want_deadline = st->deadline < 0 ? MONITOR_NEVER : usec(st->deadline);
	if (monitor_next_deadline(m, now) != want_deadline) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "%llu", (unsigned long long)monitor_next_deadline(m, now));
		snprintf(b, sizeof(b), "%llu", (unsigned long long)want_deadline);
		step_fail(sc, st, "deadline", a, b);
	}
}

static void scenario_run(const struct scenario *sc)
{
	struct monitor_config cfg;
	struct monitor m;
	size_t steps = 0;

	monitor_config_init(&cfg);
	if (sc->config)
		sc->config(&cfg);
	monitor_init(&m, &cfg);
	for (const struct step *st = sc->steps; st->input; st++, steps++)
		step_run(sc, &m, st);
	fprintf(stderr, "   ok  %-50s (%zu steps)\n", sc->name, steps);
}

static void test_scenarios(void)
{
	for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
		scenario_run(&scenarios[i]);
	fprintf(stderr, "   %zu scenarios\n", ELEMENTSOF(scenarios));
}

static void test_reason_text(void)
{
	struct monitor_config cfg;
	struct status_snapshot s;
	struct monitor m;
	const char *reason = "unset";

	monitor_config_init(&cfg);
	monitor_init(&m, &cfg);
	CHECK(!monitor_critical(&m, 0, &reason));
	CHECK(!reason);
	CHECK_INT(status_parse(&s, "OB LB", NULL, NULL, NULL), 0);
	monitor_update(&m, &s, 0, NULL, 0); /* events dropped, state kept */
	CHECK(monitor_critical(&m, 0, &reason));
	CHECK_STR(reason, "on battery with low battery");
	CHECK(monitor_on_battery(&m));
}

static void test_holding(void)
{
	struct monitor_config cfg;
	struct status_snapshot s;
	struct monitor m;

	/* A secondary holding OB LB back asks for NUMLOGINS; a primary never. */
	monitor_config_init(&cfg);
	cfg.secondary = true;
	monitor_init(&m, &cfg);
	CHECK_INT(status_parse(&s, "OB", NULL, NULL, NULL), 0);
	monitor_update(&m, &s, 0, NULL, 0);
	CHECK(!monitor_holding(&m, 0));
	CHECK_INT(status_parse(&s, "OB LB", NULL, NULL, NULL), 0);
	monitor_update(&m, &s, 5 * USEC_PER_SEC, NULL, 0);
	CHECK(monitor_holding(&m, 5 * USEC_PER_SEC));
	CHECK(monitor_holding(&m, 19 * USEC_PER_SEC));
	CHECK(!monitor_holding(&m, 20 * USEC_PER_SEC)); /* host-sync is over */
	monitor_set_sole_login(&m, true);
	CHECK(!monitor_holding(&m, 5 * USEC_PER_SEC));
	CHECK(monitor_critical(&m, 5 * USEC_PER_SEC, NULL));

	cfg.secondary = false;
	monitor_set_config(&m, &cfg);
	monitor_set_sole_login(&m, false);
	CHECK(!monitor_holding(&m, 5 * USEC_PER_SEC));
}

static void test_timers(void)
{
	struct monitor_config cfg;
	struct status_snapshot s;
	uint64_t t[_MONITOR_TIMER_MAX];
	struct monitor m;

	/* Only the rules that run show a deadline; one that ran out stays shown
	 * while its condition holds. */
	monitor_config_init(&cfg);
	cfg.secondary = true;
	cfg.on_battery_max = 60 * USEC_PER_SEC;
	monitor_init(&m, &cfg);
	monitor_timers(&m, 0, t);
	for (int i = 0; i < _MONITOR_TIMER_MAX; i++)
		CHECK(t[i] == MONITOR_NEVER);
	CHECK_INT(status_parse(&s, "OB", NULL, NULL, NULL), 0);
	monitor_update(&m, &s, 10 * USEC_PER_SEC, NULL, 0);
	monitor_timers(&m, 10 * USEC_PER_SEC, t);
	CHECK_INT(t[MONITOR_TIMER_ON_BATTERY_MAX], 70 * USEC_PER_SEC);
	CHECK(t[MONITOR_TIMER_DEAD_TIME] == MONITOR_NEVER);
	CHECK(t[MONITOR_TIMER_HOST_SYNC] == MONITOR_NEVER);
	monitor_update(&m, NULL, 12 * USEC_PER_SEC, NULL, 0);
	monitor_timers(&m, 12 * USEC_PER_SEC, t);
	CHECK_INT(t[MONITOR_TIMER_DEAD_TIME], 25 * USEC_PER_SEC); /* from the last good poll */
	CHECK_INT(status_parse(&s, "OB LB", NULL, NULL, NULL), 0);
	monitor_update(&m, &s, 14 * USEC_PER_SEC, NULL, 0);
	monitor_timers(&m, 14 * USEC_PER_SEC, t);
	CHECK(t[MONITOR_TIMER_DEAD_TIME] == MONITOR_NEVER);
	CHECK_INT(t[MONITOR_TIMER_HOST_SYNC], 29 * USEC_PER_SEC);
	CHECK(t[MONITOR_TIMER_OFF_DURATION] == MONITOR_NEVER);
	for (int i = 0; i < _MONITOR_TIMER_MAX; i++)
		CHECK(monitor_timer_to_string(i));
	CHECK(!monitor_timer_to_string(_MONITOR_TIMER_MAX));
}

static void test_event_buffer(void)
{
	struct monitor_config cfg;
	struct status_snapshot s;
	enum monitor_event ev[2];
	struct monitor m;

	/* A short buffer keeps the first events, and the state moves on. */
	monitor_config_init(&cfg);
	monitor_init(&m, &cfg);
	CHECK_INT(status_parse(&s, "OB LB CAL", NULL, NULL, NULL), 0);
	CHECK_INT(monitor_update(&m, &s, 0, ev, ELEMENTSOF(ev)), 2);
	CHECK_INT(ev[0], MONITOR_EVENT_ONBATT);
	CHECK_INT(ev[1], MONITOR_EVENT_LOWBATT);
	CHECK_INT(monitor_update(&m, &s, 1, ev, ELEMENTSOF(ev)), 0);
}

static void test_names(void)
{
	for (int e = 0; e < _MONITOR_EVENT_MAX; e++)
		CHECK(monitor_event_to_string(e));
	for (int r = 0; r < _MONITOR_REASON_MAX; r++)
		CHECK(monitor_reason_to_string(r));
	CHECK(!monitor_event_to_string(_MONITOR_EVENT_MAX));
	CHECK(!monitor_reason_to_string(_MONITOR_REASON_MAX));
	CHECK_STR(monitor_event_to_string(MONITOR_EVENT_NOTOTHER), "NOTOTHER");
}

int main(void)
{
	TEST_RUN(test_scenarios);
	TEST_RUN(test_reason_text);
	TEST_RUN(test_holding);
	TEST_RUN(test_event_buffer);
	TEST_RUN(test_timers);
	TEST_RUN(test_names);
	return 0;
}
