/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "usbups.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hid.h"
#include "hidpdc.h"
#include "hidraw.h"
#include "macro.h"

#define USBUPS_DEVICES_MAX 256 /* hidraw devices looked at; a host has a handful */
#define USBUPS_STRING_MAX  126 /* a USB string descriptor holds 126 characters */

static void hid_desc_freep(struct hid_desc **d)
{
	hid_desc_free(*d);
}

/* The whole attribute file, HID_DESC_SIZE_MAX bytes at most. */
static int read_sysfs_descriptor(sd_device *hid, uint8_t *buf, size_t size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	const char *syspath;
	size_t len = 0;
	int r = sd_device_get_syspath(hid, &syspath);

	if (r < 0)
		return r;
	if (asprintf(&path, "%s/report_descriptor", syspath) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return len == 0 ? -ENODATA : (int)len;
}

static int read_node_descriptor(const char *node, uint8_t *buf, size_t size)
{
	_cleanup_close_ int fd = hidraw_open(node);

	if (fd < 0)
		return fd;
	return hidraw_get_descriptor(fd, buf, size);
}

/* sysfs first: it needs no permission on the node. */
static int read_descriptor(sd_device *hid, const char *node, struct usbups_dev *ret)
{
	uint8_t buf[HID_DESC_SIZE_MAX];
	int r = hid ? read_sysfs_descriptor(hid, buf, sizeof(buf)) : -ENOENT;

	if (r < 0)
		r = read_node_descriptor(node, buf, sizeof(buf));
	if (r < 0)
		return r;
	ret->desc = malloc((size_t)r);
	if (!ret->desc)
		return -ENOMEM;
	memcpy(ret->desc, buf, (size_t)r);
	ret->desc_len = (size_t)r;
	return 0;
}

static int is_power_device(const struct usbups_dev *d)
{
	_cleanup_(hid_desc_freep) struct hid_desc *desc = NULL;
	int r = hid_parse(d->desc, d->desc_len, &desc, NULL);

	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	return hidpdc_is_power_device(desc) ? 0 : -ENODEV;
}

/* The device's own words go to logs and configuration advice: no control characters. */
static char *dup_value(sd_device *d, const char *sysattr, const char *property)
{
	const char *v = NULL;
	char *copy;

	if (d && sysattr && sd_device_get_sysattr_value(d, sysattr, &v) < 0)
		v = NULL;
	if (d && property && !v && sd_device_get_property_value(d, property, &v) < 0)
		v = NULL;
	copy = strndup(v ? v : "", USBUPS_STRING_MAX);
	for (char *p = copy; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
}

/* HID_ID=0003:0000051D:00000002: bus, vendor, product. */
static bool parse_hid_id(const char *v, uint16_t *vendor, uint16_t *product)
{
	unsigned bus, vid, pid;
	char tail;

	if (sscanf(v, "%x:%x:%x%c", &bus, &vid, &pid, &tail) != 3 || vid > 0xffff || pid > 0xffff)
		return false;
	*vendor = (uint16_t)vid;
	*product = (uint16_t)pid;
	return true;
}

static bool parse_hex16(const char *v, uint16_t *ret)
{
	char *end;
	unsigned long x;

	if (!v || !*v)
		return false;
	errno = 0;
	x = strtoul(v, &end, 16);
	if (errno || *end || x > 0xffff)
		return false;
	*ret = (uint16_t)x;
	return true;
}

static void read_ids(sd_device *hid, sd_device *usb, struct usbups_dev *ret)
{
	const char *v = NULL, *p = NULL;

	if (hid && sd_device_get_property_value(hid, "HID_ID", &v) >= 0 &&
	    parse_hid_id(v, &ret->vendor, &ret->product))
		return;
	if (usb && sd_device_get_sysattr_value(usb, "idVendor", &v) >= 0 &&
	    sd_device_get_sysattr_value(usb, "idProduct", &p) >= 0 &&
	    parse_hex16(v, &ret->vendor) && parse_hex16(p, &ret->product))
		return;
	ret->vendor = ret->product = 0;
}

/* The strings of the USB device; a HID device on another bus has its HID_* properties. */
static int read_strings(sd_device *hid, sd_device *usb, struct usbups_dev *ret)
{
	ret->mfr = dup_value(usb, "manufacturer", NULL);
	ret->model = dup_value(usb, "product", NULL);
	ret->serial = dup_value(usb, "serial", NULL);
	if (!ret->mfr || !ret->model || !ret->serial)
		return -ENOMEM;
	if (!ret->model[0] && hid) {
		free(ret->model);
		ret->model = dup_value(hid, NULL, "HID_NAME");
	}
	if (ret->model && !ret->serial[0] && hid) {
		free(ret->serial);
		ret->serial = dup_value(hid, NULL, "HID_UNIQ");
	}
	return ret->model && ret->serial ? 0 : -ENOMEM;
}

static int dev_fill(sd_device *d, struct usbups_dev *ret)
{
	sd_device *hid = NULL, *usb = NULL;
	const char *syspath, *node;
	int r;

	if (sd_device_get_syspath(d, &syspath) < 0 || sd_device_get_devname(d, &node) < 0)
		return -ENODEV;
	ret->syspath = strdup(syspath);
	ret->node = strdup(node);
	if (!ret->syspath || !ret->node)
		return -ENOMEM;
	/* Parents belong to the child: no unref. */
	(void)sd_device_get_parent_with_subsystem_devtype(d, "hid", NULL, &hid);
	(void)sd_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device", &usb);
	r = read_descriptor(hid, node, ret);
	if (r >= 0)
		r = is_power_device(ret);
	if (r < 0)
		return r;
	read_ids(hid, usb, ret);
	return read_strings(hid, usb, ret);
}

int usbups_dev_from_device(sd_device *d, struct usbups_dev *ret)
{
	struct usbups_dev dev = {0};
	int r = dev_fill(d, &dev);

	if (r < 0) {
		usbups_dev_done(&dev);
		return r;
	}
	*ret = dev;
	return 0;
}

void usbups_dev_done(struct usbups_dev *d)
{
	if (!d)
		return;
	free(d->syspath);
	free(d->node);
	free(d->mfr);
	free(d->model);
	free(d->serial);
	free(d->desc);
	*d = (struct usbups_dev){0};
}

void usbups_devs_free(struct usbups_dev *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		usbups_dev_done(&devs[i]);
	free(devs);
}

bool usbups_match_dev(const struct usbups_match *m, const struct usbups_dev *d)
{
	if (!m)
		return true;
	if (m->vendor != USBUPS_ANY && m->vendor != d->vendor)
		return false;
	if (m->product != USBUPS_ANY && m->product != d->product)
		return false;
	/* Serial numbers are compared as the device reports them, bar case. */
	return !m->serial || strcasecmp(m->serial, d->serial ? d->serial : "") == 0;
}

void usbups_match_format(const struct usbups_match *m, char *buf, size_t size)
{
	int n = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (m && m->vendor != USBUPS_ANY)
		n += snprintf(buf + n, size - (size_t)n, "vendor-id %04x", (unsigned)m->vendor);
	if (m && m->product != USBUPS_ANY && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "%sproduct-id %04x", n ? ", " : "",
			      (unsigned)m->product);
	if (m && m->serial && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "%sserial %s", n ? ", " : "", m->serial);
	if (n == 0)
		snprintf(buf, size, "any Power Device");
}

/* hidraw2 before hidraw10. */
static int dev_cmp(const void *a, const void *b)
{
	const struct usbups_dev *x = a, *y = b;
	size_t lx = strlen(x->node), ly = strlen(y->node);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->node, y->node);
}

static int enumerator_new(sd_device_enumerator **ret)
{
	sd_device_enumerator *e = NULL;
	int r = sd_device_enumerator_new(&e);

	if (r >= 0)
		r = sd_device_enumerator_add_match_subsystem(e, "hidraw", true);
	/* Before udev has seen them, and without a udev database (the shutdown hook). */
	if (r >= 0)
		r = sd_device_enumerator_allow_uninitialized(e);
	if (r < 0) {
		sd_device_enumerator_unref(e);
		return r;
	}
	*ret = e;
	return 0;
}

int usbups_enumerate(const struct usbups_match *m, struct usbups_dev **ret, size_t *n,
		     size_t *n_unreadable)
{
	_cleanup_(sd_device_enumerator_unrefp) sd_device_enumerator *e = NULL;
	struct usbups_dev *devs = calloc(USBUPS_DEVICES_MAX, sizeof(*devs));
	size_t k = 0, unreadable = 0, seen = 0;
	int r = devs ? enumerator_new(&e) : -ENOMEM;

	if (r < 0) {
		free(devs);
		return r;
	}
	for (sd_device *d = sd_device_enumerator_get_device_first(e);
	     d && seen < USBUPS_DEVICES_MAX; d = sd_device_enumerator_get_device_next(e), seen++) {
		r = usbups_dev_from_device(d, &devs[k]);
		if (r == -ENOMEM) {
			usbups_devs_free(devs, k);
			return r;
		}
		if (r < 0 && r != -ENODEV)
			unreadable++;
		if (r >= 0 && !usbups_match_dev(m, &devs[k]))
			usbups_dev_done(&devs[k]);
		else if (r >= 0)
			k++;
	}
	qsort(devs, k, sizeof(*devs), dev_cmp);
	if (n_unreadable)
		*n_unreadable = unreadable;
	if (k == 0) {
		free(devs);
		devs = NULL;
	}
	*ret = devs;
	*n = k;
	return 0;
}

static int on_uevent(sd_device_monitor *mon, sd_device *d, void *userdata)
{
	const struct usbups_hotplug *h = userdata;
	sd_device_action_t action;
	const char *syspath;

	if (sd_device_get_action(d, &action) < 0 || sd_device_get_syspath(d, &syspath) < 0)
		return 0;
	if (action == SD_DEVICE_ADD || action == SD_DEVICE_REMOVE)
		h->fn(action == SD_DEVICE_ADD, syspath, h->userdata);
	return 0;
}

int usbups_hotplug_start(struct usbups_hotplug *h, sd_event *e)
{
	sd_device_monitor *m = NULL;
	int r = sd_device_monitor_new(&m);

	if (r >= 0)
		r = sd_device_monitor_filter_add_match_subsystem_devtype(m, "hidraw", NULL);
	if (r >= 0)
		r = sd_device_monitor_attach_event(m, e);
	if (r >= 0)
		r = sd_device_monitor_start(m, on_uevent, h);
	if (r < 0) {
		sd_device_monitor_unref(m);
		return r;
	}
	h->monitor = m;
	return 0;
}

void usbups_hotplug_stop(struct usbups_hotplug *h)
{
	if (!h->monitor)
		return;
	(void)sd_device_monitor_stop(h->monitor);
	(void)sd_device_monitor_detach_event(h->monitor);
	h->monitor = sd_device_monitor_unref(h->monitor);
}
