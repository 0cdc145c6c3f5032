/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Part of the agent module (agent.h): how the host and every UPS stand, as
 * the status socket answers "text" and "json". Whatever a peer sent (an
 * error that quotes a server's reply or a USB device's strings) is escaped.
 */
#include <stdio.h>

#include "agent.h"
#include "escape.h"
#include "json.h"
#include "macro.h"

static uint64_t agent_clock(const struct agent *a)
{
	uint64_t now = 0;

	(void)sd_event_now(a->event, CLOCK_MONOTONIC, &now);
	return now;
}

static double age(const struct agent *a, uint64_t t)
{
	return t ? (double)(agent_clock(a) - t) / USEC_PER_SEC : -1;
}

static void render_text(FILE *f, const struct agent *a)
{
	fprintf(f, "host: %s, supply %u of min-supplies %u%s\n",
		host_state_to_string(a->host.state), host_supply(a->host_ups, a->n_watches),
		a->config->min_supplies, a->dry_run ? ", dry run" : "");
	for (size_t i = 0; i < a->n_watches; i++) {
		const struct watch *w = a->watches[i];
		const struct host_ups *h = &a->host_ups[i];

		fprintf(f, "%s (%s): %s, %s, ", w->ups->name, w->upsname,
			w->last_ok ? w->last_status : "no data", watch_state(w));
		if (w->last_poll)
			fprintf(f, "last poll %.1f s ago%s, ", age(a, w->last_poll),
				w->last_ok ? "" : " failed");
		else
			fputs("not polled yet, ", f);
		if (h->critical)
			fprintf(f, "CRITICAL: %s", h->reason ? h->reason : "");
		else
			fputs("not critical", f);
		if (w->last_error[0]) {
			fputs(" (", f);
			escape_print(f, w->last_error); /* may quote a USB device's strings */
			fputc(')', f);
		}
		fputc('\n', f);
	}
}

static void json_pair(FILE *f, const char *key, const char *value, bool comma)
{
	json_print_string(f, key);
	fputc(':', f);
	if (value)
		json_print_string(f, value);
	else
		fputs("null", f);
	if (comma)
		fputc(',', f);
}

static void render_json_ups(FILE *f, const struct agent *a, size_t i)
{
	const struct watch *w = a->watches[i];
	const struct host_ups *h = &a->host_ups[i];

	fputc('{', f);
	json_pair(f, "name", w->ups->name, true);
	json_pair(f, "upsname", w->upsname, true);
	json_pair(f, "session", watch_state(w), true);
	json_pair(f, "status", w->last_ok ? w->last_status : NULL, true);
	fprintf(f, "\"last_poll_ok\":%s,", w->last_ok ? "true" : "false");
	if (w->last_poll)
		fprintf(f, "\"last_poll_age\":%.3f,", age(a, w->last_poll));
	else
		fputs("\"last_poll_age\":null,", f);
	fprintf(f, "\"power_value\":%u,\"critical\":%s,", h->power_value,
		h->critical ? "true" : "false");
	json_pair(f, "reason", h->critical ? h->reason : NULL, true);
	json_pair(f, "error", w->last_error[0] ? w->last_error : NULL, false);
	fputc('}', f);
}

static void render_json(FILE *f, const struct agent *a)
{
	fputs("{\"host\":{", f);
	json_pair(f, "state", host_state_to_string(a->host.state), true);
	fprintf(f, "\"supply\":%u,\"min_supplies\":%u,\"power_short\":%s,\"dry_run\":%s},",
		host_supply(a->host_ups, a->n_watches), a->config->min_supplies,
		host_power_short(&a->host, a->host_ups, a->n_watches) ? "true" : "false",
		a->dry_run ? "true" : "false");
	fputs("\"ups\":[", f);
	for (size_t i = 0; i < a->n_watches; i++) {
		if (i)
			fputc(',', f);
		render_json_ups(f, a, i);
	}
	fputs("]}\n", f);
}

void agent_status_write(const struct agent *a, FILE *f, bool json)
{
	if (json)
		render_json(f, a);
	else
		render_text(f, a);
}
