/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hidups.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hidraw.h"
#include "macro.h"

#define INPUT_READS_MAX 32 /* per call: a chatty UPS must not starve the loop */

static void set_err(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int read_desc(struct hidups *u, char *err, size_t errlen)
{
	uint8_t buf[HID_DESC_SIZE_MAX];
	struct hid_error e = {0};
	int r = hidraw_get_descriptor(u->fd, buf, sizeof(buf));

	if (r < 0) {
		set_err(err, errlen, "cannot read the report descriptor: %s", strerror(-r));
		return r;
	}
	r = hid_parse(buf, (size_t)r, &u->desc, &e);
	if (r < 0) {
		set_err(err, errlen, "the report descriptor does not parse: byte %zu: %s", e.offset,
			e.what ? e.what : strerror(-r));
		return r == -ENOMEM ? r : -EBADMSG;
	}
	if (!hidpdc_is_power_device(u->desc) || hidpdc_map(u->desc, &u->map) < 0) {
		set_err(err, errlen, "not a UPS: no Power Device or Battery System values");
		return -ENODEV;
	}
	return 0;
}

int hidups_open(const char *node, struct hidups **ret, char *err, size_t errlen)
{
	struct hidups *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	u->fd = -1;
	u->node = strdup(node);
	if (!u->node) {
		hidups_free(u);
		return -ENOMEM;
	}
	u->fd = hidraw_open(node);
	if (u->fd < 0) {
		r = u->fd;
		set_err(err, errlen, "cannot open it: %s", strerror(-r));
		hidups_free(u);
		return r;
	}
	/* Only what identifies the device: a UPS that will not say is still read. */
	(void)hidraw_get_info(u->fd, &u->info);
	if (hidraw_get_name(u->fd, u->name, sizeof(u->name)) < 0)
		u->name[0] = '\0';
	r = read_desc(u, err, errlen);
	if (r < 0) {
		hidups_free(u);
		return r;
	}
	hidpdc_vars_init(&u->vars);
	u->n_poll = hidpdc_poll_reports(&u->map, u->poll_ids, sizeof(u->poll_ids));
	*ret = u;
	return 0;
}

struct hidups *hidups_free(struct hidups *u)
{
	if (!u)
		return NULL;
	if (u->fd >= 0)
		close(u->fd);
	hid_desc_free(u->desc);
	free(u->node);
	free(u);
	return NULL;
}

bool hidups_is(const struct hidups *u, uint16_t vendor, uint16_t product)
{
	if (u->info.bus == 0 && u->info.vendor == 0 && u->info.product == 0)
		return true;
	return u->info.vendor == vendor && u->info.product == product;
}

/* Generous: some units send more than they declare (hid.md, report sizes). */
static size_t feature_buffer_size(const struct hidups *u, uint8_t id)
{
	size_t n = 1 + hid_report_size(u->desc, HID_KIND_FEATURE, id);

	if (n < HIDRAW_FEATURE_MIN)
		n = HIDRAW_FEATURE_MIN;
	return n > HIDRAW_REPORT_MAX ? HIDRAW_REPORT_MAX : n;
}

/* The variables a failed report would have given, unless this round gave them. */
static void forget(struct hidups *u, uint8_t id, const struct hidpdc_vars *fresh)
{
	for (size_t i = 0; i < u->map.n_bindings; i++) {
		const struct hidpdc_binding *b = &u->map.bindings[i];
		const struct hid_field *f = &u->desc->fields[b->field];

		if (f->kind == HID_KIND_FEATURE && f->report_id == id && !fresh->v[b->var].set &&
		    !u->from_input[b->var])
			u->vars.v[b->var] = (struct hidpdc_value){.set = false};
	}
}

/* A poll round's values replace what was there; an input report's, only as well placed ones. */
static void merge(struct hidups *u, const struct hidpdc_vars *fresh, bool input)
{
	for (unsigned i = 0; i < _HIDPDC_VAR_MAX; i++) {
		const struct hidpdc_value *v = &fresh->v[i], *old = &u->vars.v[i];

		if (!v->set || (input && old->set && old->rank < v->rank))
			continue;
		u->vars.v[i] = *v;
		u->from_input[i] = input;
	}
}

static int poll_one(struct hidups *u, uint8_t id, uint8_t *buf, struct hidpdc_vars *fresh)
{
	int n = hidraw_get_feature(u->fd, id, buf, feature_buffer_size(u, id));

	u->errors[id] = n < 0 ? n : 0;
	if (n < 0)
		return n;
	/* Byte 0 is the report ID, also on a device without IDs (then 0). */
	(void)hidpdc_decode(&u->map, HID_KIND_FEATURE, id, buf + 1, (size_t)n - 1, fresh);
	return 0;
}

int hidups_poll(struct hidups *u)
{
	_cleanup_free_ uint8_t *buf = malloc(HIDRAW_REPORT_MAX);
	struct hidpdc_vars fresh;
	int ok = 0, r = 0;

	if (!buf)
		return -ENOMEM;
	hidpdc_vars_init(&fresh);
	for (size_t i = 0; i < u->n_poll && i < sizeof(u->poll_ids); i++) {
		r = poll_one(u, u->poll_ids[i], buf, &fresh);
		if (r >= 0)
			ok++;
		else if (hidraw_gone(r) || r == -ETIMEDOUT)
			break;
	}
	if (r < 0 && hidraw_gone(r)) {
		u->gone = true;
		return -ENODEV;
	}
	/* Reports a timeout cut off were not asked: they stay as they were. */
	for (size_t k = 0; k < u->n_poll; k++)
		if (u->errors[u->poll_ids[k]] < 0)
			forget(u, u->poll_ids[k], &fresh);
	merge(u, &fresh, false);
	return ok;
}

static bool input_ours(const struct hidups *u, const uint8_t *buf, size_t len)
{
	if (len == 0)
		return false;
	return hidpdc_input_known(&u->map, u->desc->numbered ? buf[0] : 0);
}

int hidups_read_input(struct hidups *u)
{
	uint8_t buf[HIDRAW_FEATURE_MIN * 16];
	struct hidpdc_vars fresh;
	int decoded = 0;

	for (unsigned i = 0; i < INPUT_READS_MAX; i++) {
		int n = hidraw_read(u->fd, buf, sizeof(buf));

		if (n == -EAGAIN)
			break;
		/* read() says EIO once the device is gone; nothing else gives it. */
		if (n == -EIO || hidraw_gone(n)) {
			u->gone = true;
			return -ENODEV;
		}
		if (n < 0)
			return n;
		/* Vendor reports (APC's Modbus tunnel on 051d:0003) are not ours. */
		if (!input_ours(u, buf, (size_t)n))
			continue;
		hidpdc_vars_init(&fresh);
		if (hidpdc_decode_buffer(&u->map, HID_KIND_INPUT, buf, (size_t)n, &fresh) > 0) {
			merge(u, &fresh, true);
			decoded++;
		}
	}
	return decoded;
}

int hidups_status(const struct hidups *u, char *buf, size_t size)
{
	return hidpdc_status(&u->vars, buf, size);
}

/* The report as the UPS has it, so that only the delay's bits change; zeros if it will not say. */
static size_t current_report(struct hidups *u, uint8_t id, uint8_t *buf, size_t size)
{
	size_t len = 1 + hid_report_size(u->desc, HID_KIND_FEATURE, id);
	size_t want = feature_buffer_size(u, id);
	int n;

	n = hidraw_get_feature(u->fd, id, buf, want < size ? want : size);
	if (n < 0)
		memset(buf, 0, size);
	buf[0] = id;
	return len;
}

int hidups_build_delay(struct hidups *u, enum hidpdc_ctl c, int32_t seconds, uint8_t *buf,
		       size_t size, double *effective)
{
	const struct hid_field *f = hidpdc_control(&u->map, c);
	/* hidpdc writes an ID byte only where the device has IDs; the ioctl always wants one. */
	size_t head = u->desc->numbered ? 0 : 1, len;
	int64_t raw;
	int r;

	if (!f)
		return -ENOENT;
	if (size < 2 || current_report(u, f->report_id, buf, size) > size)
		return -ENOBUFS;
	r = hidpdc_control_report(&u->map, c, seconds, buf + head, size - head);
	if (r < 0)
		return r;
	len = (size_t)r + head;
	if (hid_field_get(f, 0, buf + 1, len - 1, &raw) < 0)
		return -EBADMSG;
	*effective = raw < 0 ? -1 : hid_field_physical(f, raw) * hid_field_scale(f);
	return (int)len;
}

int hidups_set_delay(struct hidups *u, enum hidpdc_ctl c, int32_t seconds, uint8_t *sent,
		     size_t size, double *effective)
{
	int len = hidups_build_delay(u, c, seconds, sent, size, effective);
	int r;

	if (len < 0)
		return len;
	r = hidraw_set_feature(u->fd, sent, (size_t)len);
	if (r < 0 && hidraw_gone(r))
		u->gone = true;
	return r < 0 ? r : len;
}
