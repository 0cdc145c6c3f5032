/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "macro.h"
#include "monitor.h"

#define NO_EVENT _MONITOR_EVENT_MAX

/* Events on a token's rising and falling edge (protocol.md section 3). LB and
 * FSD have no "NOT" event; OL/OB are handled apart because the first OL after
 * start must stay quiet. */
static const struct edge {
	enum status_token token;
	enum monitor_event on, off;
} edges[] = {
    {STATUS_LB, MONITOR_EVENT_LOWBATT, NO_EVENT},
    {STATUS_FSD, MONITOR_EVENT_FSD, NO_EVENT},
    {STATUS_CAL, MONITOR_EVENT_CAL, MONITOR_EVENT_NOTCAL},
    {STATUS_OFF, MONITOR_EVENT_OFF, MONITOR_EVENT_NOTOFF},
    {STATUS_BYPASS, MONITOR_EVENT_BYPASS, MONITOR_EVENT_NOTBYPASS},
    {STATUS_OVER, MONITOR_EVENT_OVER, MONITOR_EVENT_NOTOVER},
    {STATUS_TRIM, MONITOR_EVENT_TRIM, MONITOR_EVENT_NOTTRIM},
    {STATUS_BOOST, MONITOR_EVENT_BOOST, MONITOR_EVENT_NOTBOOST},
    {STATUS_ECO, MONITOR_EVENT_ECO, MONITOR_EVENT_NOTECO},
    {STATUS_ALARM, MONITOR_EVENT_ALARM, MONITOR_EVENT_NOTALARM},
};

static const char *const event_names[_MONITOR_EVENT_MAX] = {
    [MONITOR_EVENT_ONLINE] = "ONLINE",	 [MONITOR_EVENT_ONBATT] = "ONBATT",
    [MONITOR_EVENT_LOWBATT] = "LOWBATT", [MONITOR_EVENT_FSD] = "FSD",
    [MONITOR_EVENT_COMMOK] = "COMMOK",	 [MONITOR_EVENT_COMMBAD] = "COMMBAD",
    [MONITOR_EVENT_NOCOMM] = "NOCOMM",	 [MONITOR_EVENT_REPLBATT] = "REPLBATT",
    [MONITOR_EVENT_CAL] = "CAL",	 [MONITOR_EVENT_NOTCAL] = "NOTCAL",
    [MONITOR_EVENT_OFF] = "OFF",	 [MONITOR_EVENT_NOTOFF] = "NOTOFF",
    [MONITOR_EVENT_BYPASS] = "BYPASS",	 [MONITOR_EVENT_NOTBYPASS] = "NOTBYPASS",
    [MONITOR_EVENT_OVER] = "OVER",	 [MONITOR_EVENT_NOTOVER] = "NOTOVER",
    [MONITOR_EVENT_TRIM] = "TRIM",	 [MONITOR_EVENT_NOTTRIM] = "NOTTRIM",
    [MONITOR_EVENT_BOOST] = "BOOST",	 [MONITOR_EVENT_NOTBOOST] = "NOTBOOST",
    [MONITOR_EVENT_ECO] = "ECO",	 [MONITOR_EVENT_NOTECO] = "NOTECO",
    [MONITOR_EVENT_ALARM] = "ALARM",	 [MONITOR_EVENT_NOTALARM] = "NOTALARM",
    [MONITOR_EVENT_OTHER] = "OTHER",	 [MONITOR_EVENT_NOTOTHER] = "NOTOTHER",
};

static const char *const reason_names[_MONITOR_REASON_MAX] = {
    [MONITOR_REASON_NONE] = "not critical",
    [MONITOR_REASON_FSD] = "forced shutdown (FSD) is set",
    [MONITOR_REASON_LOST_CAL] = "communication lost while calibrating",
    [MONITOR_REASON_LOST_BYPASS] = "communication lost while on bypass",
    [MONITOR_REASON_LOST_OFF] = "communication lost while off",
    [MONITOR_REASON_LOST_ALARM] = "communication lost while in alarm",
    [MONITOR_REASON_LOST_OB] = "communication lost on battery for longer than dead-time",
    [MONITOR_REASON_OFF] = "off for longer than off-duration",
    [MONITOR_REASON_OB_LB] = "on battery with low battery",
    [MONITOR_REASON_CHARGE] = "on battery with charge at or below charge-low",
    [MONITOR_REASON_RUNTIME] = "on battery with runtime at or below runtime-low",
    [MONITOR_REASON_OB_MAX] = "on battery for longer than on-battery-max",
};

/* Where monitor_update() and monitor_tick() put their events. */
struct event_out {
	enum monitor_event *ev;
	size_t max;
	size_t n;
};

static void emit(struct event_out *out, enum monitor_event e)
{
	if (e != NO_EVENT && out->n < out->max)
		out->ev[out->n++] = e;
}

/* since + d, where MONITOR_NEVER (and any overflow) stays "never". */
static uint64_t deadline(uint64_t since, uint64_t d)
{
	return d > MONITOR_NEVER - since ? MONITOR_NEVER : since + d;
}

static bool elapsed(uint64_t since, uint64_t d, uint64_t now)
{
	uint64_t t = deadline(since, d);

	return t != MONITOR_NEVER && now >= t;
}

/* A repeat period of 0 would fire on every call: it turns the repeat off. */
static uint64_t period(uint64_t d)
{
	return d == 0 ? MONITOR_NEVER : d;
}

static bool has(const struct monitor *m, enum status_token t)
{
	return m->heard && status_has(&m->last, t);
}

void monitor_config_init(struct monitor_config *cfg)
{
	/* upsmon: DEADTIME 15, HOSTSYNC 15, OFFDURATION 30, NOCOMMWARNTIME 300,
	 * RBWARNTIME 43200, OBLBDURATION 0; the thresholds are ours, off. */
	*cfg = (struct monitor_config){
	    .dead_time = 15 * USEC_PER_SEC,
	    .host_sync = 15 * USEC_PER_SEC,
	    .ob_lb_duration = 0,
	    .off_duration = 30 * USEC_PER_SEC,
	    .on_battery_max = MONITOR_NEVER,
	    .nocomm_warn = 300 * USEC_PER_SEC,
	    .rb_warn = 43200 * USEC_PER_SEC,
	    .charge_low = -1,
	    .runtime_low = -1,
	    .secondary = false,
	};
}

void monitor_init(struct monitor *m, const struct monitor_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->crit_since = MONITOR_NEVER;
}

void monitor_set_config(struct monitor *m, const struct monitor_config *cfg)
{
	m->cfg = *cfg;
}

void monitor_set_sole_login(struct monitor *m, bool sole)
{
	m->sole_login = sole;
}

bool monitor_on_battery(const struct monitor *m)
{
	return has(m, STATUS_OB);
}

/* --- The verdict ------------------------------------------------------- */

static uint64_t dead_deadline(const struct monitor *m)
{
	return deadline(m->last_ok, m->cfg.dead_time);
}

/* Dead-time has run out and an attempt that ended after it failed too:
 * the one in flight at the deadline was waited for (upsmon: pollups()
 * before recalc()), so a server back just in time is never "dead". */
static bool dead_confirmed(const struct monitor *m, uint64_t now)
{
	uint64_t t = dead_deadline(m);

	return t != MONITOR_NEVER && now >= t && m->last_fail >= t;
}

/* Communication is lost: what the last known state says (is_ups_critical
 * step 2, and DEADTIME measured from the last good poll, NUT PR #2462). */
static enum monitor_reason lost_reason(const struct monitor *m, uint64_t now)
{
	/* These states may hide a load that is about to drop, and nothing
	 * tells us when they end: no reason to wait for dead-time. */
	if (has(m, STATUS_CAL))
		return MONITOR_REASON_LOST_CAL;
	if (has(m, STATUS_BYPASS))
		return MONITOR_REASON_LOST_BYPASS;
	/* OFF too, unless off-duration says to ignore OFF altogether. */
	if (has(m, STATUS_OFF) && m->cfg.off_duration != MONITOR_NEVER)
		return MONITOR_REASON_LOST_OFF;
	if (has(m, STATUS_ALARM))
		return MONITOR_REASON_LOST_ALARM;
	/* A short blip while on battery must not shut the host down (NUT #2454). */
	if (has(m, STATUS_OB) && dead_confirmed(m, now))
		return MONITOR_REASON_LOST_OB;
	return MONITOR_REASON_NONE;
}

static bool below(bool present, double value, double limit)
{
	return limit >= 0 && present && value <= limit;
}

/* What the last data says by itself: the rules a secondary holds back. */
static enum monitor_reason reading_reason(const struct monitor *m, uint64_t now)
{
	const struct status_snapshot *s = &m->last;

	if (has(m, STATUS_OFF) && elapsed(m->off_since, m->cfg.off_duration, now))
		return MONITOR_REASON_OFF;
	/* A calibration drains the battery on purpose, down to LB: none of the
	 * battery rules apply while it runs (is_ups_critical step 5, NUT #2104). */
	if (!has(m, STATUS_OB) || has(m, STATUS_CAL))
		return MONITOR_REASON_NONE;
	if (has(m, STATUS_LB) && elapsed(m->ob_lb_since, m->cfg.ob_lb_duration, now))
		return MONITOR_REASON_OB_LB;
	if (below(s->has_charge, s->charge, m->cfg.charge_low))
		return MONITOR_REASON_CHARGE;
	if (below(s->has_runtime, s->runtime, m->cfg.runtime_low))
		return MONITOR_REASON_RUNTIME;
	if (elapsed(m->ob_since, m->cfg.on_battery_max, now))
		return MONITOR_REASON_OB_MAX;
	return MONITOR_REASON_NONE;
}

static void earliest(uint64_t *best, bool holds, uint64_t t)
{
	if (holds && t < *best)
		*best = t;
}

/* When the reading, critical at now, became so: a timed rule at its
 * deadline, a value rule (charge, runtime, OB LB at once) at the reading
 * that showed it - which is now when called from a reading, as the reading
 * before it was not critical (crit_since is kept from then on). */
static uint64_t reading_since(const struct monitor *m, uint64_t now)
{
	const struct status_snapshot *s = &m->last;
	uint64_t t = MONITOR_NEVER;
	bool battery = has(m, STATUS_OB) && !has(m, STATUS_CAL);

	earliest(&t, has(m, STATUS_OFF) && elapsed(m->off_since, m->cfg.off_duration, now),
		 deadline(m->off_since, m->cfg.off_duration));
	earliest(
	    &t, battery && has(m, STATUS_LB) && elapsed(m->ob_lb_since, m->cfg.ob_lb_duration, now),
	    deadline(m->ob_lb_since, m->cfg.ob_lb_duration));
	earliest(&t, battery && elapsed(m->ob_since, m->cfg.on_battery_max, now),
		 deadline(m->ob_since, m->cfg.on_battery_max));
	earliest(&t,
		 battery && (below(s->has_charge, s->charge, m->cfg.charge_low) ||
			     below(s->has_runtime, s->runtime, m->cfg.runtime_low)),
		 now);
	return t;
}

/* The reading is critical: since when (crossing a deadline between two
 * readings needs no call to be noticed). */
static uint64_t critical_start(const struct monitor *m, uint64_t now)
{
	return m->crit_since != MONITOR_NEVER ? m->crit_since : reading_since(m, now);
}

/* A secondary gives the primary host-sync, counted from the reading that
 * became critical, to set FSD (is_ups_critical step 8; upsmon counts from
 * the poll before, one interval early) - unless the server says we are its
 * only login, so no primary exists to wait for. */
static bool secondary_holds(const struct monitor *m, uint64_t now)
{
	return m->cfg.secondary && !m->sole_login &&
	       !elapsed(critical_start(m, now), m->cfg.host_sync, now);
}

enum monitor_reason monitor_verdict(const struct monitor *m, uint64_t now)
{
	enum monitor_reason r;

	/* A UPS never heard from counts as healthy (upsmon recalc()). */
	if (!m->heard)
		return MONITOR_REASON_NONE;
	/* FSD: critical at once, for a primary and a secondary alike. */
	if (has(m, STATUS_FSD))
		return MONITOR_REASON_FSD;
	if (m->comm == MONITOR_COMM_LOST) {
		/* Not held back for a secondary: with the link down we could not
		 * see the primary's FSD anyway. */
		r = lost_reason(m, now);
		if (r != MONITOR_REASON_NONE)
			return r;
	}
	r = reading_reason(m, now);
	if (r != MONITOR_REASON_NONE && secondary_holds(m, now))
		return MONITOR_REASON_NONE;
	return r;
}

bool monitor_holding(const struct monitor *m, uint64_t now)
{
	return m->heard && !has(m, STATUS_FSD) && reading_reason(m, now) != MONITOR_REASON_NONE &&
	       secondary_holds(m, now);
}

bool monitor_critical(const struct monitor *m, uint64_t now, const char **reason)
{
	enum monitor_reason r = monitor_verdict(m, now);

	if (reason)
		*reason = r == MONITOR_REASON_NONE ? NULL : reason_names[r];
	return r != MONITOR_REASON_NONE;
}

/* --- Feeding polls ------------------------------------------------------ */

static void comm_lost(struct monitor *m, uint64_t now, struct event_out *out)
{
	m->last_fail = now;
	if (m->comm == MONITOR_COMM_LOST)
		return;
	/* COMMBAD on the first failure, also for a UPS never reached since
	 * start; NOCOMM then repeats every nocomm-warn while it lasts. */
	m->comm = MONITOR_COMM_LOST;
	m->nocomm_next = deadline(now, period(m->cfg.nocomm_warn));
	emit(out, MONITOR_EVENT_COMMBAD);
}

static void comm_ok(struct monitor *m, uint64_t now, struct event_out *out)
{
	/* COMMOK only for lost -> ok, not for the first contact. */
	if (m->comm == MONITOR_COMM_LOST)
		emit(out, MONITOR_EVENT_COMMOK);
	m->comm = MONITOR_COMM_OK;
	m->last_ok = now;
}

static void line_apply(struct monitor *m, const struct status_snapshot *s, struct event_out *out)
{
	/* OB wins over a contradictory "OL OB": assume the worse. */
	if (status_has(s, STATUS_OB)) {
		if (m->line != MONITOR_LINE_OB)
			emit(out, MONITOR_EVENT_ONBATT);
		m->line = MONITOR_LINE_OB;
	} else if (status_has(s, STATUS_OL)) {
		/* The first OL after start is not news: ONLINE only after OB. */
		if (m->line == MONITOR_LINE_OB)
			emit(out, MONITOR_EVENT_ONLINE);
		m->line = MONITOR_LINE_OL;
	}
}

static void edges_apply(uint32_t before, uint32_t after, struct event_out *out)
{
	for (size_t i = 0; i < ELEMENTSOF(edges); i++) {
		uint32_t bit = STATUS_FLAG(edges[i].token);

		if ((after & bit) && !(before & bit))
			emit(out, edges[i].on);
		else if (!(after & bit) && (before & bit))
			emit(out, edges[i].off);
	}
}

static bool other_same(const struct status_snapshot *a, const struct status_snapshot *b)
{
	if (a->n_other != b->n_other)
		return false;
	for (size_t i = 0; i < a->n_other; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n_other && !found; j++)
			found = strcmp(a->other[i], b->other[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static void other_apply(const struct status_snapshot *before, const struct status_snapshot *after,
			struct event_out *out)
{
	/* OTHER whenever the set of unknown tokens changes to a non-empty
	 * one (the message carries the new set), NOTOTHER when it empties. */
	if (other_same(before, after))
		return;
	emit(out, after->n_other > 0 ? MONITOR_EVENT_OTHER : MONITOR_EVENT_NOTOTHER);
}

/* Start the clocks of the timed rules on their tokens' rising edges. */
static void since_apply(struct monitor *m, uint32_t before, uint32_t after, uint64_t now)
{
	uint32_t ob = STATUS_FLAG(STATUS_OB), oblb = ob | STATUS_FLAG(STATUS_LB);
	uint32_t off = STATUS_FLAG(STATUS_OFF);

	if ((after & ob) && !(before & ob))
		m->ob_since = now;
	if ((after & oblb) == oblb && (before & oblb) != oblb)
		m->ob_lb_since = now;
	if ((after & off) && !(before & off))
		m->off_since = now;
}

static void data_apply(struct monitor *m, const struct status_snapshot *s, uint64_t now,
		       struct event_out *out)
{
	static const struct status_snapshot none;
	const struct status_snapshot *before = m->heard ? &m->last : &none;

	line_apply(m, s, out);
	edges_apply(before->flags, s->flags, out);
	other_apply(before, s, out);
	since_apply(m, before->flags, s->flags, now);
	m->heard = true;
	m->last = *s;
	/* A first reading that is critical starts the secondary's host-sync
	 * clock then: a primary that has been watching longer gets its chance. */
	if (reading_reason(m, now) == MONITOR_REASON_NONE)
		m->crit_since = MONITOR_NEVER;
	else if (m->crit_since == MONITOR_NEVER)
		m->crit_since = reading_since(m, now);
}

static void repeats_apply(struct monitor *m, uint64_t now, struct event_out *out)
{
	if (m->comm == MONITOR_COMM_LOST && now >= m->nocomm_next) {
		emit(out, MONITOR_EVENT_NOCOMM);
		m->nocomm_next = deadline(now, period(m->cfg.nocomm_warn));
	}
	/* REPLBATT at once when RB shows, then every rb-warn while the server
	 * keeps reporting it; like upsmon, RB flapping does not reset the
	 * period. */
	if (m->comm == MONITOR_COMM_OK && has(m, STATUS_RB) &&
	    (!m->rb_warned || elapsed(m->rb_last, period(m->cfg.rb_warn), now))) {
		emit(out, MONITOR_EVENT_REPLBATT);
		m->rb_last = now;
		m->rb_warned = true;
	}
}

size_t monitor_update(struct monitor *m, const struct status_snapshot *s, uint64_t now,
		      enum monitor_event *ev, size_t max)
{
	struct event_out out = {ev, max, 0};

	if (!s) {
		comm_lost(m, now, &out);
	} else {
		comm_ok(m, now, &out);
		/* WAIT: upsd is up but has no data from its driver yet. Not a
		 * communication loss, and not a reading either: keep the last. */
		if (!status_has(s, STATUS_WAIT))
			data_apply(m, s, now, &out);
	}
	repeats_apply(m, now, &out);
	return out.n;
}

size_t monitor_tick(struct monitor *m, uint64_t now, enum monitor_event *ev, size_t max)
{
	struct event_out out = {ev, max, 0};

	repeats_apply(m, now, &out);
	return out.n;
}

/* --- Deadlines ---------------------------------------------------------- */

/* Keep the earliest candidate strictly after now. */
static void candidate(uint64_t *best, uint64_t t, uint64_t now)
{
	if (t > now && t < *best)
		*best = t;
}

static uint64_t repeat_due(const struct monitor *m)
{
	if (m->comm == MONITOR_COMM_LOST)
		return m->nocomm_next;
	if (m->comm == MONITOR_COMM_OK && has(m, STATUS_RB))
		return m->rb_warned ? deadline(m->rb_last, period(m->cfg.rb_warn)) : 0;
	return MONITOR_NEVER;
}

uint64_t monitor_next_deadline(const struct monitor *m, uint64_t now)
{
	uint64_t best = MONITOR_NEVER, due = repeat_due(m);

	if (due <= now)
		return now;
	candidate(&best, due, now);
	if (m->comm == MONITOR_COMM_LOST && has(m, STATUS_OB))
		candidate(&best, deadline(m->last_ok, m->cfg.dead_time), now);
	if (has(m, STATUS_OFF))
		candidate(&best, deadline(m->off_since, m->cfg.off_duration), now);
	if (has(m, STATUS_OB) && has(m, STATUS_LB))
		candidate(&best, deadline(m->ob_lb_since, m->cfg.ob_lb_duration), now);
	if (has(m, STATUS_OB))
		candidate(&best, deadline(m->ob_since, m->cfg.on_battery_max), now);
	if (m->cfg.secondary && !m->sole_login && reading_reason(m, now) != MONITOR_REASON_NONE)
		candidate(&best, deadline(critical_start(m, now), m->cfg.host_sync), now);
	return best;
}

bool monitor_wants_attempt(const struct monitor *m, uint64_t now)
{
	uint64_t t = dead_deadline(m);

	return m->comm == MONITOR_COMM_LOST && has(m, STATUS_OB) && t != MONITOR_NEVER &&
	       now >= t && m->last_fail < t;
}

void monitor_timers(const struct monitor *m, uint64_t now, uint64_t out[_MONITOR_TIMER_MAX])
{
	bool battery = m->heard && has(m, STATUS_OB);

	for (size_t i = 0; i < _MONITOR_TIMER_MAX; i++)
		out[i] = MONITOR_NEVER;
	if (battery && m->comm == MONITOR_COMM_LOST)
		out[MONITOR_TIMER_DEAD_TIME] = dead_deadline(m);
	if (battery)
		out[MONITOR_TIMER_ON_BATTERY_MAX] = deadline(m->ob_since, m->cfg.on_battery_max);
	if (m->heard && has(m, STATUS_OFF))
		out[MONITOR_TIMER_OFF_DURATION] = deadline(m->off_since, m->cfg.off_duration);
	/* The hold itself, as monitor_holding() sees it, and once it ran out
	 * while the reading stays critical. */
	if (m->heard && !has(m, STATUS_FSD) && m->cfg.secondary && !m->sole_login &&
	    reading_reason(m, now) != MONITOR_REASON_NONE)
		out[MONITOR_TIMER_HOST_SYNC] = deadline(critical_start(m, now), m->cfg.host_sync);
}

const char *monitor_timer_to_string(enum monitor_timer t)
{
	static const char *const names[_MONITOR_TIMER_MAX] = {
	    [MONITOR_TIMER_DEAD_TIME] = "dead-time",
	    [MONITOR_TIMER_ON_BATTERY_MAX] = "on-battery-max",
	    [MONITOR_TIMER_OFF_DURATION] = "off-duration",
	    [MONITOR_TIMER_HOST_SYNC] = "host-sync",
	};

	return (unsigned)t < _MONITOR_TIMER_MAX ? names[t] : NULL;
}

const char *monitor_event_to_string(enum monitor_event e)
{
	if ((unsigned)e >= _MONITOR_EVENT_MAX)
		return NULL;
	return event_names[e];
}

const char *monitor_reason_to_string(enum monitor_reason r)
{
	if ((unsigned)r >= _MONITOR_REASON_MAX)
		return NULL;
	return reason_names[r];
}
