/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USB HID Power Device Class mapping: from the fields of a parsed report
 * descriptor and raw report bytes to the variables a UPS server reports
 * (ups.status tokens, battery.charge, battery.runtime, voltages, load).
 * Pure: no I/O, no logging, no clock, no allocation.
 *
 * Use from an event loop:
 *   hidpdc_map() once per descriptor;
 *   hidpdc_poll_reports(): the feature reports to GET on every poll;
 *   hidpdc_input_known(): whether an input report read from the device is ours;
 *   hidpdc_decode() for every report read, into one struct hidpdc_vars;
 *   hidpdc_status() / hidpdc_vars_format() to print them;
 *   hidpdc_control_report() to build the SET_FEATURE bytes for killpower.
 *
 * Real devices are quirky; every quirk degrades one field, never the device:
 * vendor pages are ignored, Constant fields are read (CyberPower and Eaton mark
 * live data Constant), flags that are whole bytes mean "non-zero", values
 * outside their declared logical range are kept, voltages whose unit exponent
 * gives an absurd value are retried as "exponent = decimals" and otherwise
 * dropped, and a variable found in several reports is taken from the best
 * placed copy (UPS.PowerSummary first).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hid.h"

#define HIDPDC_PAGE_POWER   0x84
#define HIDPDC_PAGE_BATTERY 0x85
#define HIDPDC_BINDINGS_MAX 256

/* The usages this module refers to by name (Power Device page 0x84, Battery System page 0x85). */
enum hidpdc_usage {
	HIDPDC_PRESENT_STATUS = HID_USAGE(0x84, 0x02),
	HIDPDC_UPS = HID_USAGE(0x84, 0x04),
	HIDPDC_POWER_SUPPLY = HID_USAGE(0x84, 0x05),
	HIDPDC_BATTERY_SYSTEM = HID_USAGE(0x84, 0x10),
	HIDPDC_BATTERY = HID_USAGE(0x84, 0x12),
	HIDPDC_POWER_CONVERTER = HID_USAGE(0x84, 0x16),
	HIDPDC_INPUT = HID_USAGE(0x84, 0x1a),
	HIDPDC_OUTPUT = HID_USAGE(0x84, 0x1c),
	HIDPDC_POWER_SUMMARY = HID_USAGE(0x84, 0x24),
	HIDPDC_VOLTAGE = HID_USAGE(0x84, 0x30),
	HIDPDC_PERCENT_LOAD = HID_USAGE(0x84, 0x35),
	HIDPDC_DELAY_BEFORE_STARTUP = HID_USAGE(0x84, 0x56),
	HIDPDC_DELAY_BEFORE_SHUTDOWN = HID_USAGE(0x84, 0x57),
	HIDPDC_OVERLOAD = HID_USAGE(0x84, 0x65),
	HIDPDC_SHUTDOWN_IMMINENT = HID_USAGE(0x84, 0x69),
	HIDPDC_BOOST = HID_USAGE(0x84, 0x6e),
	HIDPDC_BUCK = HID_USAGE(0x84, 0x6f),
	HIDPDC_I_MANUFACTURER = HID_USAGE(0x84, 0xfd),
	HIDPDC_I_PRODUCT = HID_USAGE(0x84, 0xfe),
	HIDPDC_I_SERIAL_NUMBER = HID_USAGE(0x84, 0xff),
	HIDPDC_REMAINING_CAPACITY_LIMIT = HID_USAGE(0x85, 0x29),
	HIDPDC_REMAINING_TIME_LIMIT = HID_USAGE(0x85, 0x2a),
	HIDPDC_BELOW_REMAINING_CAPACITY_LIMIT = HID_USAGE(0x85, 0x42),
	HIDPDC_REMAINING_TIME_LIMIT_EXPIRED = HID_USAGE(0x85, 0x43),
	HIDPDC_CHARGING = HID_USAGE(0x85, 0x44),
	HIDPDC_DISCHARGING = HID_USAGE(0x85, 0x45),
	HIDPDC_NEED_REPLACEMENT = HID_USAGE(0x85, 0x4b),
	HIDPDC_REMAINING_CAPACITY = HID_USAGE(0x85, 0x66),
	HIDPDC_RUN_TIME_TO_EMPTY = HID_USAGE(0x85, 0x68),
	HIDPDC_AC_PRESENT = HID_USAGE(0x85, 0xd0),
};

/* What a device reports. Values in SI units: %, s, V; flags 0/1. */
enum hidpdc_var {
	HIDPDC_VAR_BATTERY_CHARGE,
	HIDPDC_VAR_BATTERY_CHARGE_LOW,
	HIDPDC_VAR_BATTERY_RUNTIME,
	HIDPDC_VAR_BATTERY_RUNTIME_LOW,
	HIDPDC_VAR_BATTERY_VOLTAGE,
	HIDPDC_VAR_INPUT_VOLTAGE,
	HIDPDC_VAR_OUTPUT_VOLTAGE,
	HIDPDC_VAR_UPS_LOAD,
	HIDPDC_VAR_TIMER_SHUTDOWN, /* seconds left, -1 = no countdown */
	HIDPDC_VAR_TIMER_START,
	HIDPDC_VAR_AC_PRESENT,
	HIDPDC_VAR_CHARGING,
	HIDPDC_VAR_DISCHARGING,
	HIDPDC_VAR_BELOW_CAPACITY_LIMIT,
	HIDPDC_VAR_TIME_LIMIT_EXPIRED,
	HIDPDC_VAR_SHUTDOWN_IMMINENT,
	HIDPDC_VAR_NEED_REPLACEMENT,
	HIDPDC_VAR_OVERLOAD,
	HIDPDC_VAR_BOOST,
	HIDPDC_VAR_BUCK,
	HIDPDC_VAR_I_MANUFACTURER, /* USB string descriptor indexes */
	HIDPDC_VAR_I_PRODUCT,
	HIDPDC_VAR_I_SERIAL,
	_HIDPDC_VAR_MAX,
};

enum hidpdc_string {
	HIDPDC_STRING_MANUFACTURER, /* device.mfr */
	HIDPDC_STRING_PRODUCT,	    /* device.model */
	HIDPDC_STRING_SERIAL,	    /* device.serial */
	_HIDPDC_STRING_MAX,
};

enum hidpdc_ctl {
	HIDPDC_CTL_DELAY_SHUTDOWN,
	HIDPDC_CTL_DELAY_STARTUP,
	_HIDPDC_CTL_MAX,
};

/* Where the low-battery decision can come from on a device. */
enum {
	HIDPDC_LB_SHUTDOWN_IMMINENT = 1 << 0,	 /* the UPS's flag */
	HIDPDC_LB_BELOW_CAPACITY_LIMIT = 1 << 1, /* the UPS's flag */
	HIDPDC_LB_TIME_LIMIT_EXPIRED = 1 << 2,	 /* the UPS's flag */
	HIDPDC_LB_CHARGE_VS_LIMIT = 1 << 3,	 /* RemainingCapacity <= RemainingCapacityLimit */
	HIDPDC_LB_RUNTIME_VS_LIMIT = 1 << 4,	 /* RunTimeToEmpty <= RemainingTimeLimit */
};

/* How a value was obtained. */
enum {
	HIDPDC_VALUE_UNDECLARED = 1 << 0, /* outside the field's logical range, kept */
	HIDPDC_VALUE_RESCALED = 1 << 1,	  /* unit exponent read as decimals */
};

struct hidpdc_value {
	bool set;
	uint8_t rank;  /* of the copy it came from: lower is better placed */
	uint8_t flags; /* HIDPDC_VALUE_* */
	double value;
};

/* The decoded state of one device; caller-owned, start with hidpdc_vars_init(). */
struct hidpdc_vars {
	struct hidpdc_value v[_HIDPDC_VAR_MAX];
};

struct hidpdc_binding {
	uint16_t field; /* index into desc->fields */
	uint8_t var;	/* enum hidpdc_var */
	uint8_t rank;
};

/*
 * The mapping of one descriptor. Plain caller-owned struct: nothing to free,
 * but it borrows `desc`, which must outlive it.
 */
struct hidpdc {
	const struct hid_desc *desc;
	struct hidpdc_binding bindings[HIDPDC_BINDINGS_MAX];
	size_t n_bindings;
	int32_t controls[_HIDPDC_CTL_MAX];   /* field index, -1 when absent */
	int32_t strings[_HIDPDC_STRING_MAX]; /* field index, -1 when absent */
};

/* Whether the descriptor describes a UPS: PDC collections or usages. */
bool hidpdc_is_power_device(const struct hid_desc *d);

/* Returns the number of bindings, or -ENODEV when no field maps to a variable. */
int hidpdc_map(const struct hid_desc *d, struct hidpdc *ret);

bool hidpdc_has(const struct hidpdc *m, enum hidpdc_var var);
unsigned hidpdc_lb_sources(const struct hidpdc *m);

/* Feature report IDs that carry live variables, ascending. Returns how many (may exceed n). */
size_t hidpdc_poll_reports(const struct hidpdc *m, uint8_t *ids, size_t n);

/* Whether an input report with this ID carries anything we map. */
bool hidpdc_input_known(const struct hidpdc *m, uint8_t id);

void hidpdc_vars_init(struct hidpdc_vars *v);

/*
 * Decode one report (data after the report ID byte). Fields the report is too
 * short for are skipped. Returns how many variables were set, 0 for a report
 * that carries nothing we map.
 */
int hidpdc_decode(const struct hidpdc *m, enum hid_kind kind, uint8_t id, const uint8_t *data,
		  size_t len, struct hidpdc_vars *v);

/* The same for a buffer as hidraw returns it: byte 0 is the ID when the device numbers reports. */
int hidpdc_decode_buffer(const struct hidpdc *m, enum hid_kind kind, const uint8_t *buf, size_t len,
			 struct hidpdc_vars *v);

/*
 * LB: ShutdownImminent or BelowRemainingCapacityLimit or
 * RemainingTimeLimitExpired where the UPS reports them; charge and runtime
 * against their limits where it does not.
 */
bool hidpdc_low_battery(const struct hidpdc_vars *v);

/* ups.status tokens ("OL CHRG"). Returns the length, -ENOBUFS when it does not fit. */
int hidpdc_status(const struct hidpdc_vars *v, char *buf, size_t size);

/* "name: value" lines, ups.status first. Returns the length or -ENOBUFS. */
int hidpdc_vars_format(const struct hidpdc_vars *v, char *buf, size_t size);

/*
 * A measurement or timer as hidpdc_vars_format() writes it ("230", "13.5",
 * "-1"): the length, -ENOENT for a flag, a string index or a value not set,
 * -ENOBUFS when it does not fit.
 */
int hidpdc_var_value(const struct hidpdc_vars *v, enum hidpdc_var var, char *buf, size_t size);

/* Variable name ("battery.charge"), or the usage name for flags and string indexes. */
const char *hidpdc_var_name(enum hidpdc_var var);

/*
 * The USB string descriptor index the caller must fetch for device.mfr,
 * device.model or device.serial: the value read from the device's report when
 * decoded, else the descriptor's String Index item. -ENODATA when the report
 * has not been read yet and the descriptor gives no index, -ENOENT when the
 * device has no such usage.
 */
int hidpdc_string_index(const struct hidpdc *m, const struct hidpdc_vars *v, enum hidpdc_string s);

/* The feature field holding that string index (read it once), or NULL. */
const struct hid_field *hidpdc_string_field(const struct hidpdc *m, enum hidpdc_string s);

/* The writable feature field of a control (report ID, offset, size), or NULL. */
const struct hid_field *hidpdc_control(const struct hidpdc *m, enum hidpdc_ctl c);

/*
 * Build the SET_FEATURE bytes that set a delay, in seconds (negative: cancel,
 * written as -1 where the field allows it). buf holds the current report as
 * read (or zeros): only the field's bits change, byte 0 becomes the report ID
 * when the device numbers reports. Seconds are converted through the
 * physical range and unit exponent and rounded up (CyberPower counts minutes).
 * Returns the report length, -ENOENT without such a control, -ERANGE when the
 * value does not fit, -ENOBUFS when buf is too small.
 */
int hidpdc_control_report(const struct hidpdc *m, enum hidpdc_ctl c, int32_t seconds, uint8_t *buf,
			  size_t size);

/* The specification's name of a Power Device or Battery System usage, NULL if unknown. */
const char *hidpdc_usage_name(uint32_t usage);

bool hidpdc_usage_is_pdc(uint32_t usage);

/*
 * One line for a debugging tool: collection path and usage name, page:id,
 * report kind, report ID, bit offset, bit size, logical and physical range,
 * unit exponent, unit, flags. Returns the length or -ENOBUFS.
 */
int hidpdc_field_format(const struct hid_desc *d, const struct hid_field *f, char *buf,
			size_t size);
