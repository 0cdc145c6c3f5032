/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exposition (lib/metrics): both formats, from a snapshot written by hand. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "status.h"
#include "test.h"

struct fixture {
	struct varlist vars;
	struct metrics_ups ups[2];
	struct metrics_served served[1];
	struct metrics_server server;
	struct metrics_snapshot snap;
};

static void fixture_init(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	CHECK_INT(varlist_set(&x->vars, "ups.status", "OB LB"), 0);
	CHECK_INT(varlist_set(&x->vars, "battery.charge", "8"), 0);
	CHECK_INT(varlist_set(&x->vars, "battery.runtime", "120"), 0);
	CHECK_INT(varlist_set(&x->vars, "input.voltage", "0.5"), 0);
	CHECK_INT(varlist_set(&x->vars, "output.voltage", "not a number"), 0);
	x->ups[0] = (struct metrics_ups){.name = "rack",
					 .server = "nas.lan:3493",
					 .vars = &x->vars,
					 .reading_age = 1.25,
					 .status = STATUS_FLAG(STATUS_OB) | STATUS_FLAG(STATUS_LB),
					 .poll_duration = 0.003,
					 .polls_failed = 7,
					 .comm = MONITOR_COMM_OK,
					 .reason = MONITOR_REASON_OB_LB,
					 .on_battery = 42,
					 .power_value = 1};
	for (int t = 0; t < _MONITOR_TIMER_MAX; t++)
		x->ups[0].timers[t] = METRICS_NONE;
	x->ups[0].timers[MONITOR_TIMER_HOST_SYNC] = 12.5;
	/* Never heard from, and a name that needs escaping (a config may say anything). */
	x->ups[1] = (struct metrics_ups){.name = "desk",
					 .server = "we\"ird\\\nhost",
					 .reading_age = METRICS_NONE,
					 .poll_duration = METRICS_NONE};
	for (int t = 0; t < _MONITOR_TIMER_MAX; t++)
		x->ups[1].timers[t] = METRICS_NONE;
	x->served[0] = (struct metrics_served){"desk", 2};
	x->server = (struct metrics_server){3, 10, 4, x->served, 1};
	x->snap = (struct metrics_snapshot){
	    .version = "0.1.0",
	    .host = {HOST_STATE_SYNC, 0, 1, 14, METRICS_NONE},
	    .ups = x->ups,
	    .n_ups = 2,
	    .server = &x->server,
	};
}

static char *render(const struct metrics_snapshot *s, enum metrics_format fmt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f);
	CHECK_INT(metrics_write(f, s, fmt), 0);
	CHECK_INT(fclose(f), 0);
	return text;
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strncmp(text, want + 1, strlen(want + 1)) != 0 && !strstr(text, want)) {
		fprintf(stderr, "missing line: %s\nin:\n%s", line, text);
		abort();
	}
}

static void test_openmetrics(void)
{
	struct fixture x;
	char *t;

	fixture_init(&x);
	t = render(&x.snap, METRICS_OPENMETRICS);
	has(t, "# TYPE upsagent_ups_status stateset");
	has(t, "upsagent_ups_status{ups=\"rack\",server=\"nas.lan:3493\",upsagent_ups_status="
	       "\"OB\"} 1");
	has(t, "upsagent_ups_status{ups=\"rack\",server=\"nas.lan:3493\",upsagent_ups_status="
	       "\"OL\"} 0");
	has(t, "upsagent_ups_battery_charge_ratio{ups=\"rack\",server=\"nas.lan:3493\"} 0.08");
	has(t, "upsagent_ups_battery_runtime_seconds{ups=\"rack\",server=\"nas.lan:3493\"} 120");
	has(t, "upsagent_ups_input_voltage_volts{ups=\"rack\",server=\"nas.lan:3493\"} 0.5");
	CHECK(!strstr(t, "upsagent_ups_output_voltage_volts{")); /* not a number: left out */
	has(t, "# TYPE upsagent_ups_poll_failures counter");
	has(t, "upsagent_ups_poll_failures_total{ups=\"rack\",server=\"nas.lan:3493\"} 7");
	has(t, "upsagent_ups_critical{ups=\"rack\",server=\"nas.lan:3493\"} 1");
	has(t, "upsagent_ups_critical_reason{ups=\"rack\",server=\"nas.lan:3493\","
	       "upsagent_ups_critical_reason=\"ob-lb\"} 1");
	has(t, "upsagent_ups_timer_remaining_seconds{ups=\"rack\",server=\"nas.lan:3493\","
	       "rule=\"host-sync\"} 12.5");
	CHECK(!strstr(t, "rule=\"dead-time\""));
	has(t, "upsagent_ups_on_battery_seconds{ups=\"rack\",server=\"nas.lan:3493\"} 42");
	has(t, "upsagent_ups_reading_age_seconds{ups=\"rack\",server=\"nas.lan:3493\"} 1.25");
	CHECK(!strstr(t, "upsagent_ups_reading_age_seconds{ups=\"desk\""));
	has(t, "upsagent_ups_communication{ups=\"desk\",server=\"we\\\"ird\\\\\\nhost\","
	       "upsagent_ups_communication=\"unknown\"} 1");
	has(t, "upsagent_host_state{upsagent_host_state=\"sync\"} 1");
	has(t, "upsagent_host_shutdown_in_progress 1");
	has(t, "upsagent_host_timer_remaining_seconds{rule=\"host-sync\"} 14");
	has(t, "upsagent_server_logins{ups=\"desk\"} 2");
	has(t, "upsagent_server_auth_failures_total 4");
	has(t, "# TYPE upsagent_build info");
	has(t, "upsagent_build_info{version=\"0.1.0\"} 1");
	CHECK(strcmp(t + strlen(t) - 6, "# EOF\n") == 0);
	free(t);
	varlist_clear(&x.vars);
}

static void test_prometheus(void)
{
	struct fixture x;
	char *t;

	fixture_init(&x);
	x.snap.server = NULL;
	t = render(&x.snap, METRICS_PROMETHEUS);
	has(t, "# TYPE upsagent_ups_status gauge");
	has(t, "# TYPE upsagent_ups_poll_failures_total counter");
	has(t, "# TYPE upsagent_build_info gauge");
	has(t, "upsagent_build_info{version=\"0.1.0\"} 1");
	CHECK(!strstr(t, "# EOF"));
	CHECK(!strstr(t, "upsagent_server_"));
	CHECK(!strstr(t, "stateset"));
	free(t);
	varlist_clear(&x.vars);
}

/* Rendered through c, then without a cache: the same text. */
static void same_as_fresh(struct metrics_cache *c, const struct metrics_snapshot *s,
			  enum metrics_format fmt)
{
	struct metrics_buf cached = {.data = NULL}, fresh = {.data = NULL};

	CHECK_INT(metrics_render(&cached, s, fmt, c), 0);
	CHECK_INT(metrics_render(&fresh, s, fmt, NULL), 0);
	if (cached.len != fresh.len || memcmp(cached.data, fresh.data, fresh.len) != 0) {
		fprintf(stderr, "cached:\n%.*s\nfresh:\n%.*s", (int)cached.len, cached.data,
			(int)fresh.len, fresh.data);
		abort();
	}
	metrics_buf_done(&cached);
	metrics_buf_done(&fresh);
}

/* Every kept piece follows what it was written from: readings, verdicts,
 * counters, a UPS gone, renamed or added at the same place. */
static void test_cache(void)
{
	struct metrics_cache *c = metrics_cache_new();
	struct fixture x;

	CHECK(c);
	fixture_init(&x);
	for (int fmt = 0; fmt < _METRICS_FORMAT_MAX; fmt++)
		same_as_fresh(c, &x.snap, (enum metrics_format)fmt);
	x.ups[0].status = STATUS_FLAG(STATUS_OL) | STATUS_FLAG(STATUS_CHRG);
	x.ups[0].reason = MONITOR_REASON_NONE;
	x.ups[0].comm = MONITOR_COMM_LOST;
	x.ups[0].polls_failed = 8;
	x.ups[0].poll_duration = METRICS_NONE;
	x.ups[0].power_value = 2;
	x.ups[0].reading_age = 3;
	x.ups[0].timers[MONITOR_TIMER_HOST_SYNC] = METRICS_NONE;
	CHECK_INT(varlist_set(&x.vars, "battery.charge", "9"), 0);
	CHECK_INT(varlist_set(&x.vars, "output.voltage", "230"), 0);
	CHECK_INT(varlist_unset(&x.vars, "battery.runtime") >= 0, 1);
	same_as_fresh(c, &x.snap, METRICS_OPENMETRICS);
	x.ups[0].vars = NULL;
	same_as_fresh(c, &x.snap, METRICS_PROMETHEUS);
	x.ups[1].name = "rack";
	x.ups[0].name = "desk";
	same_as_fresh(c, &x.snap, METRICS_PROMETHEUS);
	x.snap.n_ups = 1;
	same_as_fresh(c, &x.snap, METRICS_PROMETHEUS);
	x.snap.n_ups = 2;
	x.ups[1].server = "elsewhere:3493";
	same_as_fresh(c, &x.snap, METRICS_OPENMETRICS);
	metrics_cache_free(c);
	varlist_clear(&x.vars);
}

static void test_accept(void)
{
	CHECK_INT(metrics_format_from_accept(NULL), METRICS_PROMETHEUS);
	CHECK_INT(metrics_format_from_accept("*/*"), METRICS_PROMETHEUS);
	CHECK_INT(metrics_format_from_accept(
		      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
		  METRICS_OPENMETRICS);
	CHECK(strstr(metrics_content_type(METRICS_OPENMETRICS), "version=1.0.0"));
}

int main(void)
{
	TEST_RUN(test_openmetrics);
	TEST_RUN(test_prometheus);
	TEST_RUN(test_cache);
	TEST_RUN(test_accept);
	return 0;
}
