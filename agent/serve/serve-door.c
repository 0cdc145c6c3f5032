/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The door of the server: who gets a connection, and how fast a password
 * guess is answered. Anyone on an allowed network can push it; a configured
 * user must still get in.
 *
 * Connections before authentication have their own budget, max-before-login
 * (within max-clients), and at most max-before-login-per-address of them
 * come from one address (IPv4 address, IPv6 /64). A newcomer never waits for
 * a slot: when the budget is full, the oldest pre-login connection of the
 * address that holds the most goes (the oldest of all when none holds more
 * than one), so that whatever the connections before it do (sit silent,
 * handshake slowly, send NETVER every few seconds), a user who connects now
 * is the newest and logs in. Addresses whose connections were closed for
 * newcomers lately go first (they churn: an attacker reconnecting), so that
 * one connection from an address that does not churn outlives the churn. Only authenticated clients
 * fill max-clients for good; at max-clients of them a newcomer is refused at once.
 *
 * Failed authentications are remembered per address (a table of
 * SERVE_GUESS_TABLE, the least recent replaced): the answer to each
 * authentication from an address that failed waits, longer after each
 * failure, and answers from that address come one at a time whatever the
 * number of its connections. Other addresses are not slowed. The log gets
 * the first failure of an address and then a summary per address every
 * SERVE_SUMMARY_EVERY, never a line per guess.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "serve-internal.h"

/* What the door remembers of an address: failed guesses and evictions. */
struct serve_guess {
	struct serve_addr key;
	bool used;
	unsigned evicted;	     /* connections closed for newcomers, lately */
	uint64_t evicted_at;	     /* the last one */
	char addr[INET6_ADDRSTRLEN]; /* for the summary */
	char user[64];		     /* the last user tried, for the summary */
	unsigned failures;	     /* since the entry was made */
	unsigned unsaid;	     /* failures since the last summary */
	uint64_t first_unsaid, last, next_answer;
};

void serve_addr_of(const struct sockaddr_storage *peer, struct serve_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (peer->ss_family == AF_INET) {
		/* as ::ffff:a.b.c.d, so that it meets the same client on a dual-stack socket */
		ret->b[10] = ret->b[11] = 0xff;
		memcpy(&ret->b[12], &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;

		/* A host gets a /64: counting its addresses one by one would count nothing. */
		memcpy(ret->b, a->s6_addr, IN6_IS_ADDR_V4MAPPED(a) ? 16 : 8);
	}
}

static bool addr_same(const struct serve_addr *a, const struct serve_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static uint64_t now_usec(const struct server *srv)
{
	uint64_t now = 0;

	(void)sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
	return now;
}

/* ---- the pre-login pool ------------------------------------------------ */

static unsigned pre_count(const struct server *srv, const struct serve_addr *key,
			  struct serve_client **oldest)
{
	unsigned n = 0;

	*oldest = NULL;
	for (struct serve_client *c = srv->pre_head; c; c = c->pre_next)
		if (addr_same(&c->key, key) && n++ == 0)
			*oldest = c;
	return n;
}

static struct serve_guess *guess_find(struct server *srv, const struct serve_addr *key,
				      uint64_t now);
static struct serve_guess *guess_new(struct server *srv, const struct serve_client *c);

/* How many of an address's connections were closed for newcomers lately. */
static unsigned churn(struct server *srv, const struct serve_addr *key, uint64_t now)
{
	const struct serve_guess *g = srv->guesses ? guess_find(srv, key, now) : NULL;

	return g && now < g->evicted_at + SERVE_CHURN_MEMORY ? g->evicted : 0;
}

/* The one to go when the pool is full: the oldest connection of the address
 * that churned most lately, else of the one that holds most, else the oldest. */
static struct serve_client *pre_victim(struct server *srv, uint64_t now)
{
	struct serve_client *victim = srv->pre_head, *oldest;
	unsigned best_churn = 0, most = 1;

	for (struct serve_client *c = srv->pre_head; c; c = c->pre_next) {
		unsigned n = pre_count(srv, &c->key, &oldest), k = churn(srv, &c->key, now);

		if (k > best_churn || (k == best_churn && n > most)) {
			best_churn = k;
			most = n;
			victim = oldest;
		}
	}
	return victim;
}

static void pre_evict(struct server *srv, struct serve_client *c)
{
	uint64_t now = now_usec(srv);
	struct serve_guess *g = srv->guesses ? guess_find(srv, &c->key, now) : NULL;

	if (srv->guesses && !g)
		g = guess_new(srv, c);
	if (g) {
		g->evicted = now < g->evicted_at + SERVE_CHURN_MEMORY ? g->evicted + 1 : 1;
		g->evicted_at = g->last = now;
	}
	if (srv->evicted++ == 0)
		log_warning("serve: connections before login are at their limit: the oldest go "
			    "for newcomers (max-before-login %u, per address %u)",
			    srv->cfg->max_before_login, srv->cfg->max_before_login_per_address);
	serve_client_evict(c);
}

int serve_door_admit(struct server *srv, const struct serve_addr *key)
{
	const struct config_serve *cfg = srv->cfg;
	unsigned budget =
	    cfg->max_before_login < srv->max_clients ? cfg->max_before_login : srv->max_clients;
	struct serve_client *oldest;

	if (pre_count(srv, key, &oldest) >= cfg->max_before_login_per_address)
		pre_evict(srv, oldest);
	else if (srv->n_pre >= budget || (srv->n_clients >= srv->max_clients && srv->pre_head))
		pre_evict(srv, pre_victim(srv, now_usec(srv)));
	return srv->n_clients >= srv->max_clients ? -EUSERS : 0;
}

void serve_door_enter(struct server *srv, struct serve_client *c)
{
	c->pre_prev = srv->pre_tail;
	c->pre_next = NULL;
	if (srv->pre_tail)
		srv->pre_tail->pre_next = c;
	else
		srv->pre_head = c;
	srv->pre_tail = c;
	c->in_pre = true;
	srv->n_pre++;
}

void serve_door_leave(struct server *srv, struct serve_client *c)
{
	if (!c->in_pre)
		return;
	if (c->pre_prev)
		c->pre_prev->pre_next = c->pre_next;
	else
		srv->pre_head = c->pre_next;
	if (c->pre_next)
		c->pre_next->pre_prev = c->pre_prev;
	else
		srv->pre_tail = c->pre_prev;
	c->pre_prev = c->pre_next = NULL;
	c->in_pre = false;
	srv->n_pre--;
}

/* ---- password guessing ------------------------------------------------- */

static struct serve_guess *guess_find(struct server *srv, const struct serve_addr *key,
				      uint64_t now)
{
	for (size_t i = 0; i < SERVE_GUESS_TABLE; i++) {
		struct serve_guess *g = &srv->guesses[i];

		if (g->used && now > g->last + SERVE_GUESS_FORGET && g->unsaid == 0 &&
		    now > g->evicted_at + SERVE_CHURN_MEMORY)
			g->used = false; /* forgotten */
		if (g->used && addr_same(&g->key, key))
			return g;
	}
	return NULL;
}

static void guess_say(struct serve_guess *g, uint64_t now)
{
	if (g->unsaid == 0)
		return;
	log_warning("serve: %s: %u failed authentication(s) in %llu s (last for user %s); "
		    "answers from there wait up to %llu ms",
		    g->addr, g->unsaid,
		    (unsigned long long)((now - g->first_unsaid) / USEC_PER_SEC + 1), g->user,
		    (unsigned long long)(SERVE_GUESS_DELAY_MAX / USEC_PER_MSEC));
	g->unsaid = 0;
}

/* A free entry, else the least recent one (its summary said first). */
static struct serve_guess *guess_new(struct server *srv, const struct serve_client *c)
{
	struct serve_guess *g = NULL;

	for (size_t i = 0; i < SERVE_GUESS_TABLE; i++) {
		struct serve_guess *e = &srv->guesses[i];

		if (!e->used) {
			g = e;
			break;
		}
		if (!g || e->last < g->last)
			g = e;
	}
	if (g->used)
		guess_say(g, now_usec(srv));
	*g = (struct serve_guess){.key = c->key, .used = true};
	snprintf(g->addr, sizeof(g->addr), "%s", c->addr);
	return g;
}

static uint64_t guess_delay(unsigned failures)
{
	if (failures == 0)
		return 0;
	if (failures > 6)
		return SERVE_GUESS_DELAY_MAX;
	return SERVE_GUESS_DELAY_MIN << (failures - 1) < SERVE_GUESS_DELAY_MAX
		   ? SERVE_GUESS_DELAY_MIN << (failures - 1)
		   : SERVE_GUESS_DELAY_MAX;
}

uint64_t serve_door_guess(struct server *srv, const struct serve_client *c, const char *user,
			  bool failed)
{
	uint64_t now = now_usec(srv), at;
	struct serve_guess *g;

	if (!srv->guesses)
		return 0; /* no memory for the table at start: unpaced, as before */
	g = guess_find(srv, &c->key, now);
	if (!g && !failed)
		return 0;
	if (!g)
		g = guess_new(srv, c);
	if (failed && g->failures == 0)
		log_warning("serve: %s: authentication failed for user %s; further failures "
			    "from %s are paced and summed up",
			    c->who, user, c->addr);
	else if (failed && g->unsaid++ == 0)
		g->first_unsaid = now;
	/* One answer at a time per address, each waiting for its failures so far. */
	at = (g->next_answer > now ? g->next_answer : now) + guess_delay(g->failures);
	g->next_answer = at;
	if (failed) {
		g->failures++;
		g->last = now;
		snprintf(g->user, sizeof(g->user), "%s", user);
	}
	return at - now;
}

/* ---- summaries --------------------------------------------------------- */

static int on_summary(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct server *srv = userdata;

	(void)s;
	for (size_t i = 0; srv->guesses && i < SERVE_GUESS_TABLE; i++)
		if (srv->guesses[i].used)
			guess_say(&srv->guesses[i], usec);
	if (srv->evicted > 1)
		log_notice("serve: %u connection(s) before login were closed for newcomers in "
			   "the last %llu s",
			   srv->evicted, (unsigned long long)(SERVE_SUMMARY_EVERY / USEC_PER_SEC));
	srv->evicted = 0;
	for (size_t i = 0; i < srv->n_listeners; i++) {
		struct serve_listener *l = &srv->listeners[i];

		if (l->starved > 0)
			log_warning("serve: %s: accepting failed %u time(s) for want of file "
				    "descriptors or memory; the connections waited in the backlog",
				    l->name, l->starved);
		l->starved = 0;
	}
	(void)sd_event_source_set_time(s, usec + SERVE_SUMMARY_EVERY);
	return 0;
}

int serve_door_open(struct server *srv)
{
	int r;

	/* Without the table guesses go unpaced; the server still serves. */
	srv->guesses = calloc(SERVE_GUESS_TABLE, sizeof(*srv->guesses));
	if (!srv->guesses)
		log_warning("serve: no memory to pace password guesses, ignoring");
	r = sd_event_add_time_relative(srv->event, &srv->summary, CLOCK_MONOTONIC,
				       SERVE_SUMMARY_EVERY, USEC_PER_SEC, on_summary, srv);

	if (r >= 0)
		r = sd_event_source_set_enabled(srv->summary, SD_EVENT_ON);
	return r < 0 ? log_error_errno(r, "serve: a timer: %s", strerror(-r)) : 0;
}

void serve_door_close(struct server *srv)
{
	srv->summary = sd_event_source_disable_unref(srv->summary);
	free(srv->guesses);
	srv->guesses = NULL;
}
