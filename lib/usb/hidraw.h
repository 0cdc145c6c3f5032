/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux hidraw transport: one open /dev/hidrawN, its ioctls and its input
 * reports. Thin and stateless: file descriptors in, bytes and -errno out, no
 * logging, no allocation.
 *
 * Report buffers follow the kernel's convention for ioctls: byte 0 is the
 * report ID (0 on a device without report IDs), the data follows. read()
 * returns input reports as the device sends them: with the ID byte only when
 * the device numbers its reports.
 *
 * Errors a report can give, as the kernel passes them on:
 *   -EPIPE      the device stalled the request: it does not have that report;
 *   -EIO, -EPROTO, -EILSEQ, -ETIMEDOUT
 *               the transfer failed, maybe only this time;
 *   -ENODEV, -ESHUTDOWN, -ENXIO
 *               the device is gone (unplugged); hidraw_gone() says so.
 * A read() on a node whose device went away fails with -EIO and poll()
 * reports POLLHUP: callers of hidraw_read() treat -EIO as gone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel caps one report at 16 KiB; an ioctl length has 14 bits. */
#define HIDRAW_REPORT_MAX 16383
/* The smallest buffer a GET_FEATURE uses: some units send more than they declare. */
#define HIDRAW_FEATURE_MIN 64

struct hidraw_info {
	uint32_t bus; /* BUS_USB (3), ... */
	uint16_t vendor, product;
};

/* Opens a node read/write, non-blocking, close-on-exec. Returns the fd or -errno. */
int hidraw_open(const char *node);

int hidraw_get_info(int fd, struct hidraw_info *ret);

/* The device's name (HIDIOCGRAWNAME), NUL-terminated. Returns its length or -errno. */
int hidraw_get_name(int fd, char *buf, size_t size);

/* The report descriptor. Returns its length, -EMSGSIZE when it exceeds size, or -errno. */
int hidraw_get_descriptor(int fd, uint8_t *buf, size_t size);

/*
 * GET_FEATURE of report id into buf (size bytes at most, HIDRAW_REPORT_MAX
 * at most). Returns the bytes the device answered, ID byte included (so at
 * least 1), -EBADMSG for an empty answer or one that carries another report
 * ID, or -errno.
 */
int hidraw_get_feature(int fd, uint8_t id, uint8_t *buf, size_t size);

/* SET_FEATURE: buf[0] is the report ID (0 when the device has none). Returns 0 or -errno. */
int hidraw_set_feature(int fd, const uint8_t *buf, size_t len);

/* One input report. Returns its length, -EAGAIN when none is waiting (also for an
 * empty read), or -errno. */
int hidraw_read(int fd, uint8_t *buf, size_t size);

/* Whether an error (-errno; never a length) means the device is no longer there. */
bool hidraw_gone(int error);

/* What an error means for a report, for messages: "the UPS refused the request". */
const char *hidraw_error_meaning(int error);
