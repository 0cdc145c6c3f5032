/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the HID parser and the Power Device Class mapping:
 * the input is a report descriptor; when it parses, every report it declares
 * is decoded from bytes taken out of the input itself, and every formatting
 * and report-building path runs. test/fuzz/replay.c replays its seeds in
 * every build, without clang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"
#include "hidpdc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariants whose violation is a bug even without a memory error. */
static void check_fields(const struct hid_desc *d)
{
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct hid_field *f = &d->fields[i];
		uint64_t end = f->bit_offset + (uint64_t)f->bit_size * f->count;

		if (f->kind >= _HID_KIND_MAX || end > d->report_bits[f->kind][f->report_id] ||
		    f->count == 0 ||
		    (f->collection != HID_NO_COLLECTION && f->collection >= d->n_collections))
			abort();
	}
}

/* What hid_field_put() writes, hid_field_get() reads back, and nothing else changes. */
static void check_roundtrip(const struct hid_desc *d, const uint8_t *report, size_t len)
{
	static uint8_t copy[HID_REPORT_SIZE_MAX];
	int64_t a, b;

	for (size_t i = 0; i < d->n_fields; i++) {
		const struct hid_field *f = &d->fields[i];

		if (hid_field_get(f, 0, report, len, &a) < 0)
			continue;
		memcpy(copy, report, len);
		if (hid_field_put(f, 0, copy, len, a) < 0 || memcmp(copy, report, len) != 0)
			abort();
		if (hid_field_get(f, 0, copy, len, &b) < 0 || a != b)
			abort();
	}
}

static void format_all(const struct hidpdc *m, const struct hidpdc_vars *v)
{
	const struct hid_desc *d = m->desc;
	char line[512], small[16];

	for (size_t i = 0; i < d->n_fields; i++) {
		hidpdc_field_format(d, &d->fields[i], line, sizeof(line));
		hidpdc_field_format(d, &d->fields[i], small, sizeof(small));
	}
	hidpdc_status(v, line, sizeof(line));
	hidpdc_vars_format(v, line, sizeof(line));
	hidpdc_vars_format(v, small, sizeof(small));
	for (unsigned s = 0; s < _HIDPDC_STRING_MAX; s++)
		hidpdc_string_index(m, v, s);
}

/* Decode every declared report from input bytes, whole and cut short. */
static void decode_all(const struct hidpdc *m, const uint8_t *data, size_t size,
		       struct hidpdc_vars *v)
{
	static uint8_t report[HID_REPORT_SIZE_MAX];

	for (unsigned kind = 0; kind < _HID_KIND_MAX; kind++) {
		for (unsigned id = 0; id < 256; id++) {
			size_t len = hid_report_size(m->desc, kind, (uint8_t)id);

			if (len == 0)
				continue;
			for (size_t i = 0; i < len; i++)
				report[i] = size ? data[(i * 7 + id) % size] : 0;
			hidpdc_decode(m, kind, (uint8_t)id, report, len, v);
			if (id < 4)
				check_roundtrip(m->desc, report, len);
			hidpdc_decode(m, kind, (uint8_t)id, report, len / 2, v);
			hidpdc_input_known(m, (uint8_t)id);
		}
	}
	hidpdc_decode_buffer(m, HID_KIND_INPUT, data, size < 64 ? size : 64, v);
}

static void build_controls(const struct hidpdc *m, const uint8_t *data, size_t size)
{
	static uint8_t buf[HID_REPORT_SIZE_MAX + 1];
	int32_t seconds = size >= 2 ? (int32_t)(data[0] | data[1] << 8) - 2 : 20;

	for (unsigned c = 0; c < _HIDPDC_CTL_MAX; c++) {
		memset(buf, 0, sizeof(buf));
		hidpdc_control_report(m, c, seconds, buf, sizeof(buf));
		hidpdc_control_report(m, c, -1, buf, sizeof(buf));
		hidpdc_control_report(m, c, INT32_MAX, buf, sizeof(buf));
		hidpdc_control_report(m, c, 20, buf, 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hid_desc *d = NULL;
	struct hidpdc_vars v;
	struct hidpdc m;
	uint8_t ids[256];

	if (hid_parse(data, size, &d, NULL) < 0)
		return 0;
	check_fields(d);
	hidpdc_is_power_device(d);
	if (hidpdc_map(d, &m) >= 0) {
		hidpdc_vars_init(&v);
		hidpdc_poll_reports(&m, ids, sizeof(ids));
		hidpdc_lb_sources(&m);
		decode_all(&m, data, size, &v);
		hidpdc_low_battery(&v);
		format_all(&m, &v);
		build_controls(&m, data, size);
	}
	hid_desc_free(d);
	return 0;
}
