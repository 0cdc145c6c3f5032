/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session set-ups let in GATE_SETUPS_MAX at a time per server (gate.c).
 * A session takes part through a struct gate_place it owns and embeds;
 * the gate only links places, it owns none.
 */
#pragma once

#include <stdbool.h>

#define GATE_SETUPS_MAX 16

struct gate;

/* One session's place at its server's gate: zeroed is "not there". */
struct gate_place {
	bool held;		 /* its set-up is under way */
	bool queued;		 /* waiting for its turn to set up */
	struct gate_place *next; /* gate::head's line */
};

/* The gate of server in *list, added if new; gate_free_all() frees the list. */
int gate_find(struct gate **list, const char *server, struct gate **ret);
void gate_free_all(struct gate *list);
/* True: go ahead (leave when the set-up ends); false: p waits in line. */
bool gate_enter(struct gate *g, struct gate_place *p);
/* Ends p's turn or its wait; then gate_admit() until NULL gives the next ones. */
void gate_leave(struct gate *g, struct gate_place *p);
struct gate_place *gate_admit(struct gate *g);
