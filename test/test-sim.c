/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>

#include "macro.h"
#include "sim.h"
#include "test.h"

#define S(x) ((uint64_t)((x)*1000000.0 + 0.5))

/* One line alone, as the first entry of a script. */
static const struct {
	const char *line;
	int r;
	uint64_t at;
	const char *status;
	double charge, runtime;
	const char *err; /* a part of the message */
} lines[] = {
    {"0 OL", 0, 0, "OL", -1, -1, NULL},
    {"0 OL charge=100", 0, 0, "OL", 100, -1, NULL},
    {"0.0 OB DISCHRG charge=60 runtime=900", 0, 0, "OB DISCHRG", 60, 900, NULL},
    {"  0\tOB   LB  runtime=0.5 charge=8.25 ", 0, 0, "OB LB", 8.25, 0.5, NULL},
    {"0 charge=50 OL", 0, 0, "OL", 50, -1, NULL},
    {"0 OL FOO1", 0, 0, "OL FOO1", -1, -1, NULL},
    {"", -EINVAL, 0, NULL, 0, 0, "expected the time in seconds first"},
    {"OL", -EINVAL, 0, NULL, 0, 0, "expected the time in seconds first"},
    {"-1 OL", -EINVAL, 0, NULL, 0, 0, "expected the time in seconds first"},
    {"1e3 OL", -EINVAL, 0, NULL, 0, 0, "expected the time in seconds first"},
    {"inf OL", -EINVAL, 0, NULL, 0, 0, "expected the time in seconds first"},
    {"0", -EINVAL, 0, NULL, 0, 0, "no status tokens"},
    {"0 charge=5", -EINVAL, 0, NULL, 0, 0, "no status tokens"},
    {"0 ol", -EINVAL, 0, NULL, 0, 0, "'ol' is not a status token"},
    {"0 OL,OB", -EINVAL, 0, NULL, 0, 0, "'OL,OB' is not a status token"},
    {"0 OL charge=101", -EINVAL, 0, NULL, 0, 0, "charge=101: expected a percentage from 0 to 100"},
    {"0 OL charge=-1", -EINVAL, 0, NULL, 0, 0, "charge=-1: expected a percentage"},
    {"0 OL charge=", -EINVAL, 0, NULL, 0, 0, "charge=: expected a percentage"},
    {"0 OL charge=5 charge=6", -EINVAL, 0, NULL, 0, 0, "charge is given twice"},
    {"0 OL runtime=x", -EINVAL, 0, NULL, 0, 0, "runtime=x: expected a number of seconds"},
    {"0 OL load=50", -EINVAL, 0, NULL, 0, 0, "unknown value 'load'"},
    {"0 OL =5", -EINVAL, 0, NULL, 0, 0, "unknown value ''"},
    {"1 OL", -EINVAL, 0, NULL, 0, 0, "the first entry must be at time 0"},
    {"0 OB DISCHRG LB CHRG BYPASS CAL OFF OVER TRIM BOOST FSD ALARM RB HB", -EINVAL, 0, NULL, 0, 0,
     "longer than 63"},
};

static void test_sim_lines(void)
{
	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		char *const in[] = {(char *)lines[i].line};
		struct sim_step *steps = NULL;
		size_t n = 99;
		char err[256] = "";
		int r = sim_parse(in, 1, &steps, &n, err, sizeof(err));

		fprintf(stderr, "   \"%s\" -> %d %s\n", lines[i].line, r, err);
		CHECK_INT(r, lines[i].r);
		if (r < 0) {
			CHECK(steps == NULL);
			CHECK_INT(n, 0);
			CHECK(strstr(err, lines[i].err) != NULL);
			CHECK(strncmp(err, "entry 1 (\"", 10) == 0);
			continue;
		}
		CHECK_INT(n, 1);
		CHECK_INT(steps[0].at, lines[i].at);
		CHECK_STR(steps[0].status, lines[i].status);
		CHECK(steps[0].charge == lines[i].charge);
		CHECK(steps[0].runtime == lines[i].runtime);
		free(steps);
	}
}

static void test_sim_order(void)
{
	char *const good[] = {"0 OL", "0.5 OB", "3 OB LB"};
	char *const same[] = {"0 OL", "2 OB", "2 OB LB"};
	char *const back[] = {"0 OL", "5 OB", "4 OB LB"};
	struct sim_step *steps = NULL;
	char err[256];
	size_t n;

	CHECK_INT(sim_parse(good, 3, &steps, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 3);
	CHECK_INT(steps[1].at, S(0.5));
	CHECK_INT(steps[2].at, S(3));
	free(steps);

	steps = NULL;
	CHECK_INT(sim_parse(same, 3, &steps, &n, err, sizeof(err)), -EINVAL);
	CHECK_INT(n, 2);
	CHECK_STR(err, "entry 3 (\"2 OB LB\"): the times must increase from one entry to the next");
	CHECK(steps == NULL);
	CHECK_INT(sim_parse(back, 3, &steps, &n, err, sizeof(err)), -EINVAL);
	CHECK_INT(n, 2);
	CHECK_INT(sim_parse(good, 0, &steps, &n, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "the script is empty");
	CHECK_INT(n, 0);
}

static void test_sim_long_entry(void)
{
	char line[300];
	char *const in[] = {line};
	struct sim_step *steps = NULL;
	char err[64];
	size_t n;

	memset(line, 'A', sizeof(line) - 1);
	line[0] = '0';
	line[1] = ' ';
	line[sizeof(line) - 1] = '\0';
	CHECK_INT(sim_parse(in, 1, &steps, &n, err, sizeof(err)), -EINVAL);
	/* The entry is quoted shortened, and a short err buffer is not overrun. */
	CHECK(strstr(err, "...") != NULL);
	CHECK(strlen(err) == sizeof(err) - 1);
}

static void test_sim_at_next(void)
{
	char *const script[] = {"0 OL", "4 OB", "9 OB LB"};
	struct sim_step *steps;
	size_t n;
	char err[128];

	CHECK_INT(sim_parse(script, 3, &steps, &n, err, sizeof(err)), 0);
	CHECK(sim_at(steps, 0, 0) == NULL);
	CHECK_STR(sim_at(steps, n, 0)->status, "OL");
	CHECK_STR(sim_at(steps, n, S(4) - 1)->status, "OL");
	CHECK_STR(sim_at(steps, n, S(4))->status, "OB");
	CHECK_STR(sim_at(steps, n, S(8.9))->status, "OB");
	CHECK_STR(sim_at(steps, n, S(9))->status, "OB LB");
	CHECK_STR(sim_at(steps, n, UINT64_MAX)->status, "OB LB");

	CHECK_INT(sim_next(steps, n, 0), S(4));
	CHECK_INT(sim_next(steps, n, S(4) - 1), S(4));
	CHECK_INT(sim_next(steps, n, S(4)), S(9));
	CHECK(sim_next(steps, n, S(9)) == UINT64_MAX);
	CHECK(sim_next(steps, 0, 0) == UINT64_MAX);
	free(steps);
}

static void test_sim_default(void)
{
	size_t n, n_steps;
	const char *const *script = sim_default_script(&n);
	struct sim_step *steps;
	char err[128];
	const struct sim_step *last;

	CHECK(n >= 2);
	CHECK_INT(sim_parse((char *const *)script, n, &steps, &n_steps, err, sizeof(err)), 0);
	CHECK_INT(n_steps, n);
	CHECK(strstr(sim_at(steps, n, 0)->status, "OL") != NULL);
	/* The demo reaches low battery on battery within about 20 s. */
	last = sim_at(steps, n, S(20));
	CHECK(strstr(last->status, "OB") != NULL);
	CHECK(strstr(last->status, "LB") != NULL);
	CHECK(sim_next(steps, n, S(20)) == UINT64_MAX);
	free(steps);
}

int main(void)
{
	TEST_RUN(test_sim_lines);
	TEST_RUN(test_sim_order);
	TEST_RUN(test_sim_long_entry);
	TEST_RUN(test_sim_at_next);
	TEST_RUN(test_sim_default);
	return 0;
}
