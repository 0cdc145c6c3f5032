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

#include "gate.h"

struct gate {
	char *server;
	unsigned busy;			/* set-ups under way */
	struct gate_place *head, *tail; /* waiting, first come first served */
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

bool gate_enter(struct gate *g, struct gate_place *p)
{
	if (p->held)
		return true;
	if (g->busy < GATE_SETUPS_MAX && !g->head) {
		g->busy++;
		p->held = true;
		return true;
	}
	if (!p->queued) {
		p->queued = true;
		p->next = NULL;
		if (g->tail)
			g->tail->next = p;
		else
			g->head = p;
		g->tail = p;
	}
	return false;
}

static void gate_unlink(struct gate *g, struct gate_place *p)
{
	struct gate_place **link = &g->head, *prev = NULL;

	while (*link && *link != p) {
		prev = *link;
		link = &(*link)->next;
	}
	if (!*link)
		return;
	*link = p->next;
	if (g->tail == p)
		g->tail = prev;
	p->queued = false;
	p->next = NULL;
}

void gate_leave(struct gate *g, struct gate_place *p)
{
	if (p->queued)
		gate_unlink(g, p);
	if (p->held) {
		p->held = false;
		g->busy--;
	}
}

struct gate_place *gate_admit(struct gate *g)
{
	struct gate_place *p = g->head;

	if (!p || g->busy >= GATE_SETUPS_MAX)
		return NULL;
	gate_unlink(g, p);
	g->busy++;
	p->held = true;
	return p;
}
