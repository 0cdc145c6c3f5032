/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * import-upsd's model (upsdimport.h): ups.conf's UPSes (usbhid-ups ones
 * into usb sections, the rest left with NUT), then upsd.conf and
 * upsd.users into the serve section (upsd-serve.c). Every setting that is
 * not carried over, or whose meaning changes, is a note FILE:LINE.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confwrite.h"
#include "macro.h"
#include "upsdimport-internal.h"

int ui_note(struct ui *x, const char *file, unsigned line, const char *fmt, ...)
{
	char text[768];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r = upsmon_note_add(&x->res->notes, &x->res->n_notes, file, line, "%s", text);
	if (r < 0)
		x->error = r;
	return r;
}

/* "051d", "0x051D": four hex digits, as upsagent's vendor-id wants them. */
static bool usb_id_ok(const char *v)
{
	const char *p = strncasecmp(v, "0x", 2) == 0 ? v + 2 : v;
	size_t n = strspn(p, "0123456789abcdefABCDEF");

	return n > 0 && n <= 4 && !p[n];
}

/* A number of percent or seconds: what battery-charge-low and runtime-low take. */
static bool number_ok(const char *v, double max)
{
	char *end;
	double d = strtod(v, &end);

	return end != v && !*end && d >= 0 && d <= max;
}

static const struct {
	const char *key;
	const char *why;
} usb_left_out[] = {
    {"vendor", "upsagent matches vendor-id, product-id and serial only: with two alike UPSes, "
	       "set serial"},
    {"product", "upsagent matches vendor-id, product-id and serial only"},
    {"bus", "upsagent matches vendor-id, product-id and serial only: with two alike UPSes, "
	    "set serial"},
    {"device", "upsagent matches vendor-id, product-id and serial only"},
    {"busport", "upsagent matches vendor-id, product-id and serial only"},
    {"pollinterval", "upsagent reads the UPS every poll-interval (a global setting, from "
		     "upsmon.conf's POLLFREQ when imported with it)"},
    {"pollfreq", "upsagent reads the UPS every poll-interval, a global setting"},
    {"ignorelb", "upsagent always takes the UPS's own low battery (LB) as critical; the "
		 "override thresholds above are carried over as battery-charge-low and "
		 "runtime-low, which count as well"},
    {"offdelay", "the UPS's shutdown delay is upsagent killpower's --delay (the "
		 "system-shutdown hook, /usr/lib/systemd/system-shutdown/upsagent-killpower)"},
    {"ondelay", "the UPS restarts its output when mains returns; killpower sets the startup "
		"delay itself, longer than the shutdown delay, as NUT does"},
};

/* One setting of a usbhid-ups section: mapped into f, or a note why not. */
static void usb_setting(struct ui *x, const struct nut_setting *v, FILE *f)
{
	static const char *const silent[] = {"driver", "port", "desc"};
	const char *path = x->in->ups_path, *val = v->value ? v->value : "";

	for (size_t i = 0; i < ELEMENTSOF(silent); i++)
		if (strcasecmp(v->key, silent[i]) == 0)
			return;
	if ((!strcasecmp(v->key, "vendorid") || !strcasecmp(v->key, "productid")) &&
	    usb_id_ok(val)) {
		confwrite_option(f, "\t", tolower(v->key[0]) == 'v' ? "vendor-id" : "product-id",
				 val);
		return;
	}
	if (!strcasecmp(v->key, "serial") && val[0]) {
		confwrite_option(f, "\t", "serial", val);
		return;
	}
	if (!strcasecmp(v->key, "override.battery.charge.low") && number_ok(val, 100)) {
		fprintf(f,
			"\tbattery-charge-low = %s\t# override.battery.charge.low: on battery at "
			"or below, critical\n",
			val);
		return;
	}
	if (!strcasecmp(v->key, "override.battery.runtime.low") && number_ok(val, 86400)) {
		fprintf(f, "\truntime-low = %s\t# override.battery.runtime.low\n", val);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(usb_left_out); i++)
		if (strcasecmp(v->key, usb_left_out[i].key) == 0) {
			ui_note(x, path, v->line, "not carried over: %s: %s", v->key,
				usb_left_out[i].why);
			return;
		}
	ui_note(x, path, v->line,
		"not carried over: %s%s%s (a setting of NUT's driver that "
		"upsagent's has no counterpart for)",
		v->key, v->value ? " = " : "", v->value ? val : "");
}

static int local_add(struct ui *x, const struct nut_section *s, char *options)
{
	struct upsmon_local *bigger =
	    reallocarray(x->res->local, x->res->n_local + 1, sizeof(*bigger));

	if (!bigger) {
		free(options);
		return -ENOMEM;
	}
	x->res->local = bigger;
	bigger[x->res->n_local++] = (struct upsmon_local){
	    .ups = s->name, .options = options, .nut_port = options ? 0 : UI_NUT_PORT};
	return 0;
}

static int usb_section(struct ui *x, const struct nut_section *s)
{
	char *options = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&options, &len);

	if (!f)
		return -ENOMEM;
	fputs("\tdriver = \"usb\"\n", f);
	for (size_t i = 0; i < s->n; i++)
		usb_setting(x, &s->settings[i], f);
	if (fclose(f) != 0) {
		free(options);
		return -ENOMEM;
	}
	return local_add(x, s, options);
}

/* ups.conf: every section is a UPS; upsagent drives usbhid-ups ones. */
static int ups_sections(struct ui *x)
{
	for (size_t i = 0; i < x->in->ups.n && x->error >= 0; i++) {
		const struct nut_section *s = &x->in->ups.s[i];
		const char *driver = s->name ? nut_section_get(s, "driver", NULL) : NULL;
		int r = 0;

		if (!s->name)
			continue; /* globals: maxretry, user, statepath... of NUT's drivers */
		if (!nut_word_ok_or_note(x, s))
			continue;
		if (!driver)
			ui_note(x, x->in->ups_path, s->line, "[%s] has no driver: not carried over",
				s->name);
		else if (strcmp(driver, "usbhid-ups") == 0)
			r = usb_section(x, s);
		else {
			ui_note(
			    x, x->in->ups_path, s->line,
			    "[%s] (driver %s) stays with NUT: upsagent has no such driver. Keep "
			    "its driver and upsd, with upsd listening on 127.0.0.1 port %u "
			    "(upsd.conf: LISTEN 127.0.0.1 %u) so that upsagent can serve 3493; "
			    "a MONITOR of it is watched there",
			    s->name, driver, UI_NUT_PORT, UI_NUT_PORT);
			r = local_add(x, s, NULL);
		}
		if (r < 0)
			x->error = r;
	}
	return x->error;
}

int upsd_import(const struct upsd_import_in *in, struct upsd_import **ret)
{
	struct ui x = {.in = in};

	if (!(x.res = calloc(1, sizeof(*x.res))))
		return -ENOMEM;
	if (ups_sections(&x) >= 0)
		(void)ui_serve(&x);
	if (x.error < 0) {
		upsd_import_free(x.res);
		return x.error;
	}
	*ret = x.res;
	return 0;
}

struct upsd_import *upsd_import_free(struct upsd_import *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_local; i++)
		free((char *)r->local[i].options);
	free(r->local);
	free(r->serve_text);
	upsmon_notes_free(r->notes, r->n_notes);
	upsmon_passwords_free(r->passwords, r->n_passwords);
	for (size_t i = 0; r->plaintext_users && r->plaintext_users[i]; i++)
		free(r->plaintext_users[i]);
	free(r->plaintext_users);
	free(r);
	return NULL;
}

static bool monitored(const struct upsmon_import *res, const char *ups)
{
	for (size_t i = 0; res && i < res->n_servers; i++)
		if (res->servers[i].local && strcmp(res->servers[i].ups, ups) == 0)
			return true;
	return false;
}

char *upsd_import_unwatched(const struct upsd_import *u, const struct upsmon_import *res)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < u->n_local; i++) {
		const struct upsmon_local *l = &u->local[i];

		if (!l->options || monitored(res, l->ups))
			continue;
		fprintf(
		    f,
		    "\n# ups.conf [%s]: served to the other hosts; this host did not shut down\n"
		    "# on it (no MONITOR of it in upsmon.conf): watched only.\n"
		    "ups %s {\n%s\tpower-value = 0\n}\n",
		    l->ups, l->ups, l->options);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
