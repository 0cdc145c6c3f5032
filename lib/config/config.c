/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The values: each option converted and checked, then the checks across
 * options, each problem reported once with the line it comes from. A value
 * that fails keeps its default, so that one mistake does not cascade into
 * more messages. config-schema.c has the file and libconfuse.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config-internal.h"
#include "nutword.h"
#include "log.h"
#include "target.h"

#define POLL_INTERVAL_LIMIT    (60 * USEC_PER_SEC)
#define POLL_TIMEOUT_DEFAULT   (5 * USEC_PER_SEC)
#define HOOK_TIMEOUT_DEFAULT   (30 * USEC_PER_SEC)
#define POWER_VALUE_MAX	       1000
#define CONFIG_UPS_MAX	       1024 /* one agent watching a thousand sessions: bench/scale */
#define CONFIG_HOOKS_MAX       64
#define POWERDOWN_FLAG_DEFAULT "/run/upsagent/killpower"
#define SUN_PATH_MAX	       sizeof(((struct sockaddr_un *)0)->sun_path)

_Static_assert(_CONFIG_EVENT_MAX <= 63, "config_hook.events has room for every event");

static double seconds(uint64_t usec)
{
	return (double)usec / USEC_PER_SEC;
}

/* ---- global options ---------------------------------------------------- */

static const struct duration_opt {
	const char *name;
	size_t offset; /* of the uint64_t in struct config */
	uint64_t def;
	bool zero_ok, never_ok;
} durations[] = {
    {"poll-interval", offsetof(struct config, poll_interval), 5 * USEC_PER_SEC, false, false},
    {"poll-timeout", offsetof(struct config, poll_timeout), POLL_TIMEOUT_DEFAULT, false, false},
    {"connect-timeout", offsetof(struct config, connect_timeout), 10 * USEC_PER_SEC, false, false},
    {"dead-time", offsetof(struct config, dead_time), 15 * USEC_PER_SEC, false, false},
    {"host-sync", offsetof(struct config, host_sync), 15 * USEC_PER_SEC, true, false},
    {"final-delay", offsetof(struct config, final_delay), 5 * USEC_PER_SEC, true, false},
    {"nocomm-warn-time", offsetof(struct config, nocomm_warn), 300 * USEC_PER_SEC, true, false},
    {"rb-warn-time", offsetof(struct config, rb_warn), 43200 * USEC_PER_SEC, true, false},
    {"off-duration", offsetof(struct config, off_duration), 30 * USEC_PER_SEC, true, true},
    {"ob-lb-duration", offsetof(struct config, ob_lb_duration), 0, true, false},
};

enum { DURATION_POLL_INTERVAL, DURATION_POLL_TIMEOUT, DURATION_DEAD_TIME = 3 };

/* Returns a bit per duration that is set but bad, which the checks across
 * options then leave alone: one mistake, one message. */
static unsigned globals_durations(const struct scope *s, struct config *c)
{
	unsigned bad = 0;

	for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
		const struct duration_opt *d = &durations[i];
		uint64_t *slot = (uint64_t *)((char *)c + d->offset), v;
		int r;

		*slot = d->def;
		r = config_get_seconds(s, d->name, d->never_ok, &v);
		if (r > 0 && v == 0 && !d->zero_ok)
			r = config_scope_error(s, d->name, "must be more than 0 seconds");
		if (r > 0)
			*slot = v;
		else if (r < 0)
			bad |= 1u << i;
	}
	return bad;
}

/* The poll timing: what upsd tolerates and what one lost poll may cost. */
static void globals_timing(const struct scope *s, struct config *c, unsigned bad)
{
	bool dead_set = config_value(s, "dead-time");

	if (c->poll_interval >= POLL_INTERVAL_LIMIT) {
		config_scope_error(
		    s, "poll-interval",
		    "must be less than 60 seconds: upsd drops a client that sends "
		    "nothing for 60 s, and the polls are what keep the session alive");
		c->poll_interval = durations[DURATION_POLL_INTERVAL].def;
		bad |= 1u << DURATION_POLL_INTERVAL;
	}
	if (!config_value(s, "poll-timeout"))
		c->poll_timeout = c->poll_interval < POLL_TIMEOUT_DEFAULT ? c->poll_interval
									  : POLL_TIMEOUT_DEFAULT;
	else if (c->poll_timeout > c->poll_interval &&
		 !(bad & (1u << DURATION_POLL_INTERVAL | 1u << DURATION_POLL_TIMEOUT)))
		config_scope_error(s, "poll-timeout",
				   "%g s is longer than poll-interval (%g s): polls "
				   "would pile up behind a slow server",
				   seconds(c->poll_timeout), seconds(c->poll_interval));
	if (c->dead_time < 2 * c->poll_interval &&
	    !(bad & (1u << DURATION_POLL_INTERVAL | 1u << DURATION_DEAD_TIME)))
		config_scope_error_at(
		    s, dead_set ? "dead-time" : "poll-interval",
		    "dead-time (%g s%s) must be at least twice poll-interval (%g s): "
		    "otherwise a single lost poll while on battery shuts the host down",
		    seconds(c->dead_time), dead_set ? "" : ", the default",
		    seconds(c->poll_interval));
}

static int globals_shutdown(const struct scope *s, struct config *c)
{
	char err[512];
	int r = config_get_argv(s, "shutdown-command", &c->shutdown_argv);

	if (r <= 0)
		return r == -ENOMEM ? r : 0;
	c->shutdown = CONFIG_SHUTDOWN_COMMAND;
	/* Refused, not warned about: this command is the one that must work. */
	if (config_check_program(c->shutdown_argv[0], err, sizeof(err)) < 0)
		config_scope_error(s, "shutdown-command", "%s", err);
	return 0;
}

static int globals_load(const struct scope *s, struct config *c)
{
	int r;

	globals_timing(s, c, globals_durations(s, c));
	c->min_supplies = 1;
	(void)config_get_unsigned(s, "min-supplies", POWER_VALUE_MAX, &c->min_supplies);
	if (config_get_path(s, "powerdown-flag", true, &c->powerdown_flag) == -ENOMEM)
		return -ENOMEM;
	r = config_get_path(s, "status-socket", false, &c->status_socket);
	if (r == -ENOMEM)
		return r;
	if (r > 0 && strlen(c->status_socket) >= SUN_PATH_MAX)
		config_scope_error(s, "status-socket",
				   "longer than %zu bytes, the limit of a socket name",
				   SUN_PATH_MAX - 1);
	if (!c->powerdown_flag && !(c->powerdown_flag = strdup(POWERDOWN_FLAG_DEFAULT)))
		return -ENOMEM;
	if (!c->status_socket && !(c->status_socket = strdup(CONFIG_STATUS_SOCKET_DEFAULT)))
		return -ENOMEM;
	/* killpower trusts the flag, status trusts the socket: nobody else
	 * may put either there. */
	if (c->powerdown_flag[0] &&
	    config_check_private_path(s, "powerdown-flag", c->powerdown_flag) == -ENOMEM)
		return -ENOMEM;
	if (config_check_private_path(s, "status-socket", c->status_socket) == -ENOMEM)
		return -ENOMEM;
	return globals_shutdown(s, c);
}

/* ---- events and notify sections --------------------------------------- */

int config_event_from_string(const char *v)
{
	for (unsigned e = 0; e < _CONFIG_EVENT_MAX; e++)
		if (strcmp(v, config_event_to_string(e)) == 0)
			return (int)e;
	return -EINVAL;
}

const char *config_event_to_string(unsigned e)
{
	if (e < _MONITOR_EVENT_MAX)
		return monitor_event_to_string((enum monitor_event)e);
	if (e == CONFIG_EVENT_SHUTDOWN)
		return "SHUTDOWN";
	if (e == CONFIG_EVENT_SHUTDOWN_HOSTSYNC)
		return "SHUTDOWN_HOSTSYNC";
	return NULL;
}

bool config_hook_wants(const struct config_hook *h, unsigned e)
{
	return e < _CONFIG_EVENT_MAX && (h->events & CONFIG_EVENT_BIT(e));
}

const char *config_hook_message(const struct config_hook *h, unsigned e)
{
	return e < _CONFIG_EVENT_MAX ? h->messages[e] : NULL;
}

/* A text for an event the section does not run for is a slip worth a word. */
static int hook_messages(const struct scope *s, struct config_hook *h)
{
	int r = config_get_messages(s, "messages", h->messages);

	for (unsigned e = 0; r > 0 && e < _CONFIG_EVENT_MAX; e++)
		if (h->messages[e] && !config_hook_wants(h, e))
			config_scope_warning(s, "messages",
					     "the text for %s is never used: events leaves %s out",
					     config_event_to_string(e), config_event_to_string(e));
	return r == -ENOMEM ? r : 0;
}

static void event_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned e = 0; e < _CONFIG_EVENT_MAX && used < len; e++)
		used += (size_t)snprintf(buf + used, len - used, "%s ", config_event_to_string(e));
}

static void hook_events(const struct scope *s, struct config_hook *h)
{
	unsigned n = cfg_size(s->sec, "events");

	h->events = n > 0 ? 0 : CONFIG_EVENTS_ALL;
	if (config_list_empty(s, "events"))
		config_scope_error(s, "events", "the list is empty (leave events out for all)");
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, "events", i);
		int e = config_event_from_string(v);
		char names[512];

		if (strcmp(v, "ALL") == 0) {
			h->events = CONFIG_EVENTS_ALL;
			continue;
		}
		if (e >= 0) {
			h->events |= CONFIG_EVENT_BIT(e);
			continue;
		}
		event_names(names, sizeof(names));
		config_error(s->p, config_line(s->p, s->sec, "events", i),
			     "%sevents: unknown event '%.64s'; the events are: %sand ALL", s->what,
			     v, names);
	}
}

static int hook_load(const struct scope *s, struct config_hook *h)
{
	static const char *const wall_names[] = {"false", "true"};
	unsigned wall = 0;
	char err[512];
	int r;

	h->line = config_line(s->p, s->sec, NULL, 0);
	h->timeout = HOOK_TIMEOUT_DEFAULT;
	(void)config_get_choice(s, "wall", wall_names, ELEMENTSOF(wall_names), &wall);
	h->wall = wall;
	r = config_get_argv(s, "command", &h->argv);
	if (r == 0 && !config_value(s, "wall"))
		config_scope_error(s, NULL,
				   "command is missing: the program to run, as in "
				   "command = {\"/usr/local/bin/ups-notify\"}, or wall = true");
	else if (r > 0 && config_check_program(h->argv[0], err, sizeof(err)) < 0)
		/* Only a warning: a missing notify script must not keep the host
		 * from being protected (at start) or a fix from loading (on reload). */
		config_scope_warning(s, "command",
				     "%s; this notify command will fail until it exists", err);
	if (r == -ENOMEM)
		return r;
	hook_events(s, h);
	if (hook_messages(s, h) < 0)
		return -ENOMEM;
	if (config_get_seconds(s, "timeout", false, &h->timeout) > 0 && h->timeout == 0) {
		config_scope_error(s, "timeout", "must be more than 0 seconds");
		h->timeout = HOOK_TIMEOUT_DEFAULT;
	}
	return 0;
}

static int hooks_load(struct config_parse *p, cfg_t *cfg, struct config *c)
{
	unsigned n = cfg_size(cfg, "notify"), wall_set = 0;

	if (n > CONFIG_HOOKS_MAX) {
		config_error(p,
			     config_line(p, cfg_getnsec(cfg, "notify", CONFIG_HOOKS_MAX), NULL, 0),
			     "more than %d notify sections", CONFIG_HOOKS_MAX);
		return 0;
	}
	c->hooks = calloc(n, sizeof(*c->hooks));
	if (n > 0 && !c->hooks)
		return -ENOMEM;
	c->wall_events = CONFIG_WALL_DEFAULT;
	for (unsigned i = 0; i < n; i++) {
		struct scope s = {p, cfg_getnsec(cfg, "notify", i), "notify: "};
		struct config_hook *h = &c->hooks[c->n_hooks++];
		int r = hook_load(&s, h);

		if (r == -ENOMEM)
			return r;
		/* Any wall option replaces the default with what the sections say. */
		if (config_value(&s, "wall") && !wall_set++)
			c->wall_events = 0;
		if (h->wall)
			c->wall_events |= h->events;
	}
	return 0;
}

/* ---- ups sections ------------------------------------------------------ */

static const char *const driver_names[] = {"net", "sim", "usb"};
static const char *const role_names[] = {"secondary", "primary"};
static const char *const tls_names[] = {"starttls", "direct", "off"};
static const char *const tls_version_names[] = {"1.2", "1.3"};
static const char *const net_only[] = {
    "server",	   "port",	"ups",	    "tls",  "tls-min-version", "ca-file",
    "server-name", "cert-file", "key-file", "user", "password-file",   "pin-sha256",
};
static const char *const usb_only[] = {"vendor-id", "product-id", "serial"};

static void refuse(const struct scope *s, const char *const *names, size_t n, const char *driver)
{
	for (size_t i = 0; i < n; i++)
		if (config_value(s, names[i]))
			config_scope_error(s, names[i], "only for driver = \"%s\"", driver);
}

static int ups_server(const struct scope *s, struct config_ups *u)
{
	int r = config_get_string(s, "server", &u->server);

	if (r == 0)
		return config_scope_error(s, NULL,
					  "server is missing: the name or address of the "
					  "UPS server (or driver = \"sim\")");
	if (r < 0)
		return r;
	if (!*u->server || strlen(u->server) > 253 || strpbrk(u->server, " \t\"'\\#@/"))
		return config_scope_error(s, "server", "'%.64s' is not a host name or address",
					  u->server);
	if (strpbrk(u->server, "[]"))
		return config_scope_error(s, "server", "write an IPv6 address without brackets");
	if (strchr(u->server, ':') == strrchr(u->server, ':') && strchr(u->server, ':'))
		return config_scope_error(s, "server", "'%.64s': the port goes in port = ...",
					  u->server);
	return 0;
}

static int ups_target(const struct scope *s, struct config_ups *u)
{
	const char *port = config_value(s, "port");
	int r;

	if (port && port_parse(port, &u->port) < 0)
		config_scope_error(s, "port", "'%.64s' is not a port number (1 to 65535)", port);
	r = config_get_string(s, "ups", &u->ups);
	if (r == 0)
		u->ups = strdup(u->name);
	if (r >= 0 && !u->ups)
		return -ENOMEM;
	if (r > 0 && !nut_word_ok(u->ups))
		config_scope_error(s, "ups",
				   "'%.64s' is not a UPS name (one word, without "
				   "quotes, '#' or '@')",
				   u->ups);
	return r < 0 && r != -EINVAL ? r : 0;
}

static int ups_tls_files(const struct scope *s, struct config_ups *u)
{
	static const char *const names[] = {"ca-file", "cert-file", "key-file"};
	char **slots[] = {&u->ca_file, &u->cert_file, &u->key_file};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		int r = config_get_path(s, names[i], false, slots[i]);

		if (r == -ENOMEM)
			return r;
		if (r > 0)
			(void)config_check_readable(s, names[i], *slots[i]);
	}
	if (!u->cert_file != !u->key_file)
		config_scope_error(s, u->cert_file ? "cert-file" : "key-file",
				   "cert-file and key-file go together (the client certificate "
				   "and its key)");
	return 0;
}

/* The floor: 1.3 on direct TLS (port 401 is TLS 1.3 by design), 1.2 on
 * STARTTLS; raising it is always fine, lowering direct to 1.2 (an old TLS
 * front end) only when written, and then warned about at every start. */
static void ups_tls_version(const struct scope *s, struct config_ups *u)
{
	unsigned v = tls_mode_min_version(u->tls);

	(void)config_get_choice(s, "tls-min-version", tls_version_names,
				ELEMENTSOF(tls_version_names), &v);
	u->tls_min = (enum tls_version)v;
	u->tls_min_lowered = u->tls == TLS_MODE_DIRECT && u->tls_min < TLS_VERSION_1_3;
	if (u->tls_min_lowered)
		config_scope_warning(s, "tls-min-version",
				     "TLS 1.2 on direct TLS: port 401 is meant for TLS 1.3 "
				     "(upgrade the TLS front end)");
	/* Port 401 carries the protocol over TLS 1.3 from the first byte. */
	if (u->tls == TLS_MODE_DIRECT && !config_value(s, "port"))
		u->port = TLS_DIRECT_PORT;
}

static int ups_tls(const struct scope *s, struct config_ups *u)
{
	static const char *const off_ignores[] = {"ca-file",  "server-name", "cert-file",
						  "key-file", "pin-sha256",  "tls-min-version"};
	const char *pin = config_value(s, "pin-sha256");
	unsigned mode = TLS_MODE_STARTTLS;
	int r;

	(void)config_get_choice(s, "tls", tls_names, ELEMENTSOF(tls_names), &mode);
	u->tls = (enum tls_mode)mode;
	ups_tls_version(s, u);
	if (pin && tls_pin_parse(pin, u->pin) < 0)
		config_scope_error(s, "pin-sha256",
				   "'%.64s' is not a SHA-256 pin (44 base64 "
				   "characters ending in '=', optionally after "
				   "\"sha256//\")",
				   pin);
	r = config_get_string(s, "server-name", &u->server_name);
	if (r == -ENOMEM)
		return r;
	r = ups_tls_files(s, u);
	if (r < 0 || u->tls != TLS_MODE_OFF)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(off_ignores); i++)
		if (config_value(s, off_ignores[i]))
			config_scope_warning(s, off_ignores[i], "ignored with tls = \"off\"");
	return 0;
}

static int ups_login(const struct scope *s, struct config_ups *u)
{
	int r;

	r = config_get_string(s, "user", &u->user);
	if (r >= 0)
		r = config_get_path(s, "password-file", false, &u->password_file);
	if (r == -ENOMEM)
		return r;
	if (u->user && !config_value(s, "password-file"))
		return config_scope_error(s, "user", "a user needs a password-file");
	if (!config_value(s, "user") && u->password_file)
		return config_scope_error(s, "password-file", "a password-file needs a user");
	if (u->user && !nut_word_ok(u->user))
		config_scope_error(s, "user", "'%.64s' is not a user name (one word)", u->user);
	if (u->password_file)
		(void)config_check_secret(s, "password-file", u->password_file, "password file");
	if (u->role == CONFIG_ROLE_PRIMARY && !config_value(s, "user"))
		config_scope_error(s, "role",
				   "a primary needs a user and password-file: upsd "
				   "lets only a logged-in primary set FSD");
	return 0;
}

static int ups_net(const struct scope *s, struct config_ups *u)
{
	int r;

	if (config_value(s, "script"))
		config_scope_error(s, "script", "only for driver = \"sim\"");
	refuse(s, usb_only, ELEMENTSOF(usb_only), "usb");
	r = ups_server(s, u);
	if (r >= 0 || r == -EINVAL)
		r = ups_target(s, u);
	if (r >= 0)
		r = ups_tls(s, u);
	if (r >= 0)
		r = ups_login(s, u);
	return r == -ENOMEM ? r : 0;
}

static int ups_sim(const struct scope *s, struct config_ups *u)
{
	unsigned n = cfg_size(s->sec, "script");
	char **lines = NULL, err[512];
	size_t at = 0;
	int r;

	refuse(s, net_only, ELEMENTSOF(net_only), "net");
	refuse(s, usb_only, ELEMENTSOF(usb_only), "usb");
	if (config_list_empty(s, "script"))
		return config_scope_error(s, "script",
					  "the list is empty (leave script out for "
					  "the built-in demo)");
	if (n == 0) {
		const char *const *demo = sim_default_script(&at);

		/* sim_parse() only reads the lines. */
		return sim_parse((char *const *)demo, at, &u->sim, &u->n_sim, err, sizeof(err));
	}
	lines = calloc(n, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		lines[i] = cfg_getnstr(s->sec, "script", i);
	r = sim_parse(lines, n, &u->sim, &at, err, sizeof(err));
	free(lines);
	if (r == -EINVAL)
		config_error(s->p, config_line(s->p, s->sec, "script", at < n ? (unsigned)at : 0),
			     "%sscript: %s", s->what, err);
	else if (r >= 0)
		u->n_sim = at;
	return r == -ENOMEM ? r : 0;
}

/* "051d" as lsusb prints it; "0x051d" too. */
static int usb_id(const struct scope *s, const char *name, int32_t *ret)
{
	const char *v = config_value(s, name), *p;
	size_t n;

	if (!v)
		return 0;
	p = strncasecmp(v, "0x", 2) == 0 ? v + 2 : v;
	n = strspn(p, "0123456789abcdefABCDEF");
	if (n == 0 || n > 4 || p[n])
		return config_scope_error(s, name,
					  "'%.64s' is not a USB ID (4 hex digits, as lsusb "
					  "shows them: \"051d\")",
					  v);
	*ret = (int32_t)strtol(p, NULL, 16);
	return 1;
}

/* A UPS on this host's USB port: which one, when there are several. */
static int ups_usb(const struct scope *s, struct config_ups *u)
{
	int r;

	refuse(s, net_only, ELEMENTSOF(net_only), "net");
	if (config_value(s, "script"))
		config_scope_error(s, "script", "only for driver = \"sim\"");
	/* No server, so no primary: this host is the only one watching. */
	if (config_value(s, "role"))
		config_scope_error(s, "role", "only for driver = \"net\"");
	(void)usb_id(s, "vendor-id", &u->vendor_id);
	(void)usb_id(s, "product-id", &u->product_id);
	r = config_get_string(s, "serial", &u->serial);
	if (r > 0 && !u->serial[0])
		config_scope_error(s, "serial",
				   "the serial number is empty (leave serial out for any)");
	return r == -ENOMEM ? r : 0;
}

static void ups_thresholds(const struct scope *s, struct config_ups *u)
{
	uint64_t runtime;

	u->charge_low = -1;
	u->runtime_low = -1;
	(void)config_get_percent(s, "battery-charge-low", &u->charge_low);
	if (config_get_seconds(s, "runtime-low", false, &runtime) > 0)
		u->runtime_low = (double)runtime / USEC_PER_SEC;
	(void)config_get_seconds(s, "on-battery-max", false, &u->on_battery_max);
}

static int ups_load(const struct scope *s, struct config_ups *u)
{
	unsigned driver = CONFIG_DRIVER_NET, role = CONFIG_ROLE_SECONDARY;
	int r;

	if (config_get_title(s, "a UPS name", &u->line, &u->name) < 0)
		return -ENOMEM;
	r = config_get_choice(s, "driver", driver_names, ELEMENTSOF(driver_names), &driver);
	(void)config_get_choice(s, "role", role_names, ELEMENTSOF(role_names), &role);
	u->driver = (enum config_driver)driver;
	u->role = (enum config_role)role;
	u->port = TARGET_DEFAULT_PORT;
	u->vendor_id = u->product_id = -1;
	u->power_value = 1;
	(void)config_get_unsigned(s, "power-value", POWER_VALUE_MAX, &u->power_value);
	if (config_get_upsname(s, "upsname", &u->upsname) == -ENOMEM)
		return -ENOMEM;
	ups_thresholds(s, u);
	/* With the driver unknown, what the other options mean is unknown too. */
	if (r < 0)
		return 0;
	if (u->driver == CONFIG_DRIVER_USB)
		return ups_usb(s, u);
	return u->driver == CONFIG_DRIVER_SIM ? ups_sim(s, u) : ups_net(s, u);
}

/* Two sections for one UPS would count its power twice. */
static void ups_check_twins(struct config_parse *p, const struct config *c)
{
	for (size_t i = 0; i < c->n_ups; i++)
		for (size_t j = 0; j < i; j++) {
			const struct config_ups *a = &c->ups[j], *b = &c->ups[i];

			if (b->driver != CONFIG_DRIVER_NET || a->driver != CONFIG_DRIVER_NET ||
			    !a->server || !b->server || !a->ups || !b->ups ||
			    strcasecmp(a->server, b->server) != 0 || a->port != b->port ||
			    strcmp(a->ups, b->ups) != 0)
				continue;
			config_error(p, b->line,
				     "ups %s: the same UPS as ups %s (line %u), %s@%s:%u; its "
				     "power would count twice",
				     b->name, a->name, a->line, b->ups, b->server, b->port);
			break;
		}
}

static bool usb_same(const struct config_ups *a, const struct config_ups *b)
{
	return a->driver == CONFIG_DRIVER_USB && b->driver == CONFIG_DRIVER_USB &&
	       a->vendor_id == b->vendor_id && a->product_id == b->product_id &&
	       (a->serial && b->serial ? strcasecmp(a->serial, b->serial) == 0
				       : a->serial == b->serial);
}

/* Two usb sections that select the same devices would count one UPS twice. */
static void ups_check_usb_twins(struct config_parse *p, const struct config *c)
{
	for (size_t i = 0; i < c->n_ups; i++)
		for (size_t j = 0; j < i; j++) {
			if (!usb_same(&c->ups[j], &c->ups[i]))
				continue;
			config_error(p, c->ups[i].line,
				     "ups %s: selects the same USB devices as ups %s (line %u); "
				     "tell them apart with vendor-id, product-id or serial",
				     c->ups[i].name, c->ups[j].name, c->ups[j].line);
			break;
		}
}

static int ups_load_all(struct config_parse *p, cfg_t *cfg, struct config *c)
{
	unsigned n = cfg_size(cfg, "ups");

	if (n == 0) {
		config_error(p, 0, "no ups section: there is nothing to watch");
		return 0;
	}
	if (n > CONFIG_UPS_MAX) {
		config_error(p, config_line(p, cfg_getnsec(cfg, "ups", CONFIG_UPS_MAX), NULL, 0),
			     "more than %d ups sections", CONFIG_UPS_MAX);
		return 0;
	}
	c->ups = calloc(n, sizeof(*c->ups));
	if (!c->ups)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct scope s = {p, cfg_getnsec(cfg, "ups", i), ""};
		int r;

		snprintf(s.what, sizeof(s.what), "ups %.64s: ", cfg_title(s.sec));
		r = ups_load(&s, &c->ups[c->n_ups++]);
		if (r == -ENOMEM)
			return r;
	}
	ups_check_twins(p, c);
	ups_check_usb_twins(p, c);
	return 0;
}

/* ---- the whole --------------------------------------------------------- */

static void check_supplies(const struct scope *s, const struct config *c)
{
	unsigned sum = 0;

	if (c->n_ups == 0)
		return;
	for (size_t i = 0; i < c->n_ups; i++)
		sum += c->ups[i].power_value;
	if (c->min_supplies > sum)
		config_scope_error_at(
		    s, config_value(s, "min-supplies") ? "min-supplies" : NULL,
		    "min-supplies (%u) is more than the power-value of all ups "
		    "sections together (%u): the host would shut down at once (set "
		    "min-supplies = 0 to watch without ever shutting down)",
		    c->min_supplies, sum);
}

static int config_fill(struct config_parse *p, cfg_t *cfg, struct config *c)
{
	struct scope s = {p, cfg, ""};
	int r;

	c->path = strdup(p->path);
	if (!c->path)
		return -ENOMEM;
	/* Bad values are reported and loading goes on; only -ENOMEM stops it. */
	r = globals_load(&s, c);
	if (r >= 0)
		r = hooks_load(p, cfg, c);
	if (r >= 0)
		r = ups_load_all(p, cfg, c);
	if (r >= 0)
		check_supplies(&s, c);
	if (r >= 0)
		r = config_serve_load(p, cfg, c);
	if (r >= 0)
		r = config_metrics_load(p, cfg, c);
	return r;
}

static void config_freep(struct config **c)
{
	config_free(*c);
}

int config_load(const char *path, struct config **ret)
{
	return config_load_secrets(path, CONFIG_SECRETS_READ, ret);
}

int config_load_secrets(const char *path, enum config_secrets secrets, struct config **ret)
{
	struct config_parse p = {.path = path, .secrets = secrets};
	_cleanup_(config_freep) struct config *c = NULL;
	cfg_t *cfg = NULL;
	int r;

	r = config_parse_file(&p, &cfg);
	if (r >= 0) {
		c = calloc(1, sizeof(*c));
		r = c ? config_fill(&p, cfg, c) : -ENOMEM;
		cfg_free(cfg);
	}
	config_parse_done(&p);
	if (r == -ENOMEM)
		log_error("%s: out of memory", path);
	if (r < 0)
		return r;
	if (p.n_errors > 0)
		return -EINVAL;
	*ret = TAKE_PTR(c);
	return 0;
}

static void ups_done(struct config_ups *u)
{
	free(u->name);
	free(u->server);
	free(u->ups);
	free(u->upsname);
	free(u->ca_file);
	free(u->server_name);
	free(u->cert_file);
	free(u->key_file);
	free(u->user);
	free(u->password_file);
	free(u->sim);
	free(u->serial);
}

struct config *config_free(struct config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_ups; i++)
		ups_done(&c->ups[i]);
	free(c->ups);
	for (size_t i = 0; i < c->n_hooks; i++) {
		config_argv_free(c->hooks[i].argv);
		for (unsigned e = 0; e < _CONFIG_EVENT_MAX; e++)
			free(c->hooks[i].messages[e]);
	}
	free(c->hooks);
	config_serve_free(c->serve);
	config_metrics_free(c->metrics);
	config_argv_free(c->shutdown_argv);
	free(c->status_socket);
	free(c->powerdown_flag);
	free(c->path);
	free(c);
	return NULL;
}

void config_monitor(const struct config *c, const struct config_ups *u, struct monitor_config *out)
{
	*out = (struct monitor_config){
	    .dead_time = c->dead_time,
	    .host_sync = c->host_sync,
	    .ob_lb_duration = c->ob_lb_duration,
	    .off_duration = c->off_duration,
	    .on_battery_max = u->on_battery_max ? u->on_battery_max : MONITOR_NEVER,
	    .nocomm_warn = c->nocomm_warn,
	    .rb_warn = c->rb_warn,
	    .charge_low = u->charge_low,
	    .runtime_low = u->runtime_low,
	    .secondary = u->role == CONFIG_ROLE_SECONDARY,
	};
}
