/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding UPSes on USB with sd-device: hidraw devices whose report
 * descriptor describes a Power Device or a Battery System (USB HID Power
 * Device Class), whatever their vendor ID, and their hot-plug.
 *
 * The descriptor comes from sysfs (report_descriptor of the HID device, which
 * everyone may read), so looking at every hidraw device needs no access to the
 * nodes of keyboards and security keys; from the node (HIDIOCGRDESC) only
 * where sysfs has none. Vendor, product and serial come from the HID device's
 * uevent properties and the USB device's attributes (the strings its USB
 * descriptors name), because hidraw cannot fetch USB string descriptors.
 *
 * Devices udev has not processed yet count too: the agent may start before
 * udev, and the hook that runs killpower runs after it is gone.
 *
 * Library module: logs at debug level only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#define USBUPS_ANY (-1)

/* Which device a ups section means; every field may be left open. */
struct usbups_match {
	int32_t vendor, product; /* USBUPS_ANY or 0..0xffff */
	const char *serial;	 /* NULL: any */
};

/* One Power Device; owned by the caller, freed with usbups_dev_done(). */
struct usbups_dev {
	char *syspath; /* of the hidraw device */
	char *node;    /* /dev/hidrawN */
	uint16_t vendor, product;
	char *mfr, *model, *serial; /* "" when the device does not say */
	uint8_t *desc;		    /* the report descriptor */
	size_t desc_len;
};

/*
 * Reads what a hidraw device is. Returns 0, -ENODEV when it is not a Power
 * Device (or has no node), -EBADMSG when its descriptor does not parse, or
 * -errno when the descriptor cannot be read at all.
 */
int usbups_dev_from_device(sd_device *d, struct usbups_dev *ret);
void usbups_dev_done(struct usbups_dev *d);

bool usbups_match_dev(const struct usbups_match *m, const struct usbups_dev *d);

/* "vendor-id 051d, serial 3B1234X56789" or "any"; for messages. */
void usbups_match_format(const struct usbups_match *m, char *buf, size_t size);

/*
 * Every Power Device on hidraw that m selects (NULL: all), ordered by node
 * (hidraw2 before hidraw10). *n_unreadable, when given, counts the hidraw
 * devices whose descriptor could not be read. Returns 0 and a new array in
 * *ret (free it with usbups_devs_free(); NULL when n is 0), or -errno.
 */
int usbups_enumerate(const struct usbups_match *m, struct usbups_dev **ret, size_t *n,
		     size_t *n_unreadable);
void usbups_devs_free(struct usbups_dev *devs, size_t n);

/*
 * Hot-plug of hidraw devices, on the loop: fn(added, syspath, userdata) for
 * each "add" and "remove" uevent. The caller owns the struct, fills fn and
 * userdata, and keeps it at its address from usbups_hotplug_start() (0 or
 * -errno) to usbups_hotplug_stop() (NULL-safe, idempotent).
 */
typedef void (*usbups_hotplug_fn)(bool added, const char *syspath, void *userdata);

struct usbups_hotplug {
	usbups_hotplug_fn fn;
	void *userdata;
	sd_device_monitor *monitor; /* owned */
};

int usbups_hotplug_start(struct usbups_hotplug *h, sd_event *e);
void usbups_hotplug_stop(struct usbups_hotplug *h);
