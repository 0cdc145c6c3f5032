/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A UPS at this host's USB port as a watch's source (driver = "usb"): the
 * device found with sd-device and followed through hot-plug, its input
 * reports acted on as they come, its feature reports polled every
 * poll-interval, and the values fed to the monitor as a server's would be,
 * with the variables a NUT driver would give (ups.status, the measurements,
 * device.*). An unplugged UPS is a failed poll (COMMBAD); plugged in again,
 * it is found again without a restart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hidraw.h"
#include "hidups.h"
#include "log.h"
#include "source.h"
#include "usbups.h"

struct usb_source {
	struct source source;
	struct usbups_match match;
	struct usbups_hotplug hotplug;
	struct hidups *dev; /* NULL while no device is open */
	char *syspath;	    /* of the open device */
	sd_event_source *io;
	uint64_t last_input;   /* when an input report last carried values */
	int logged[256];       /* per feature report: the error last logged, 0 = none */
	char problem[256];     /* why no device is open, as last logged */
	char state[64];	       /* for the status socket */
	struct varlist device; /* of the open device: device.*, ups.vendorid, driver.name */
};

static void usb_poll(struct usb_source *u);

static const char *name_of(const struct usb_source *u)
{
	return u->source.env->ups->name;
}

/* A problem is logged when it changes, not at every poll: one line per outage. */
static void usb_problem(struct usb_source *u, int level, const char *fmt, ...) _printf_(3, 4);
static void usb_problem(struct usb_source *u, int level, const char *fmt, ...)
{
	char text[sizeof(u->problem)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, u->problem) != 0)
		log_full(level, "%s: %s", name_of(u), text);
	memcpy(u->problem, text, sizeof(text));
}

/* A failed poll, said once while it lasts. */
static void usb_fail(struct usb_source *u, const char *fmt, ...) _printf_(2, 3);
static void usb_fail(struct usb_source *u, const char *fmt, ...)
{
	char text[sizeof(u->problem)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	usb_problem(u, LOG_WARNING, "%s", text);
	source_result(&u->source, NULL, NULL, u->problem);
}

static void usb_close(struct usb_source *u)
{
	u->io = sd_event_source_disable_unref(u->io);
	u->dev = hidups_free(u->dev);
	free(u->syspath);
	u->syspath = NULL;
	u->last_input = 0;
	memset(u->logged, 0, sizeof(u->logged));
	varlist_clear(&u->device);
	snprintf(u->state, sizeof(u->state), "no device");
}

static void usb_lost(struct usb_source *u)
{
	char node[64];

	snprintf(node, sizeof(node), "%s", u->dev ? u->dev->node : "the UPS");
	usb_close(u);
	usb_problem(u, LOG_WARNING, "%s was unplugged", node);
	source_result(&u->source, NULL, NULL, u->problem);
}

/* ---- values to the monitor ---------------------------------------------- */

static const char *number(char *buf, size_t size, const struct hidpdc_value *v)
{
	if (!v->set || v->value < 0)
		return NULL;
	snprintf(buf, size, "%.2f", v->value);
	return buf;
}

/* The measurements and timers, named and written as a NUT driver does. */
static int usb_vars(const struct usb_source *u, const char *status, struct varlist *vars)
{
	int r = varlist_copy(vars, &u->device);

	if (r >= 0)
		r = varlist_set(vars, "ups.status", status);
	for (enum hidpdc_var i = 0; r >= 0 && i < _HIDPDC_VAR_MAX; i++) {
		char value[64];

		if (hidpdc_var_value(&u->dev->vars, i, value, sizeof(value)) >= 0)
			r = varlist_set(vars, hidpdc_var_name(i), value);
	}
	return r;
}

static void usb_feed(struct usb_source *u)
{
	const struct hidpdc_vars *v = &u->dev->vars;
	char status[128], charge[32], runtime[32];
	struct varlist vars = {0};
	struct status_snapshot s;

	if (hidups_status(u->dev, status, sizeof(status)) < 0)
		status[0] = '\0';
	status_parse(&s, status, number(charge, sizeof(charge), &v->v[HIDPDC_VAR_BATTERY_CHARGE]),
		     number(runtime, sizeof(runtime), &v->v[HIDPDC_VAR_BATTERY_RUNTIME]), NULL);
	/* Without OL or OB there is no reading to act on, only stale hopes. */
	if (!status_has(&s, STATUS_OL) && !status_has(&s, STATUS_OB)) {
		usb_fail(u, "%s: the UPS does not say whether it is on line or on battery",
			 u->dev->node);
		return;
	}
	u->problem[0] = '\0';
	/* A variable that finds no memory is left out: the monitor needs only s. */
	(void)usb_vars(u, status, &vars);
	source_result(&u->source, &s, &vars, NULL);
	varlist_clear(&vars);
}

/* Each report that starts or stops failing, once. */
static void usb_log_reports(struct usb_source *u)
{
	const struct hidups *d = u->dev;

	for (size_t i = 0; i < d->n_poll; i++) {
		uint8_t id = d->poll_ids[i];
		int e = d->errors[id];

		if (e == u->logged[id])
			continue;
		if (e < 0)
			log_warning("%s: %s: feature report 0x%02x: %s (%s); skipped, its values "
				    "are unknown until it answers",
				    name_of(u), d->node, id, strerror(-e), hidraw_error_meaning(e));
		else
			log_info("%s: %s: feature report 0x%02x answers again", name_of(u), d->node,
				 id);
		u->logged[id] = e;
	}
}

static bool usb_input_recent(const struct usb_source *u)
{
	uint64_t now = source_now(&u->source);

	return u->last_input > 0 && now - u->last_input <= 2 * u->source.env->config->poll_interval;
}

static void usb_poll(struct usb_source *u)
{
	int r = hidups_poll(u->dev);

	if (r == -ENODEV) {
		usb_lost(u);
		return;
	}
	if (r < 0) {
		usb_fail(u, "%s: %s", u->dev->node, strerror(-r));
		return;
	}
	usb_log_reports(u);
	/* Some UPSes answer on the interrupt pipe only: their input reports count. */
	if (r == 0 && u->dev->n_poll > 0 && !usb_input_recent(u)) {
		usb_fail(u, "%s: no feature report answered", u->dev->node);
		return;
	}
	usb_feed(u);
}

/* Interrupt reports are acted on at once, not at the next poll. */
static int on_input(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct usb_source *u = userdata;
	int r = hidups_read_input(u->dev);

	if (r == -ENODEV || (r == 0 && (revents & (EPOLLHUP | EPOLLERR)))) {
		usb_lost(u);
		return 0;
	}
	if (r < 0)
		log_debug("%s: %s: reading an input report: %s", name_of(u), u->dev->node,
			  strerror(-r));
	else if (r > 0) {
		u->last_input = source_now(&u->source);
		usb_feed(u);
	}
	return 0;
}

/* ---- finding the device --------------------------------------------------- */

static void usb_list_candidates(struct usb_source *u, const struct usbups_dev *devs, size_t n)
{
	char list[sizeof(u->problem)];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used +=
		    (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %04x:%04x%s%s",
				     i ? ", " : "", devs[i].node, devs[i].vendor, devs[i].product,
				     devs[i].serial[0] ? " serial " : "", devs[i].serial);
	usb_problem(u, LOG_ERR,
		    "%zu UPSes match (%s); pick one with vendor-id, product-id or serial", n, list);
}

/* What the device says it is, for every reading's variables; "" is not said. */
static void usb_device_vars(struct usb_source *u, const struct usbups_dev *dev)
{
	char id[8];

	source_identity(&u->device, "upsagent-usb", dev->mfr, dev->model, dev->serial);
	snprintf(id, sizeof(id), "%04x", dev->vendor);
	(void)varlist_set(&u->device, "ups.vendorid", id);
	snprintf(id, sizeof(id), "%04x", dev->product);
	(void)varlist_set(&u->device, "ups.productid", id);
}

static int usb_open(struct usb_source *u, const struct usbups_dev *dev)
{
	char err[256] = "";
	int r = hidups_open(dev->node, &u->dev, err, sizeof(err));

	if (r >= 0 && !hidups_is(u->dev, dev->vendor, dev->product)) {
		snprintf(err, sizeof(err), "the node now belongs to %04x:%04x", u->dev->info.vendor,
			 u->dev->info.product);
		r = -ENODEV;
	}
	if (r >= 0 && !(u->syspath = strdup(dev->syspath)))
		r = -ENOMEM;
	if (r >= 0)
		r = sd_event_add_io(u->source.env->event, &u->io, u->dev->fd, EPOLLIN, on_input, u);
	if (r < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		usb_close(u);
		usb_problem(u, LOG_ERR, "%s: %s", dev->node, err);
		return r;
	}
	usb_device_vars(u, dev);
	snprintf(u->state, sizeof(u->state), "open %s", dev->node);
	u->problem[0] = '\0';
	/* sysfs has the USB strings; a device on another bus has its raw name. */
	log_info("%s: watching %s: %04x:%04x %s%s%s%s%s", name_of(u), dev->node, dev->vendor,
		 dev->product, dev->mfr, dev->mfr[0] ? " " : "",
		 dev->model[0] ? dev->model : u->dev->name, dev->serial[0] ? ", serial " : "",
		 dev->serial);
	return 0;
}

/*
 * Exactly one device must match: a guess could watch another host's UPS.
 * Returns whether one was opened, and so polled (its result already fed).
 */
static bool usb_find(struct usb_source *u)
{
	struct usbups_dev *devs = NULL;
	bool found = false;
	char what[128];
	size_t n = 0;
	int r = usbups_enumerate(&u->match, &devs, &n, NULL);

	usbups_match_format(&u->match, what, sizeof(what));
	if (r < 0)
		usb_problem(u, LOG_ERR, "cannot look for USB devices: %s", strerror(-r));
	else if (n == 0)
		usb_problem(u, LOG_WARNING, "no UPS (%s) is plugged in; waiting for one", what);
	else if (n > 1)
		usb_list_candidates(u, devs, n);
	else
		found = usb_open(u, &devs[0]) >= 0;
	usbups_devs_free(devs, n);
	if (found)
		usb_poll(u);
	return found;
}

static void on_hotplug(bool added, const char *syspath, void *userdata)
{
	struct usb_source *u = userdata;

	if (!added && u->syspath && strcmp(syspath, u->syspath) == 0)
		usb_lost(u);
	else if (added && !u->dev)
		(void)usb_find(u);
}

/* ---- the source's side ------------------------------------------------------ */

static struct usb_source *usb_of(struct source *s)
{
	return (struct usb_source *)s; /* source is the first member */
}

static void usb_source_poll(struct source *s)
{
	struct usb_source *u = usb_of(s);

	if (u->dev) {
		usb_poll(u);
		return;
	}
	/* A device the monitor missed (its node's permission fixed later) is found here. */
	if (!usb_find(u))
		source_result(s, NULL, NULL, u->problem[0] ? u->problem : "no device");
}

static int usb_start(struct source *s, uint64_t slot)
{
	struct usb_source *u = usb_of(s);
	int r = usbups_hotplug_start(&u->hotplug, s->env->event);

	/* Without hot-plug the polls still find a device, only later. */
	if (r < 0)
		log_warning("%s: cannot follow USB hot-plug: %s; looking at every poll instead",
			    name_of(u), strerror(-r));
	(void)usb_find(u);
	return 0;
}

static void usb_free(struct source *s)
{
	struct usb_source *u = usb_of(s);

	usbups_hotplug_stop(&u->hotplug);
	usb_close(u);
	free(u);
}

static const char *usb_state(const struct source *s)
{
	return ((const struct usb_source *)s)->state;
}

static const struct source_ops usb_ops = {
    .start = usb_start,
    .poll = usb_source_poll,
    .state = usb_state,
    .free = usb_free,
    .says_failures = true,
    /* A local UPS has no server and no primary to give time to set FSD. */
    .alone = true,
};

int source_usb_new(const struct source_env *env, struct source **ret)
{
	const struct config_ups *c = env->ups;
	struct usb_source *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	*u = (struct usb_source){
	    .source = {.ops = &usb_ops, .env = env},
	    .match = {.vendor = c->vendor_id, .product = c->product_id, .serial = c->serial},
	    .hotplug = {.fn = on_hotplug, .userdata = u},
	};
	snprintf(u->state, sizeof(u->state), "no device");
	*ret = &u->source;
	return 0;
}
