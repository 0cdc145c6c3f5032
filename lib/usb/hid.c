/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

enum item_type {
	ITEM_MAIN = 0,
	ITEM_GLOBAL = 1,
	ITEM_LOCAL = 2,
	ITEM_RESERVED = 3,
};

#define LONG_ITEM_PREFIX 0xfe

struct item {
	size_t offset;
	uint8_t type;
	uint8_t tag;
	uint8_t size; /* data bytes: 0, 1, 2 or 4 */
	uint32_t u;   /* data read unsigned */
	int32_t s;    /* data read signed, sign taken from the item size */
};

/* The global state that Push and Pop save and restore. */
struct globals {
	uint16_t page;
	int64_t logical_min, logical_max;
	int64_t physical_min, physical_max;
	uint8_t logical_max_size, physical_max_size;
	int8_t unit_exponent;
	uint32_t unit;
	uint32_t report_size;
	uint32_t report_count;
	uint8_t report_id;
};

struct usage_range {
	uint32_t first, last;
};

struct locals {
	struct usage_range usages[HID_LOCAL_USAGES_MAX];
	size_t n_usages;
	uint32_t min, max;
	bool has_min, has_max;
	uint8_t string_index;
};

struct parser {
	const uint8_t *data;
	size_t size;
	struct hid_desc *desc;
	struct globals g;
	struct globals stack[HID_STACK_MAX];
	size_t n_stack;
	struct locals l;
	uint16_t open[HID_DEPTH_MAX];
	size_t depth;
	size_t fields_alloc;
	struct hid_error err;
};

static int fail(struct parser *p, const struct item *it, int r, const char *what)
{
	p->err.offset = it->offset;
	p->err.what = what;
	return r;
}

static void note(struct parser *p, const struct item *it, const char *what)
{
	struct hid_desc *d = p->desc;

	if (d->n_notes < HID_NOTES_MAX)
		d->notes[d->n_notes] = (struct hid_note){.offset = it->offset, .what = what};
	d->n_notes++;
}

static uint32_t usage_count(const struct usage_range *r)
{
	return r->last - r->first + 1;
}

/* The usage of element i: usages in declaration order, the last one repeating. */
static uint32_t usage_at(const struct locals *l, uint64_t i)
{
	for (size_t k = 0; k < l->n_usages; k++) {
		if (i < usage_count(&l->usages[k]))
			return l->usages[k].first + (uint32_t)i;
		i -= usage_count(&l->usages[k]);
	}
	return l->n_usages > 0 ? l->usages[l->n_usages - 1].last : 0;
}

static uint64_t usages_total(const struct locals *l)
{
	uint64_t n = 0;

	for (size_t k = 0; k < l->n_usages; k++)
		n += usage_count(&l->usages[k]);
	return n;
}

static int field_append(struct parser *p, const struct item *it, const struct hid_field *f)
{
	struct hid_desc *d = p->desc;

	if (d->n_fields >= HID_FIELDS_MAX)
		return fail(p, it, -E2BIG, "too many fields");
	if (d->n_fields == p->fields_alloc) {
		size_t n = p->fields_alloc ? p->fields_alloc * 2 : 64;
		struct hid_field *nf = realloc(d->fields, n * sizeof(*nf));

		if (!nf)
			return fail(p, it, -ENOMEM, "out of memory");
		d->fields = nf;
		p->fields_alloc = n;
	}
	d->fields[d->n_fields++] = *f;
	return 0;
}

/*
 * Devices write 0..255 as "15 00 25 ff", which read signed is 0..-1. When the
 * maximum lies below a non-negative minimum, read it unsigned in its item size.
 */
static int64_t fix_maximum(struct parser *p, const struct item *it, int64_t min, int64_t max,
			   uint8_t size)
{
	uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (max >= min || min < 0 || size == 0)
		return max;
	note(p, it, "maximum below minimum: read unsigned");
	return (int64_t)((uint64_t)max & mask);
}

static void field_template(struct parser *p, const struct item *it, enum hid_kind kind,
			   struct hid_field *f)
{
	const struct globals *g = &p->g;

	*f = (struct hid_field){
	    .collection = p->depth > 0 ? p->open[p->depth - 1] : HID_NO_COLLECTION,
	    .kind = (uint8_t)kind,
	    .report_id = g->report_id,
	    .bit_offset = p->desc->report_bits[kind][g->report_id],
	    .bit_size = (uint16_t)g->report_size,
	    .count = 1,
	    .flags = (uint16_t)it->u,
	    .string_index = p->l.string_index,
	    .unit_exponent = g->unit_exponent,
	    .unit = g->unit,
	    .logical_min = g->logical_min,
	    .physical_min = g->physical_min,
	};
	f->logical_max = fix_maximum(p, it, g->logical_min, g->logical_max, g->logical_max_size);
	f->physical_max = g->physical_max;
	if (g->physical_min != 0 || g->physical_max != 0)
		f->physical_max =
		    fix_maximum(p, it, g->physical_min, g->physical_max, g->physical_max_size);
}

/* One field per usage; elements past the last usage share the last field. */
static int add_variable(struct parser *p, const struct item *it, struct hid_field *f)
{
	uint64_t total = usages_total(&p->l);
	uint32_t count = p->g.report_count;
	uint32_t n = total < count ? (uint32_t)total : count;
	int r;

	for (uint32_t i = 0; i < n; i++) {
		struct hid_field e = *f;

		e.usage = usage_at(&p->l, i);
		e.bit_offset = f->bit_offset + i * (uint32_t)f->bit_size;
		e.count = (uint16_t)(i + 1 == n ? count - i : 1);
		r = field_append(p, it, &e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_fields(struct parser *p, const struct item *it, enum hid_kind kind)
{
	const struct globals *g = &p->g;
	uint32_t *bits = &p->desc->report_bits[kind][g->report_id];
	uint64_t size = (uint64_t)g->report_size * g->report_count;
	struct hid_field f;

	if (g->report_size > HID_REPORT_SIZE_MAX * 8 || g->report_count > HID_REPORT_SIZE_MAX * 8 ||
	    *bits + size > HID_REPORT_SIZE_MAX * 8)
		return fail(p, it, -E2BIG, "report too long");
	if (size == 0) {
		note(p, it, "main item without bits");
		return 0;
	}
	field_template(p, it, kind, &f);
	*bits += (uint32_t)size;
	if (p->l.n_usages == 0) {
		/* Constant without usage is padding; data without usage is kept. */
		if (it->u & HID_FLAG_CONSTANT)
			return 0;
		f.usage = HID_USAGE(g->page, 0);
		f.count = (uint16_t)g->report_count;
		return field_append(p, it, &f);
	}
	if (!(it->u & HID_FLAG_VARIABLE)) {
		f.usage = usage_at(&p->l, 0);
		f.count = (uint16_t)g->report_count;
		return field_append(p, it, &f);
	}
	return add_variable(p, it, &f);
}

static int open_collection(struct parser *p, const struct item *it)
{
	struct hid_desc *d = p->desc;
	struct hid_collection *c;

	if (p->depth >= HID_DEPTH_MAX)
		return fail(p, it, -E2BIG, "collections nested too deep");
	if (d->n_collections >= HID_COLLECTIONS_MAX)
		return fail(p, it, -E2BIG, "too many collections");
	if (!d->collections) {
		d->collections = calloc(HID_COLLECTIONS_MAX, sizeof(*d->collections));
		if (!d->collections)
			return fail(p, it, -ENOMEM, "out of memory");
	}
	c = &d->collections[d->n_collections];
	*c = (struct hid_collection){
	    .usage = usage_at(&p->l, 0),
	    .type = (uint8_t)it->u,
	    .depth = (uint8_t)p->depth,
	    .parent = p->depth > 0 ? p->open[p->depth - 1] : HID_NO_COLLECTION,
	};
	p->open[p->depth++] = (uint16_t)d->n_collections++;
	return 0;
}

static int parse_main(struct parser *p, const struct item *it)
{
	int r = 0;

	switch (it->tag) {
	case 0x8:
		r = add_fields(p, it, HID_KIND_INPUT);
		break;
	case 0x9:
		r = add_fields(p, it, HID_KIND_OUTPUT);
		break;
	case 0xb:
		r = add_fields(p, it, HID_KIND_FEATURE);
		break;
	case 0xa:
		r = open_collection(p, it);
		break;
	case 0xc:
		if (p->depth == 0)
			return fail(p, it, -EBADMSG, "End Collection without Collection");
		p->depth--;
		break;
	default:
		note(p, it, "reserved main item ignored");
	}
	/* Local items apply to the next main item only. */
	memset(&p->l, 0, sizeof(p->l));
	return r;
}

/* Unit Exponent is a 4-bit two's complement nibble; some devices write a whole byte. */
static int8_t unit_exponent(const struct item *it)
{
	if (it->u <= 0xf)
		return (int8_t)(it->u >= 8 ? (int)it->u - 16 : (int)it->u);
	if (it->s < -8 || it->s > 7)
		return 0;
	return (int8_t)it->s;
}

static int report_id(struct parser *p, const struct item *it)
{
	if (it->u == 0 || it->u > 255)
		return fail(p, it, -EBADMSG, "report ID out of range");
	p->g.report_id = (uint8_t)it->u;
	p->desc->numbered = true;
	return 0;
}

static int push_pop(struct parser *p, const struct item *it)
{
	if (it->tag == 0xa) {
		if (p->n_stack >= HID_STACK_MAX)
			return fail(p, it, -E2BIG, "Push stack overflow");
		p->stack[p->n_stack++] = p->g;
		return 0;
	}
	if (p->n_stack == 0)
		return fail(p, it, -EBADMSG, "Pop without Push");
	p->g = p->stack[--p->n_stack];
	return 0;
}

static int parse_global(struct parser *p, const struct item *it)
{
	struct globals *g = &p->g;

	switch (it->tag) {
	case 0x0:
		if (it->u > 0xffff)
			note(p, it, "usage page wider than 16 bits");
		g->page = (uint16_t)it->u;
		return 0;
	case 0x1:
		g->logical_min = it->s;
		return 0;
	case 0x2:
		g->logical_max = it->s;
		g->logical_max_size = it->size;
		return 0;
	case 0x3:
		g->physical_min = it->s;
		return 0;
	case 0x4:
		g->physical_max = it->s;
		g->physical_max_size = it->size;
		return 0;
	case 0x5:
		g->unit_exponent = unit_exponent(it);
		return 0;
	case 0x6:
		g->unit = it->u;
		return 0;
	case 0x7:
		g->report_size = it->u;
		return 0;
	case 0x8:
		return report_id(p, it);
	case 0x9:
		g->report_count = it->u;
		return 0;
	case 0xa:
	case 0xb:
		return push_pop(p, it);
	}
	note(p, it, "reserved global item ignored");
	return 0;
}

/* A 4-byte usage carries its own page; shorter ones take the current page. */
static uint32_t item_usage(const struct parser *p, const struct item *it)
{
	if (it->size == 4)
		return it->u;
	return HID_USAGE(p->g.page, it->u & 0xffff);
}

static void add_usage_range(struct parser *p, const struct item *it, uint32_t first, uint32_t last)
{
	struct locals *l = &p->l;

	if (l->n_usages >= HID_LOCAL_USAGES_MAX) {
		note(p, it, "too many usages: extra ones ignored");
		return;
	}
	l->usages[l->n_usages++] = (struct usage_range){first, last};
}

static void usage_minmax(struct parser *p, const struct item *it)
{
	struct locals *l = &p->l;

	if (it->tag == 0x1) {
		l->min = item_usage(p, it);
		l->has_min = true;
	} else {
		l->max = item_usage(p, it);
		l->has_max = true;
	}
	if (!l->has_min || !l->has_max)
		return;
	l->has_min = l->has_max = false;
	if (HID_USAGE_PAGE(l->min) != HID_USAGE_PAGE(l->max) || l->min > l->max) {
		note(p, it, "bad usage range ignored");
		return;
	}
	add_usage_range(p, it, l->min, l->max);
}

static void parse_local(struct parser *p, const struct item *it)
{
	uint32_t u;

	switch (it->tag) {
	case 0x0:
		u = item_usage(p, it);
		add_usage_range(p, it, u, u);
		break;
	case 0x1:
	case 0x2:
		usage_minmax(p, it);
		break;
	case 0x7:
		p->l.string_index = (uint8_t)it->u;
		break;
	default:
		/* Designators, string ranges and delimiters carry nothing we use. */
		break;
	}
}

static int read_item(struct parser *p, size_t pos, struct item *it)
{
	static const uint8_t sizes[4] = {0, 1, 2, 4};
	uint8_t prefix = p->data[pos];

	*it = (struct item){.offset = pos};
	if (prefix == LONG_ITEM_PREFIX) {
		/* Long items: no tags are defined; skip them whole. */
		if (pos + 3 > p->size || pos + 3 + p->data[pos + 1] > p->size)
			return fail(p, it, -EBADMSG, "truncated long item");
		it->type = ITEM_RESERVED;
		return 3 + p->data[pos + 1];
	}
	it->type = (prefix >> 2) & 3;
	it->tag = prefix >> 4;
	it->size = sizes[prefix & 3];
	if (pos + 1 + it->size > p->size)
		return fail(p, it, -EBADMSG, "truncated item");
	for (unsigned i = 0; i < it->size; i++)
		it->u |= (uint32_t)p->data[pos + 1 + i] << (8 * i);
	if (it->size == 1)
		it->s = (int8_t)it->u;
	else if (it->size == 2)
		it->s = (int16_t)it->u;
	else
		it->s = (int32_t)it->u;
	return 1 + it->size;
}

static int parse_items(struct parser *p)
{
	struct item it;
	int n, r = 0;

	for (size_t pos = 0; pos < p->size; pos += (size_t)n) {
		n = read_item(p, pos, &it);
		if (n < 0)
			return n;
		if (it.type == ITEM_MAIN)
			r = parse_main(p, &it);
		else if (it.type == ITEM_GLOBAL)
			r = parse_global(p, &it);
		else if (it.type == ITEM_LOCAL)
			parse_local(p, &it);
		if (r < 0)
			return r;
	}
	if (p->depth > 0) {
		it.offset = p->size;
		note(p, &it, "collection left open at the end");
	}
	return 0;
}

int hid_parse(const uint8_t *data, size_t size, struct hid_desc **ret, struct hid_error *err)
{
	struct parser *p;
	int r;

	if (size > HID_DESC_SIZE_MAX) {
		if (err)
			*err = (struct hid_error){HID_DESC_SIZE_MAX, "descriptor too long"};
		return -E2BIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct parser){.data = data, .size = size};
	p->desc = calloc(1, sizeof(*p->desc));
	r = p->desc ? parse_items(p) : -ENOMEM;
	if (r < 0) {
		hid_desc_free(p->desc);
		if (err)
			*err = p->err;
	} else {
		*ret = p->desc;
	}
	free(p);
	return r;
}

struct hid_desc *hid_desc_free(struct hid_desc *d)
{
	if (d) {
		free(d->fields);
		free(d->collections);
		free(d);
	}
	return NULL;
}

size_t hid_report_size(const struct hid_desc *d, enum hid_kind kind, uint8_t id)
{
	if ((unsigned)kind >= _HID_KIND_MAX)
		return 0;
	return (d->report_bits[kind][id] + 7) / 8;
}

const char *hid_kind_name(enum hid_kind kind)
{
	static const char *const names[_HID_KIND_MAX] = {"input", "output", "feature"};

	return (unsigned)kind < _HID_KIND_MAX ? names[kind] : "?";
}

size_t hid_field_path(const struct hid_desc *d, const struct hid_field *f, uint32_t *usages,
		      size_t n)
{
	size_t depth;

	if (f->collection >= d->n_collections)
		return 0;
	depth = (size_t)d->collections[f->collection].depth + 1;
	for (uint16_t c = f->collection; c < d->n_collections; c = d->collections[c].parent) {
		size_t level = d->collections[c].depth;

		if (level < n)
			usages[level] = d->collections[c].usage;
	}
	return depth;
}

bool hid_field_within(const struct hid_desc *d, const struct hid_field *f, uint32_t usage)
{
	for (uint16_t c = f->collection; c < d->n_collections; c = d->collections[c].parent)
		if (d->collections[c].usage == usage)
			return true;
	return false;
}

static bool element_bits(const struct hid_field *f, unsigned index, size_t len, size_t *ret)
{
	size_t off = f->bit_offset + (size_t)index * f->bit_size;

	if (index >= f->count || off + f->bit_size > len * 8)
		return false;
	*ret = off;
	return true;
}

int hid_field_get(const struct hid_field *f, unsigned index, const uint8_t *data, size_t len,
		  int64_t *ret)
{
	uint64_t v = 0;
	size_t off;

	if (f->bit_size == 0 || f->bit_size > HID_VALUE_BITS_MAX)
		return -EOVERFLOW;
	if (!element_bits(f, index, len, &off))
		return -ENODATA;
	for (unsigned i = 0; i < f->bit_size; i++) {
		size_t b = off + i;

		v |= (uint64_t)((data[b / 8] >> (b % 8)) & 1) << i;
	}
	if (f->logical_min < 0 && (v >> (f->bit_size - 1)) & 1)
		v |= ~0ULL << f->bit_size;
	*ret = (int64_t)v;
	return 0;
}

int hid_field_put(const struct hid_field *f, unsigned index, uint8_t *data, size_t len,
		  int64_t value)
{
	bool sign = f->logical_min < 0;
	int64_t lo, hi;
	size_t off;

	if (f->bit_size == 0 || f->bit_size > HID_VALUE_BITS_MAX)
		return -EOVERFLOW;
	lo = sign ? -(INT64_C(1) << (f->bit_size - 1)) : 0;
	hi = sign ? (INT64_C(1) << (f->bit_size - 1)) - 1 : (INT64_C(1) << f->bit_size) - 1;
	if (value < lo || value > hi)
		return -ERANGE;
	if (!element_bits(f, index, len, &off))
		return -ENOBUFS;
	for (unsigned i = 0; i < f->bit_size; i++) {
		size_t b = off + i;
		uint8_t mask = (uint8_t)(1u << (b % 8));

		if (((uint64_t)value >> i) & 1)
			data[b / 8] |= mask;
		else
			data[b / 8] &= (uint8_t)~mask;
	}
	return 0;
}

bool hid_field_in_range(const struct hid_field *f, int64_t raw)
{
	return raw >= f->logical_min && raw <= f->logical_max;
}

static bool has_physical(const struct hid_field *f)
{
	return f->physical_min != f->physical_max && f->logical_min != f->logical_max;
}

double hid_field_physical(const struct hid_field *f, int64_t raw)
{
	double span;

	if (!has_physical(f))
		return (double)raw;
	span =
	    (double)(f->physical_max - f->physical_min) / (double)(f->logical_max - f->logical_min);
	return (double)(raw - f->logical_min) * span + (double)f->physical_min;
}

/* ceil() for the range of report values, without libm. */
static bool ceil_int64(double x, int64_t *ret)
{
	int64_t i;

	if (!(x > -9e18 && x < 9e18))
		return false;
	i = (int64_t)x;
	if ((double)i < x)
		i++;
	*ret = i;
	return true;
}

int hid_field_from_physical(const struct hid_field *f, double physical, int64_t *ret)
{
	double raw = physical;
	int64_t v;

	if (has_physical(f))
		raw = (physical - (double)f->physical_min) *
			  (double)(f->logical_max - f->logical_min) /
			  (double)(f->physical_max - f->physical_min) +
		      (double)f->logical_min;
	/* Tolerate rounding noise before rounding up. */
	if (!ceil_int64(raw - 1e-9, &v) || v < INT32_MIN || v > UINT32_MAX)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int nibble(uint32_t unit, unsigned i)
{
	int v = (int)((unit >> (4 * i)) & 0xf);

	return v >= 8 ? v - 16 : v;
}

int hid_unit_base_exponent(uint32_t unit)
{
	int system = nibble(unit, 0);

	/* SI linear and SI rotation count length in cm and mass in g. */
	if (system != 1 && system != 2)
		return 0;
	return 2 * nibble(unit, 1) + 3 * nibble(unit, 2);
}

double hid_pow10(int e)
{
	double x = 1.0;

	for (; e > 0; e--)
		x *= 10.0;
	for (; e < 0; e++)
		x /= 10.0;
	return x;
}

double hid_field_scale(const struct hid_field *f)
{
	return hid_pow10(f->unit_exponent - hid_unit_base_exponent(f->unit));
}
