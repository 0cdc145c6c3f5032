/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The read side of the server protocol: GET and LIST, answered from the
 * variables ops->ups_vars() hands over, in upsd's words and error order; and
 * SET and INSTCMD, which nobody may use here (lib/serveproto.c has the why).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "nutword.h"
#include "serveproto-internal.h"

/* A variable's value: the exact name, else ASCII case aside (upsd's state tree). */
static const char *var_find(const struct varlist *vars, const char *name)
{
	const char *v = varlist_get(vars, name);

	for (size_t k = 0; !v && k < vars->n; k++)
		if (strcasecmp(vars->v[k].name, name) == 0)
			v = vars->v[k].value;
	return v;
}

/* As var_find(), or ERR VAR-NOT-SUPPORTED. */
static const char *var_known(struct serve_ctx *c, const struct varlist *vars, const char *name)
{
	const char *v = var_find(vars, name);

	if (!v)
		serve_reply_err(c, "VAR-NOT-SUPPORTED");
	return v;
}

/* The descriptions of the common variables (NUT's docs/nut-names.txt, shortened). */
static const struct {
	const char *name, *desc;
} var_descs[] = {
    {"battery.charge", "Battery charge (percent of full)"},
    {"battery.charge.low", "Remaining battery level when UPS switches to LB (percent)"},
    {"battery.charge.warning", "Battery level when UPS switches to Warning state (percent)"},
    {"battery.date", "Battery change date"},
    {"battery.mfr.date", "Battery manufacturing date"},
    {"battery.runtime", "Battery runtime (seconds)"},
    {"battery.runtime.low", "Remaining battery runtime when UPS switches to LB (seconds)"},
    {"battery.type", "Battery chemistry"},
    {"battery.voltage", "Battery voltage (V)"},
    {"battery.voltage.nominal", "Nominal battery voltage (V)"},
    {"device.mfr", "Device manufacturer"},
    {"device.model", "Device model"},
    {"device.serial", "Device serial number"},
    {"device.type", "Device type"},
    {"driver.name", "Driver name"},
    {"input.frequency", "Input line frequency (Hz)"},
    {"input.transfer.high", "High voltage transfer point (V)"},
    {"input.transfer.low", "Low voltage transfer point (V)"},
    {"input.voltage", "Input voltage (V)"},
    {"input.voltage.nominal", "Nominal input voltage (V)"},
    {"output.frequency", "Output frequency (Hz)"},
    {"output.voltage", "Output voltage (V)"},
    {"output.voltage.nominal", "Nominal output voltage (V)"},
    {"ups.alarm", "UPS alarms"},
    {"ups.beeper.status", "UPS beeper status"},
    {"ups.firmware", "UPS firmware"},
    {"ups.load", "Load on UPS (percent of full)"},
    {"ups.mfr", "UPS manufacturer"},
    {"ups.model", "UPS model"},
    {"ups.power.nominal", "UPS power rating (VA)"},
    {"ups.realpower.nominal", "UPS real power rating (W)"},
    {"ups.serial", "UPS serial number"},
    {"ups.status", "UPS status"},
    {"ups.test.result", "Results of last self test"},
};

static const char *var_desc(const char *name)
{
	for (size_t k = 0; k < ELEMENTSOF(var_descs); k++)
		if (strcasecmp(var_descs[k].name, name) == 0)
			return var_descs[k].desc;
	return "Description unavailable";
}

/* --- GET, LIST and SET: a subcommand and its argument count -------------- */

struct sub {
	const char *name;
	size_t min, max; /* arguments after the subcommand */
	void (*fn)(struct serve_ctx *c);
};

/* Runs the subcommand in c->arg[0] with c->arg shifted past it. */
static void sub_dispatch(struct serve_ctx *c, const struct sub *subs, size_t nsubs)
{
	if (c->n == 0) {
		serve_reply_err(c, "INVALID-ARGUMENT");
		return;
	}
	for (size_t k = 0; k < nsubs; k++) {
		if (strcasecmp(subs[k].name, c->arg[0]) != 0)
			continue;
		c->cmd = subs[k].name;
		c->arg++;
		c->n--;
		if (c->n < subs[k].min || c->n > subs[k].max)
			serve_reply_err(c, "INVALID-ARGUMENT");
		else
			subs[k].fn(c);
		return;
	}
	serve_reply_err(c, "INVALID-ARGUMENT");
}

/* GET VAR <ups> server.*: upsd answers these whatever the UPS. */
static bool get_var_server(struct serve_ctx *c)
{
	const char *ups = c->arg[0], *var = c->arg[1];

	if (strncasecmp(var, "server.", 7) != 0)
		return false;
	if (!nut_word_ok(ups))
		serve_reply_err(c, "UNKNOWN-UPS"); /* never echoed: it could be anything */
	else if (strcasecmp(var, "server.info") == 0)
		serve_reply(c, "VAR %w server.info %v", ups, "upsagent");
	else if (strcasecmp(var, "server.version") == 0)
		serve_reply(c, "VAR %w server.version %v", ups, SERVE_PROTOCOL_VERSION);
	else
		serve_reply_err(c, "VAR-NOT-SUPPORTED");
	return true;
}

static void get_var(struct serve_ctx *c)
{
	const struct varlist *vars;
	const char *v;
	size_t i;

	if (get_var_server(c) || !serve_ups_fresh(c, c->arg[0], &i, &vars))
		return;
	v = var_known(c, vars, c->arg[1]);
	if (v)
		serve_reply(c, "VAR %w %w %v", c->arg[0], c->arg[1], v);
}

/* Nothing here is writable, so never RW, ENUM or RANGE; and, as upsd 2.8
 * answers for every variable a driver did not flag STRING (only writable
 * ones are), NUMBER. */
static void get_type(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (serve_ups_fresh(c, c->arg[0], &i, &vars) && var_known(c, vars, c->arg[1]))
		serve_reply(c, "TYPE %w %w NUMBER", c->arg[0], c->arg[1]);
}

/* As upsd: a description whether or not the UPS has the variable. */
static void get_desc(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (!serve_ups_fresh(c, c->arg[0], &i, &vars))
		return;
	if (!nut_word_ok(c->arg[1]))
		serve_reply_err(c,
				"VAR-NOT-SUPPORTED"); /* no variable has such a name; not echoed */
	else
		serve_reply(c, "DESC %w %w %v", c->arg[0], c->arg[1], var_desc(c->arg[1]));
}

/* No UPS here has instant commands. */
static void get_cmddesc(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (serve_ups_fresh(c, c->arg[0], &i, &vars))
		serve_reply_err(c, "CMD-NOT-SUPPORTED");
}

static void get_numlogins(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (!serve_ups_fresh(c, c->arg[0], &i, &vars))
		return;
	serve_reply(c, "NUMLOGINS %w %u", c->arg[0], c->ops->ups_numlogins(c->ud, i));
}

static void get_upsdesc(struct serve_ctx *c)
{
	const char *desc;
	size_t i;

	if (!serve_ups_known(c, c->arg[0], &i))
		return;
	desc = c->ops->ups_desc(c->ud, i);
	serve_reply(c, "UPSDESC %w %v", c->arg[0], desc ? desc : "Unavailable");
}

/* Tracking is never on here, so upsd's answer for a session without it. */
static void get_tracking(struct serve_ctx *c)
{
	if (c->n == 0)
		serve_reply(c, "OFF");
	else
		serve_reply_err(c, "FEATURE-NOT-CONFIGURED");
}

void serve_cmd_get(struct serve_ctx *c)
{
	static const struct sub subs[] = {
	    {"VAR", 2, 2, get_var},
	    {"TYPE", 2, 2, get_type},
	    {"DESC", 2, 2, get_desc},
	    {"CMDDESC", 2, 2, get_cmddesc},
	    {"NUMLOGINS", 1, 1, get_numlogins},
	    {"UPSDESC", 1, 1, get_upsdesc},
	    {"TRACKING", 0, 1, get_tracking},
	};

	sub_dispatch(c, subs, ELEMENTSOF(subs));
}

static void list_ups(struct serve_ctx *c)
{
	size_t n = c->ops->ups_count(c->ud);

	serve_reply(c, "BEGIN LIST UPS");
	for (size_t i = 0; i < n; i++) {
		const char *name = c->ops->ups_name(c->ud, i), *desc = c->ops->ups_desc(c->ud, i);

		/* upsd's LIST UPS says it this way, its GET UPSDESC "Unavailable" */
		if (name)
			serve_reply(c, "UPS %w %v", name, desc ? desc : "Description unavailable");
	}
	serve_reply(c, "END LIST UPS");
}

static void list_var(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (!serve_ups_fresh(c, c->arg[0], &i, &vars))
		return;
	serve_reply(c, "BEGIN LIST VAR %w", c->arg[0]);
	for (size_t k = 0; k < vars->n; k++)
		serve_reply(c, "VAR %w %w %v", c->arg[0], vars->v[k].name, vars->v[k].value);
	serve_reply(c, "END LIST VAR %w", c->arg[0]);
}

/* LIST RW and LIST CMD: nothing writable, no commands; an empty list. */
static void list_empty(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (!serve_ups_fresh(c, c->arg[0], &i, &vars))
		return;
	serve_reply(c, "BEGIN LIST %s %w", c->cmd, c->arg[0]);
	serve_reply(c, "END LIST %s %w", c->cmd, c->arg[0]);
}

/* LIST ENUM and LIST RANGE: the variable must exist; it has neither. */
static void list_var_empty(struct serve_ctx *c)
{
	const struct varlist *vars;
	size_t i;

	if (!serve_ups_fresh(c, c->arg[0], &i, &vars) || !var_known(c, vars, c->arg[1]))
		return;
	serve_reply(c, "BEGIN LIST %s %w %w", c->cmd, c->arg[0], c->arg[1]);
	serve_reply(c, "END LIST %s %w %w", c->cmd, c->arg[0], c->arg[1]);
}

struct client_walk {
	struct serve_ctx *c;
	const char *ups;
};

static void list_client_one(const char *addr, void *ctx)
{
	struct client_walk *w = ctx;

	if (addr)
		serve_reply(w->c, "CLIENT %w %w", w->ups, addr);
}

/* As upsd: no freshness check, the logins are the server's own. */
static void list_client(struct serve_ctx *c)
{
	struct client_walk w = {.c = c, .ups = c->arg[0]};
	size_t i;

	if (!serve_ups_known(c, c->arg[0], &i))
		return;
	serve_reply(c, "BEGIN LIST CLIENT %w", c->arg[0]);
	c->ops->ups_clients(c->ud, i, list_client_one, &w);
	serve_reply(c, "END LIST CLIENT %w", c->arg[0]);
}

void serve_cmd_list(struct serve_ctx *c)
{
	static const struct sub subs[] = {
	    {"UPS", 0, 0, list_ups},	     {"VAR", 1, 1, list_var},
	    {"RW", 1, 1, list_empty},	     {"CMD", 1, 1, list_empty},
	    {"CLIENT", 1, 1, list_client},   {"ENUM", 2, 2, list_var_empty},
	    {"RANGE", 2, 2, list_var_empty},
	};

	sub_dispatch(c, subs, ELEMENTSOF(subs));
}

/* SET VAR <ups> <var> <value>: the UPS must exist; then nobody may. */
static void set_var(struct serve_ctx *c)
{
	size_t i;

	if (serve_ups_known(c, c->arg[0], &i))
		serve_reply_err(c, "ACCESS-DENIED");
}

static void set_tracking(struct serve_ctx *c)
{
	if (strcasecmp(c->arg[0], "ON") != 0 && strcasecmp(c->arg[0], "OFF") != 0)
		serve_reply_err(c, "INVALID-ARGUMENT");
	else
		serve_reply_err(c, "FEATURE-NOT-CONFIGURED");
}

void serve_cmd_set(struct serve_ctx *c)
{
	static const struct sub subs[] = {
	    {"VAR", 3, 3, set_var},
	    {"TRACKING", 1, 1, set_tracking},
	};

	sub_dispatch(c, subs, ELEMENTSOF(subs));
}

/* INSTCMD <ups> <cmd> [<param>]: the UPS must exist; it has no commands. */
void serve_cmd_instcmd(struct serve_ctx *c)
{
	size_t i;

	if (c->n < 2 || c->n > 3) {
		serve_reply_err(c, "INVALID-ARGUMENT");
		return;
	}
	if (serve_ups_known(c, c->arg[0], &i))
		serve_reply_err(c, "CMD-NOT-SUPPORTED");
}
