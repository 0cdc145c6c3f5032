/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session set-ups let in a few at a time per server host. A TLS handshake
 * costs the server far more CPU than it costs us (upsd 2.8 with NSS spends
 * ~20 ms on one): a thousand sessions to one host, started together, leave
 * most handshakes to time out in its queue, and every one that does is a
 * false "communication lost". Queued here, each waits its turn instead.
 * Keyed by the server as configured: a black-holed host only holds up the
 * sessions to itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

struct gate {
	char *server;
	unsigned busy;		  /* set-ups under way */
	struct watch *head, *tail; /* waiting, first come first served */
	struct gate *next;
};

int gate_find(struct gate **list, const char *server, struct gate **ret)
{
	struct gate *g;

	for (g = *list; g; g = g->next)
		if (strcmp(g->server, server) == 0) {
			*ret = g;
			return 0;
		}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->server = strdup(server);
	if (!g->server) {
		free(g);
		return -ENOMEM;
	}
	g->next = *list;
	*list = g;
	*ret = g;
	return 0;
}

void gate_free_all(struct gate *list)
{
	while (list) {
		struct gate *next = list->next;

		free(list->server);
		free(list);
		list = next;
	}
}

bool gate_enter(struct gate *g, struct watch *w)
{
	if (w->gate_held)
		return true;
	if (g->busy < GATE_SETUPS_MAX && !g->head) {
		g->busy++;
		w->gate_held = true;
		return true;
	}
	if (!w->gate_queued) {
		w->gate_queued = true;
		w->gate_next = NULL;
		if (g->tail)
			g->tail->gate_next = w;
		else
			g->head = w;
		g->tail = w;
	}
	return false;
}

static void gate_unlink(struct gate *g, struct watch *w)
{
	struct watch **p = &g->head, *prev = NULL;

	while (*p && *p != w) {
		prev = *p;
		p = &(*p)->gate_next;
	}
	if (!*p)
		return;
	*p = w->gate_next;
	if (g->tail == w)
		g->tail = prev;
	w->gate_queued = false;
	w->gate_next = NULL;
}

void gate_leave(struct gate *g, struct watch *w)
{
	if (w->gate_queued)
		gate_unlink(g, w);
	if (w->gate_held) {
		w->gate_held = false;
		g->busy--;
	}
}

struct watch *gate_admit(struct gate *g)
{
	struct watch *w = g->head;

	if (!w || g->busy >= GATE_SETUPS_MAX)
		return NULL;
	gate_unlink(g, w);
	g->busy++;
	w->gate_held = true;
	return w;
}
