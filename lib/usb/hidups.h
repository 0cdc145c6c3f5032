/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One UPS on hidraw, open: its report descriptor read from the node, parsed
 * and mapped (hid.h, hidpdc.h); feature reports polled, input reports read,
 * both decoded into one struct hidpdc_vars; the delays of killpower written.
 * No loop and no logging: the caller polls when its timer fires, reads when
 * the fd is readable, and says what went wrong from the results.
 *
 * Degrading per report: a feature report that fails is skipped for that
 * round, and the values only it gives are forgotten (unknown beats stale)
 * until it answers again; the other reports go on. Values an input report
 * gave stay: the UPS sends those when they change. A report that times out
 * ends the round, so an unresponsive UPS holds the caller for at most one
 * kernel control timeout (5 s) per round.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hid.h"
#include "hidpdc.h"
#include "hidraw.h"

struct hidups {
	int fd;
	char *node;
	struct hidraw_info info; /* zeros when the device would not say */
	char name[128];		 /* HIDIOCGRAWNAME: "" when the device would not say */
	struct hid_desc *desc;
	struct hidpdc map; /* borrows desc */
	struct hidpdc_vars vars;
	bool from_input[_HIDPDC_VAR_MAX]; /* the value came from an input report */
	uint8_t poll_ids[256];		  /* feature reports polled, ascending */
	size_t n_poll;
	int errors[256]; /* per report ID: 0, or -errno of its last GET_FEATURE */
	bool gone;	 /* the device went away: close it */
};

/*
 * Opens node and reads what the UPS is. Returns 0 and a new struct in *ret
 * (free with hidups_free()), or: -errno from open() or the descriptor ioctls;
 * -EBADMSG for a descriptor that does not parse; -ENODEV for one that is not
 * a Power Device or maps nothing. err (may be NULL) gets a sentence.
 */
int hidups_open(const char *node, struct hidups **ret, char *err, size_t errlen);
struct hidups *hidups_free(struct hidups *u);

/* Whether the open node is the device found earlier: a node may change hands in between. */
bool hidups_is(const struct hidups *u, uint16_t vendor, uint16_t product);

/*
 * One round of GET_FEATURE over the poll reports. Returns how many answered
 * (u->errors has the rest), or -ENODEV when the device is gone.
 */
int hidups_poll(struct hidups *u);

/*
 * Reads the input reports waiting (a bounded number per call) and decodes
 * those of the Power Device collections. Returns how many carried values,
 * 0 when none was waiting, -ENODEV when the device is gone, or -errno.
 */
int hidups_read_input(struct hidups *u);

/* ups.status tokens of the current values, as hidpdc_status(). */
int hidups_status(const struct hidups *u, char *buf, size_t size);

/*
 * Sets a delay (killpower): reads the report first where the device allows,
 * so that the other fields in it keep their values, then SET_FEATURE. *sent
 * (size bytes) gets the bytes written, ID first, and the return value is
 * their length; *effective gets the delay the UPS was given, in seconds,
 * after rounding to its unit (CyberPower counts minutes). -ENOENT without
 * such a control, -ERANGE when the delay does not fit, or -errno.
 */
int hidups_set_delay(struct hidups *u, enum hidpdc_ctl c, int32_t seconds, uint8_t *sent,
		     size_t size, double *effective);

/* The same without writing: what would be sent, and the delay it means. */
int hidups_build_delay(struct hidups *u, enum hidpdc_ctl c, int32_t seconds, uint8_t *buf,
		       size_t size, double *effective);
