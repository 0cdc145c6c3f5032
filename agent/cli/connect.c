/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-config --connect: every ups section tried as the daemon will try it
 * (lib/session/probe.h for a server, sd-device for a USB UPS), all at once
 * on one loop, then one line per UPS in the file's order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "log.h"
#include "probe.h"
#include "source.h"
#include "tls.h"
#include "usbups.h"

struct connect_ups {
	struct connect_check *check;
	const struct config_ups *u;
	struct tls_creds *creds;
	struct probe *probe;
	bool ok, done;
	char line[1024];
};

struct connect_check {
	sd_event *event;
	struct connect_ups *ups;
	size_t n, pending;
};

static void ups_say(struct connect_ups *cu, bool ok, const char *fmt, ...) _printf_(3, 4);
static void ups_say(struct connect_ups *cu, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cu->line, sizeof(cu->line), fmt, ap);
	va_end(ap);
	cu->ok = ok;
	cu->done = true;
}

/* A USB UPS: exactly one device must match, as the daemon requires. */
static void check_usb(struct connect_ups *cu)
{
	const struct config_ups *u = cu->u;
	struct usbups_match m = {
	    .vendor = u->vendor_id, .product = u->product_id, .serial = u->serial};
	struct usbups_dev *devs = NULL;
	char what[128];
	size_t n = 0, unreadable = 0;
	int r = usbups_enumerate(&m, &devs, &n, &unreadable);

	usbups_match_format(&m, what, sizeof(what));
	if (r < 0)
		ups_say(cu, false, "cannot look for USB devices: %s", strerror(-r));
	else if (n == 1)
		ups_say(cu, true, "USB UPS %04x:%04x at %s (%s)", devs[0].vendor, devs[0].product,
			devs[0].node, what);
	else if (n == 0)
		ups_say(cu, false, "no UPS (%s) is plugged in%s", what,
			unreadable ? ", or this user may not read it" : "");
	else
		ups_say(cu, false, "%zu UPSes match (%s): set vendor-id, product-id or serial", n,
			what);
	usbups_devs_free(devs, n);
}

static void on_probe_done(struct probe *p, const struct probe_result *r, void *userdata)
{
	struct connect_ups *cu = userdata;
	const struct config_ups *u = cu->u;

	if (r->error < 0)
		ups_say(cu, false, "%s", r->message);
	else
		ups_say(cu, true, "%s@%s:%u over %s, %s%s%s, ups.status %s", u->ups, u->server,
			u->port, r->tls,
			u->tls == TLS_MODE_OFF ? "no TLS"
			: u->pin[0]	       ? "server key pinned"
					       : "certificate verified",
			u->user ? ", logged in as " : "", u->user ? u->user : "", r->status);
	cu->probe = probe_free(cu->probe);
	if (--cu->check->pending == 0)
		sd_event_exit(cu->check->event, 0);
}

static int check_net(struct connect_ups *cu, const struct config *c)
{
	const struct config_ups *u = cu->u;
	struct tls_options o = {
	    .ca_file = u->ca_file, .cert_file = u->cert_file, .key_file = u->key_file};
	struct conn_config cc;
	char err[512];
	int r;

	if (u->tls != TLS_MODE_OFF) {
		r = tls_creds_new(&o, &cu->creds, err, sizeof(err));
		if (r < 0) {
			ups_say(cu, false, "%s", err);
			return 0;
		}
	}
	source_net_conn_config(c, u, &cc);
	cc.creds = cu->creds;
	r = probe_new(cu->check->event, &cc, /* ladder= */ false, on_probe_done, cu, &cu->probe);
	if (r < 0)
		return r;
	cu->check->pending++;
	return 0;
}

static int check_start(struct connect_check *k, const struct config *c)
{
	for (size_t i = 0; i < k->n; i++) {
		struct connect_ups *cu = &k->ups[i];
		int r = 0;

		*cu = (struct connect_ups){.check = k, .u = &c->ups[i]};
		if (cu->u->driver == CONFIG_DRIVER_USB)
			check_usb(cu);
		else if (cu->u->driver == CONFIG_DRIVER_SIM)
			ups_say(cu, true, "simulated: nothing to connect to");
		else
			r = check_net(cu, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_report(const struct connect_check *k)
{
	int failed = 0;

	for (size_t i = 0; i < k->n; i++) {
		const struct connect_ups *cu = &k->ups[i];

		printf("ups %s: %s: %s\n", cu->u->name, cu->ok ? "ok" : "FAILED",
		       cu->done ? cu->line : "no answer");
		failed += !cu->ok;
	}
	if (failed)
		log_error("%d of %zu UPS cannot be read: the daemon would not protect this host "
			  "from them",
			  failed, k->n);
	return failed ? 1 : 0;
}

int connect_check(const struct config *c)
{
	struct connect_check k = {.n = c->n_ups};
	int r;

	k.ups = calloc(k.n ? k.n : 1, sizeof(*k.ups));
	if (!k.ups)
		return log_error_errno(-ENOMEM, "out of memory"), 1;
	r = sd_event_default(&k.event);
	if (r >= 0)
		r = check_start(&k, c);
	if (r >= 0 && k.pending > 0)
		r = sd_event_loop(k.event);
	if (r < 0)
		log_error("cannot try the UPSes: %s", strerror(-r));
	else
		r = check_report(&k);
	for (size_t i = 0; i < k.n; i++) {
		probe_free(k.ups[i].probe);
		tls_creds_free(k.ups[i].creds);
	}
	free(k.ups);
	sd_event_unref(k.event);
	return r < 0 ? 1 : r;
}
