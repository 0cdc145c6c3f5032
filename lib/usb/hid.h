/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HID report descriptor parser. Pure: bytes in, a flat list of fields out;
 * no I/O, no logging.
 *
 * Every descriptor ends in a result or in a clear error: -EBADMSG for a
 * descriptor whose structure is broken (a truncated item, End Collection or
 * Pop with nothing open, report ID 0), -E2BIG when a bound below is exceeded.
 * Oddities that real devices ship (Constant on live data, a logical maximum
 * written as -1, reserved items, Usage Minimum > Maximum, report size 0) are
 * tolerated per field and recorded as notes, never fatal for the device.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HID_DESC_SIZE_MAX    4096 /* the kernel's HID_MAX_DESCRIPTOR_SIZE */
#define HID_FIELDS_MAX	     4096 /* fields of one descriptor */
#define HID_COLLECTIONS_MAX  1024 /* collections of one descriptor */
#define HID_DEPTH_MAX	     32	  /* collection nesting */
#define HID_STACK_MAX	     16	  /* Push without Pop */
#define HID_LOCAL_USAGES_MAX 256  /* Usage items (or ranges) before one main item */
#define HID_REPORT_SIZE_MAX  4096 /* bytes of one report, the report ID excluded */
#define HID_NOTES_MAX	     8	  /* notes kept; more are only counted */
#define HID_VALUE_BITS_MAX   32	  /* widest field whose value can be read */

/* A usage: page in the high 16 bits, id in the low 16 bits. */
#define HID_USAGE(page, id) (((uint32_t)(page) << 16) | (uint32_t)(id))
#define HID_USAGE_PAGE(u)   ((uint16_t)((u) >> 16))
#define HID_USAGE_ID(u)	    ((uint16_t)((u)&0xffff))

#define HID_NO_COLLECTION UINT16_MAX

enum hid_kind {
	HID_KIND_INPUT,
	HID_KIND_OUTPUT,
	HID_KIND_FEATURE,
	_HID_KIND_MAX,
};

/* Main item data bits, as the HID specification numbers them. */
enum {
	HID_FLAG_CONSTANT = 1 << 0,
	HID_FLAG_VARIABLE = 1 << 1,
	HID_FLAG_RELATIVE = 1 << 2,
	HID_FLAG_WRAP = 1 << 3,
	HID_FLAG_NONLINEAR = 1 << 4,
	HID_FLAG_NO_PREFERRED = 1 << 5,
	HID_FLAG_NULL_STATE = 1 << 6,
	HID_FLAG_VOLATILE = 1 << 7,
	HID_FLAG_BUFFERED_BYTES = 1 << 8,
};

struct hid_collection {
	uint32_t usage;	 /* 0 when the collection had no Usage */
	uint8_t type;	 /* any byte: vendors use 0x80..0xFF */
	uint8_t depth;	 /* 0 for a top-level collection */
	uint16_t parent; /* index, HID_NO_COLLECTION at the top */
};

/*
 * One run of report elements with the same usage. A Variable main item gives
 * one field per usage; elements past the last usage repeat it and share one
 * field with count > 1 (a buffer). An Array main item gives one field whose
 * elements hold usage indexes, with `usage` its first usage.
 */
struct hid_field {
	uint32_t usage;	      /* HID_USAGE(page, 0) when the main item had none */
	uint16_t collection;  /* innermost collection, or HID_NO_COLLECTION */
	uint8_t kind;	      /* enum hid_kind */
	uint8_t report_id;    /* 0 when the descriptor uses no report IDs */
	uint32_t bit_offset;  /* from the first byte after the report ID */
	uint16_t bit_size;    /* of one element */
	uint16_t count;	      /* elements, each bit_size wide */
	uint16_t flags;	      /* HID_FLAG_* */
	uint8_t string_index; /* String Index local item, 0 if none */
	int8_t unit_exponent;
	uint32_t unit;
	int64_t logical_min, logical_max;   /* maximum already read unsigned where needed */
	int64_t physical_min, physical_max; /* both 0: same as logical */
};

struct hid_note {
	size_t offset;	  /* byte offset of the item in the descriptor */
	const char *what; /* static text */
};

/* The parse result: owned by the caller, free with hid_desc_free(). */
struct hid_desc {
	struct hid_field *fields;
	size_t n_fields;
	struct hid_collection *collections;
	size_t n_collections;
	bool numbered; /* reports carry a report ID byte */
	uint32_t report_bits[_HID_KIND_MAX][256];
	struct hid_note notes[HID_NOTES_MAX];
	size_t n_notes; /* may exceed HID_NOTES_MAX: only the first ones are kept */
};

/* Where and why parsing failed. */
struct hid_error {
	size_t offset;
	const char *what;
};

/*
 * Parse a report descriptor. On success *ret owns a new struct hid_desc. On
 * failure returns -EBADMSG, -E2BIG or -ENOMEM, leaves *ret alone and, when err
 * is not NULL, says at which byte and why.
 */
int hid_parse(const uint8_t *data, size_t size, struct hid_desc **ret, struct hid_error *err);
struct hid_desc *hid_desc_free(struct hid_desc *d);

/* Bytes of one report as declared, the report ID byte excluded; 0 if none. */
size_t hid_report_size(const struct hid_desc *d, enum hid_kind kind, uint8_t id);

const char *hid_kind_name(enum hid_kind kind);

/*
 * The usages of the collections around a field, outermost first. Returns the
 * depth (which may exceed n: then only the outer n are stored).
 */
size_t hid_field_path(const struct hid_desc *d, const struct hid_field *f, uint32_t *usages,
		      size_t n);

/* Whether one of the collections around the field has this usage. */
bool hid_field_within(const struct hid_desc *d, const struct hid_field *f, uint32_t usage);

/*
 * Read element `index` of a field from report data (report ID byte not
 * included), sign-extended when the logical minimum is negative. -ENODATA
 * when the report is too short, -EOVERFLOW for fields wider than 32 bits.
 */
int hid_field_get(const struct hid_field *f, unsigned index, const uint8_t *data, size_t len,
		  int64_t *ret);

/* Write element `index`; -ERANGE when the value does not fit the field. */
int hid_field_put(const struct hid_field *f, unsigned index, uint8_t *data, size_t len,
		  int64_t value);

bool hid_field_in_range(const struct hid_field *f, int64_t raw);

/* Physical value of a raw value: the logical range mapped onto the physical. */
double hid_field_physical(const struct hid_field *f, int64_t raw);

/* The inverse, rounded up so that a delay is never shortened. */
int hid_field_from_physical(const struct hid_field *f, double physical, int64_t *ret);

/*
 * Decimal exponent of the unit's base in the SI linear system (centimetre,
 * gram): 7 for volt, watt and volt-ampere, 0 for second, ampere, hertz,
 * kelvin and for no unit. Value in SI units = physical x 10^(exp - base).
 */
int hid_unit_base_exponent(uint32_t unit);

/* 10^e, exact for the small exponents of HID units; no libm needed. */
double hid_pow10(int e);

/* 10^(unit exponent - base exponent of the unit) for one field. */
double hid_field_scale(const struct hid_field *f);
