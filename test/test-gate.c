/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set-up gate: at most GATE_SETUPS_MAX set-ups per server at once, the
 * rest in line first come first served; a session leaving the line or ending
 * its turn lets the next in; servers do not share a gate.
 */
#include "../agent/daemon/gate.h"
#include "test.h"

#define N (GATE_SETUPS_MAX + 5)

static struct gate_place w[N], other;

static void test_limit_and_order(void)
{
	struct gate *list = NULL, *g, *h, *again;

	CHECK(gate_find(&list, "nas", &g) == 0);
	CHECK(gate_find(&list, "upsd.example", &h) == 0);
	CHECK(gate_find(&list, "nas", &again) == 0);
	CHECK(g == again && g != h);

	for (int i = 0; i < N; i++)
		CHECK(gate_enter(g, &w[i]) == (i < GATE_SETUPS_MAX));
	CHECK(gate_enter(g, &w[0])); /* held already: still its turn */
	CHECK(w[GATE_SETUPS_MAX].queued && !w[GATE_SETUPS_MAX].held);
	/* Another server is not held up by this one's line. */
	CHECK(gate_enter(h, &other));
	CHECK(gate_admit(g) == NULL); /* full */

	/* The second in line gives up its place (its UPS went away). */
	gate_leave(g, &w[GATE_SETUPS_MAX + 1]);
	CHECK(!w[GATE_SETUPS_MAX + 1].queued);
	/* Two set-ups end: the first and third in line get their turns, in order. */
	gate_leave(g, &w[0]);
	gate_leave(g, &w[3]);
	CHECK(gate_admit(g) == &w[GATE_SETUPS_MAX]);
	CHECK(gate_admit(g) == &w[GATE_SETUPS_MAX + 2]);
	CHECK(gate_admit(g) == NULL);
	CHECK(w[GATE_SETUPS_MAX + 2].held && !w[GATE_SETUPS_MAX + 2].queued);
	/* While others wait, a newcomer queues behind them even with room. */
	gate_leave(g, &w[1]);
	CHECK(!gate_enter(g, &w[0]));
	CHECK(gate_admit(g) == &w[GATE_SETUPS_MAX + 3]);
	CHECK(gate_admit(g) == NULL);
	/* Leaving twice frees one place, not two. */
	gate_leave(g, &w[1]);
	gate_leave(g, &w[2]);
	CHECK(gate_admit(g) == &w[GATE_SETUPS_MAX + 4]);
	CHECK(gate_admit(g) == NULL);
	gate_leave(g, &w[4]);
	CHECK(gate_admit(g) == &w[0]);
	CHECK(gate_admit(g) == NULL);
	gate_free_all(list);
}

int main(void)
{
	test_limit_and_order();
	return 0;
}
