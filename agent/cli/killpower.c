/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsagent killpower: run by the system-shutdown hook after the host has
 * stopped, and only when the daemon wrote the power-down flag, it tells each
 * UPS on USB to turn its output off after a short delay and on again when
 * mains returns (DelayBeforeStartup, where the UPS has it), so that the host
 * boots by itself once the power is back.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "killpower.h"
#include "config.h"
#include "hidraw.h"
#include "hidups.h"
#include "log.h"
#include "shutdown.h"
#include "usbups.h"

#define DELAY_DEFAULT 20    /* seconds: the shutdown hook has finished long before */
#define DELAY_MAX     86400 /* a day; the UPS's field may hold less */
#define STARTUP_GAP   10    /* DelayBeforeStartup must exceed DelayBeforeShutdown */

static const struct option options[] = {
    {"config", required_argument, NULL, 'c'},
    {"delay", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char help_text[] =
    "Usage: upsagent killpower [--config FILE] [--delay SECONDS]\n\n"
    "Only when the power-down flag of FILE exists: tell every UPS of a\n"
    "driver = \"usb\" section to turn its output off in SECONDS (default 20)\n"
    "and on again when mains returns. Run by the system-shutdown hook.\n";

static void hex_format(const uint8_t *b, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 4 < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%02x", i ? " " : "", b[i]);
}

static int set_delay(const char *name, struct hidups *u, enum hidpdc_ctl c, int32_t seconds,
		     double *effective)
{
	static const char *const names[] = {"DelayBeforeShutdown", "DelayBeforeStartup"};
	uint8_t sent[HIDRAW_FEATURE_MIN * 4];
	char hex[3 * sizeof(sent)];
	int r = hidups_set_delay(u, c, seconds, sent, sizeof(sent), effective);

	if (r == -ERANGE)
		return log_error_errno(r, "%s: %s: %s cannot hold %d s", name, u->node, names[c],
				       seconds);
	if (r < 0)
		return log_error_errno(r, "%s: %s: setting %s failed: %s (%s)", name, u->node,
				       names[c], strerror(-r), hidraw_error_meaning(r));
	hex_format(sent, (size_t)r, hex, sizeof(hex));
	log_info("%s: %s: %s = %g s (report %s)", name, u->node, names[c], *effective, hex);
	return 0;
}

static int check_shutdown(const char *name, struct hidups *u, int32_t delay, double *off)
{
	uint8_t scratch[HIDRAW_FEATURE_MIN * 4];
	int r =
	    hidups_build_delay(u, HIDPDC_CTL_DELAY_SHUTDOWN, delay, scratch, sizeof(scratch), off);

	if (r == -ENOENT)
		return log_error_errno(r,
				       "%s: %s: the UPS has no DelayBeforeShutdown: it cannot "
				       "be told to turn its output off",
				       name, u->node);
	if (r == -ERANGE)
		return log_error_errno(r, "%s: %s: DelayBeforeShutdown cannot hold %d s", name,
				       u->node, delay);
	if (r < 0)
		return log_error_errno(r, "%s: %s: DelayBeforeShutdown: %s", name, u->node,
				       strerror(-r));
	return 0;
}

/*
 * Startup first, as NUT does, and longer than the shutdown delay the UPS will
 * really count (CyberPower rounds to minutes). If it cannot be set, the output
 * is left on: cut without a way back, the host would stay off for good.
 */
static int kill_one(const char *name, struct hidups *u, int32_t delay)
{
	double off = 0, on = -1;
	int r = check_shutdown(name, u, delay, &off);

	if (r >= 0 && hidpdc_control(&u->map, HIDPDC_CTL_DELAY_STARTUP))
		r = set_delay(name, u, HIDPDC_CTL_DELAY_STARTUP, (int32_t)off + STARTUP_GAP, &on);
	if (r >= 0)
		r = set_delay(name, u, HIDPDC_CTL_DELAY_SHUTDOWN, delay, &off);
	if (r < 0)
		return r;
	log_notice("%s: %s: the UPS turns its output off in %g s, and on again when mains "
		   "returns%s",
		   name, u->node, off, on > 0 ? "" : " (by itself: it has no DelayBeforeStartup)");
	return 0;
}

static int kill_ups(const struct config_ups *c, int32_t delay)
{
	struct usbups_match m = {c->vendor_id, c->product_id, c->serial};
	struct usbups_dev *devs = NULL;
	struct hidups *u = NULL;
	char what[128], err[256] = "";
	size_t n = 0;
	int r = usbups_enumerate(&m, &devs, &n, NULL);

	usbups_match_format(&m, what, sizeof(what));
	if (r < 0)
		log_error("%s: cannot look for USB devices: %s", c->name, strerror(-r));
	else if (n != 1)
		log_error("%s: %s UPS (%s) is plugged in: nothing told to cut the power", c->name,
			  n ? "more than one" : "no", what);
	else if ((r = hidups_open(devs[0].node, &u, err, sizeof(err))) < 0)
		log_error("%s: %s: %s", c->name, devs[0].node, err[0] ? err : strerror(-r));
	else if (!hidups_is(u, devs[0].vendor, devs[0].product))
		r = log_error_errno(-ENODEV, "%s: %s now belongs to %04x:%04x: nothing written",
				    c->name, devs[0].node, u->info.vendor, u->info.product);
	else
		r = kill_one(c->name, u, delay);
	hidups_free(u);
	usbups_devs_free(devs, n);
	return r < 0 || n != 1 ? -1 : 0;
}

static int parse_delay(const char *s, int32_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > DELAY_MAX)
		return cli_usage_error("--delay: '%s' is not a number of seconds (0 to %d)", s,
				       DELAY_MAX);
	*ret = (int32_t)v;
	return 0;
}

static int killpower(const char *path, int32_t delay)
{
	struct config *c = NULL;
	size_t n_usb = 0, failed = 0;
	char why[160];
	int r;

	/* killpower logs in nowhere: password files (credentials, which exist
	 * only inside the service) are not its business. */
	if (config_load_secrets(path, CONFIG_SECRETS_SKIP, &c) < 0)
		return 1;
	r = powerdown_flag_check(c->powerdown_flag, why, sizeof(why));
	if (r < 0)
		log_warning("ignoring the power-down flag %s: %s; the UPS keeps its output on",
			    c->powerdown_flag, why);
	else if (r == 0)
		log_info("no power-down flag%s%s: the UPS keeps its output on",
			 c->powerdown_flag[0] ? " at " : " configured", c->powerdown_flag);
	if (r <= 0) {
		config_free(c);
		return 0;
	}
	for (size_t i = 0; i < c->n_ups; i++) {
		if (c->ups[i].driver != CONFIG_DRIVER_USB)
			continue;
		n_usb++;
		failed += kill_ups(&c->ups[i], delay) < 0;
	}
	if (n_usb == 0)
		log_info("no ups section with driver = \"usb\": no UPS to tell");
	config_free(c);
	return failed ? 1 : 0;
}

int verb_killpower(int argc, char **argv)
{
	const char *path = CONFIG_PATH_DEFAULT;
	int32_t delay = DELAY_DEFAULT;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:d:h", options, NULL)) >= 0) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			if (parse_delay(optarg, &delay) != 0)
				return 2;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return cli_usage_error("see 'upsagent killpower --help'");
		}
	}
	if (optind != argc)
		return cli_usage_error("killpower takes no arguments");
	return killpower(path, delay);
}
