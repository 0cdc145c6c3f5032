/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "host.h"
#include "macro.h"

static const char *const action_names[_HOST_ACTION_MAX] = {
    [HOST_ACTION_UPS_CRITICAL] = "ups-critical",
    [HOST_ACTION_SEND_FSD] = "send-fsd",
    [HOST_ACTION_QUERY_NUMLOGINS] = "query-numlogins",
    [HOST_ACTION_NOTIFY_HOSTSYNC] = "notify-shutdown-hostsync",
    [HOST_ACTION_SYNC_DONE] = "sync-done",
    [HOST_ACTION_SYNC_EXPIRED] = "sync-expired",
    [HOST_ACTION_NOTIFY_SHUTDOWN] = "notify-shutdown",
    [HOST_ACTION_WRITE_POWERDOWN_FLAG] = "write-powerdown-flag",
    [HOST_ACTION_POWER_OFF] = "power-off",
};

static const char *const state_names[_HOST_STATE_MAX] = {
    [HOST_STATE_WATCHING] = "watching",
    [HOST_STATE_SYNC] = "sync",
    [HOST_STATE_FINAL] = "final-delay",
    [HOST_STATE_DONE] = "done",
};

struct action_out {
	struct host_action *act;
	size_t max;
	size_t n;
};

static void emit(struct action_out *out, enum host_action_type type, size_t ups, const char *reason)
{
	/* host_update() checked max against HOST_ACTIONS_MAX(n) up front. */
	if (out->n < out->max)
		out->act[out->n++] = (struct host_action){type, ups, reason};
}

static uint64_t deadline(uint64_t since, uint64_t d)
{
	return d > HOST_NEVER - since ? HOST_NEVER : since + d;
}

void host_config_init(struct host_config *cfg)
{
	*cfg = (struct host_config){
	    .min_supplies = 1,
	    .host_sync = 15 * USEC_PER_SEC,
	    .final_delay = 5 * USEC_PER_SEC,
	};
}

void host_init(struct host *h, const struct host_config *cfg)
{
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	h->state = HOST_STATE_WATCHING;
}

void host_ups_init(struct host_ups *u, unsigned power_value, bool primary)
{
	*u = (struct host_ups){.power_value = power_value, .primary = primary, .numlogins = -1};
}

unsigned host_supply(const struct host_ups *ups, size_t n)
{
	unsigned sum = 0;

	/* A UPS never heard from is not critical, so it counts (upsmon). */
	for (size_t i = 0; i < n; i++)
		if (!ups[i].critical)
			sum += ups[i].power_value;
	return sum;
}

bool host_power_short(const struct host *h, const struct host_ups *ups, size_t n)
{
	/* min-supplies 0: a watch-only host, never shut down. */
	return h->cfg.min_supplies > 0 && host_supply(ups, n) < h->cfg.min_supplies;
}

static void critical_edges(struct host_ups *ups, size_t n, struct action_out *out)
{
	for (size_t i = 0; i < n; i++) {
		if (ups[i].critical && !ups[i].was_critical)
			emit(out, HOST_ACTION_UPS_CRITICAL, i, ups[i].reason);
		ups[i].was_critical = ups[i].critical;
	}
}

static void final_step(struct host *h, uint64_t now, struct action_out *out)
{
	if (now < h->final_at)
		return;
	/* DONE is terminal: the flag and the power-off are asked for once. */
	emit(out, HOST_ACTION_WRITE_POWERDOWN_FLAG, 0, NULL);
	emit(out, HOST_ACTION_POWER_OFF, 0, NULL);
	h->state = HOST_STATE_DONE;
}

static void shutdown_begin(struct host *h, uint64_t now, struct action_out *out)
{
	emit(out, HOST_ACTION_NOTIFY_SHUTDOWN, 0, NULL);
	h->state = HOST_STATE_FINAL;
	h->final_at = deadline(now, h->cfg.final_delay);
	final_step(h, now, out);
}

static void query_round(struct host *h, const struct host_ups *ups, size_t n, uint64_t now,
			struct action_out *out)
{
	for (size_t i = 0; i < n; i++)
		if (ups[i].primary)
			emit(out, HOST_ACTION_QUERY_NUMLOGINS, i, NULL);
	h->next_query = deadline(now, HOST_NUMLOGINS_INTERVAL);
}

static void hostsync_notify(struct host *h, struct action_out *out)
{
	if (h->hostsync_notified)
		return;
	emit(out, HOST_ACTION_NOTIFY_HOSTSYNC, 0, NULL);
	h->hostsync_notified = true;
}

static void sync_step(struct host *h, const struct host_ups *ups, size_t n, uint64_t now,
		      struct action_out *out)
{
	bool all_alone = true, others = false;

	/* NUMLOGINS counts our own login: <= 1 means the secondaries are gone.
	 * A UPS that has not answered yet keeps us waiting. */
	for (size_t i = 0; i < n; i++) {
		if (!ups[i].primary)
			continue;
		all_alone &= ups[i].numlogins >= 0 && ups[i].numlogins <= 1;
		others |= ups[i].numlogins > 1;
	}
	if (all_alone) {
		emit(out, HOST_ACTION_SYNC_DONE, 0, NULL);
		shutdown_begin(h, now, out);
		return;
	}
	/* SHUTDOWN_HOSTSYNC once, when we know we have to wait: a secondary
	 * is still logged in, or host-sync ran out before we could tell. */
	if (others)
		hostsync_notify(h, out);
	if (now >= deadline(h->sync_start, h->cfg.host_sync)) {
		hostsync_notify(h, out);
		/* Say which UPS still had logins (or never answered): with
		 * host-sync 0 nobody meant to wait, so there is nothing to say. */
		for (size_t i = 0; i < n && h->cfg.host_sync > 0; i++)
			if (ups[i].primary && !(ups[i].numlogins >= 0 && ups[i].numlogins <= 1))
				emit(out, HOST_ACTION_SYNC_EXPIRED, i, NULL);
		shutdown_begin(h, now, out);
	} else if (now >= h->next_query) {
		query_round(h, ups, n, now, out);
	}
}

static void sequence_start(struct host *h, struct host_ups *ups, size_t n, uint64_t now,
			   struct action_out *out)
{
	bool primary = false;

	/* A primary sets FSD on every UPS it is primary for, so that the
	 * secondaries shut down, then waits for them (upsmon forceshutdown). */
	for (size_t i = 0; i < n; i++) {
		if (!ups[i].primary)
			continue;
		primary = true;
		ups[i].numlogins = -1;
		emit(out, HOST_ACTION_SEND_FSD, i, NULL);
	}
	if (!primary) {
		/* A secondary only: nobody waits for us. */
		shutdown_begin(h, now, out);
		return;
	}
	h->state = HOST_STATE_SYNC;
	h->sync_start = now;
	query_round(h, ups, n, now, out);
	/* host-sync 0: do not wait at all. */
	if (h->cfg.host_sync == 0)
		sync_step(h, ups, n, now, out);
}

int host_update(struct host *h, struct host_ups *ups, size_t n, uint64_t now,
		struct host_action *act, size_t max)
{
	struct action_out out = {act, max, 0};

	if (max < HOST_ACTIONS_MAX(n))
		return -ENOBUFS;
	critical_edges(ups, n, &out);
	/* Once started, the sequence only moves forward: mains coming back
	 * does not cancel a shutdown in progress, the same as upsmon. The FSD
	 * we set is latched by upsd, so our secondaries are going down anyway,
	 * and the UPS will power-cycle the loads. */
	switch (h->state) {
	case HOST_STATE_WATCHING:
		if (h->forced || host_power_short(h, ups, n))
			sequence_start(h, ups, n, now, &out);
		break;
	case HOST_STATE_SYNC:
		sync_step(h, ups, n, now, &out);
		break;
	case HOST_STATE_FINAL:
		final_step(h, now, &out);
		break;
	case HOST_STATE_DONE:
	case _HOST_STATE_MAX:
		break;
	}
	return (int)out.n;
}

bool host_force(struct host *h)
{
	if (h->state != HOST_STATE_WATCHING)
		return false;
	h->forced = true;
	return true;
}

uint64_t host_next_deadline(const struct host *h, uint64_t now)
{
	uint64_t t = HOST_NEVER;

	if (h->state == HOST_STATE_SYNC) {
		t = deadline(h->sync_start, h->cfg.host_sync);
		if (h->next_query < t)
			t = h->next_query;
	} else if (h->state == HOST_STATE_FINAL) {
		t = h->final_at;
	}
	return t < now ? now : t;
}

const char *host_action_to_string(enum host_action_type t)
{
	if ((unsigned)t >= _HOST_ACTION_MAX)
		return NULL;
	return action_names[t];
}

const char *host_state_to_string(enum host_state s)
{
	if ((unsigned)s >= _HOST_STATE_MAX)
		return NULL;
	return state_names[s];
}
