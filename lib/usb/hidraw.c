/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hidraw.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/hidraw.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "macro.h"

int hidraw_open(const char *node)
{
	int fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

/* ioctl() with EINTR retried, as -errno. */
static int do_ioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int hidraw_get_info(int fd, struct hidraw_info *ret)
{
	struct hidraw_devinfo info = {0};
	int r = do_ioctl(fd, HIDIOCGRAWINFO, &info);

	if (r < 0)
		return r;
	*ret = (struct hidraw_info){.bus = info.bustype,
				    .vendor = (uint16_t)info.vendor,
				    .product = (uint16_t)info.product};
	return 0;
}

int hidraw_get_name(int fd, char *buf, size_t size)
{
	int r;

	if (size == 0 || size > HIDRAW_REPORT_MAX)
		return -EINVAL;
	memset(buf, 0, size);
	r = do_ioctl(fd, HIDIOCGRAWNAME(size), buf);
	if (r < 0)
		return r;
	buf[size - 1] = '\0';
	return (int)strlen(buf);
}

int hidraw_get_descriptor(int fd, uint8_t *buf, size_t size)
{
	/* 4 KiB plus the size field: on the heap, not the stack. */
	_cleanup_free_ struct hidraw_report_descriptor *rd = calloc(1, sizeof(*rd));
	int len = 0, r;

	if (!rd)
		return -ENOMEM;
	r = do_ioctl(fd, HIDIOCGRDESCSIZE, &len);
	if (r < 0)
		return r;
	if (len <= 0 || (size_t)len > sizeof(rd->value))
		return -EBADMSG;
	if ((size_t)len > size)
		return -EMSGSIZE;
	rd->size = (uint32_t)len;
	r = do_ioctl(fd, HIDIOCGRDESC, rd);
	if (r < 0)
		return r;
	memcpy(buf, rd->value, (size_t)len);
	return len;
}

int hidraw_get_feature(int fd, uint8_t id, uint8_t *buf, size_t size)
{
	int r;

	if (size < 2 || size > HIDRAW_REPORT_MAX)
		return -EINVAL;
	memset(buf, 0, size);
	buf[0] = id;
	r = do_ioctl(fd, HIDIOCGFEATURE(size), buf);
	if (r < 0)
		return r;
	/* A device that answers another report would have its bytes read
	 * with the wrong layout: a wrong value, not a missing one. */
	if (r == 0 || (size_t)r > size || buf[0] != id)
		return -EBADMSG;
	return r;
}

int hidraw_set_feature(int fd, const uint8_t *buf, size_t len)
{
	_cleanup_free_ uint8_t *copy = NULL;
	int r;

	if (len < 1 || len > HIDRAW_REPORT_MAX)
		return -EINVAL;
	/* The ioctl may write into its argument; the caller's bytes stay as they are. */
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	r = do_ioctl(fd, HIDIOCSFEATURE(len), copy);
	return r < 0 ? r : 0;
}

int hidraw_read(int fd, uint8_t *buf, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* hidraw never returns an empty report (a node that goes away says EIO
	 * and POLLHUP); a terminal in raw mode, as umockdev emulates the node,
	 * says 0 for "nothing waiting". */
	return n == 0 ? -EAGAIN : (int)n;
}

bool hidraw_gone(int error)
{
	return error == -ENODEV || error == -ESHUTDOWN || error == -ENXIO || error == -ENOENT;
}

const char *hidraw_error_meaning(int error)
{
	switch (error < 0 ? -error : error) {
	case EPIPE:
		return "the UPS refused the request";
	case EIO:
	case EPROTO:
	case EILSEQ:
		return "the transfer failed";
	case ETIMEDOUT:
		return "the UPS did not answer in time";
	case EBADMSG:
		return "the answer is not that report";
	case ENODEV:
	case ESHUTDOWN:
	case ENXIO:
	case ENOENT:
		return "the UPS is gone";
	case EACCES:
	case EPERM:
		return "no permission on the device node";
	default:
		return "unexpected error";
	}
}
