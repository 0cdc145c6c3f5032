/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upsagent usb list: the UPSes on this host's USB ports.
 * upsagent usb decode: what a report descriptor (and report bytes) mean, as
 * the driver reads them; a debugging tool and the test interface of the
 * parser (format in upsagent(8)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "usb.h"
#include "escape.h"
#include "hexfile.h"
#include "hid.h"
#include "hidpdc.h"
#include "json.h"
#include "log.h"
#include "usbups.h"

#define HEXFILE_MAX (256 * 1024) /* a descriptor's text is a few KiB */

/* What `usb list` names: the usages a shutdown depends on. */
static const uint32_t key_usages[] = {
    HIDPDC_AC_PRESENT,
    HIDPDC_CHARGING,
    HIDPDC_DISCHARGING,
    HIDPDC_REMAINING_CAPACITY,
    HIDPDC_RUN_TIME_TO_EMPTY,
    HIDPDC_BELOW_REMAINING_CAPACITY_LIMIT,
    HIDPDC_REMAINING_TIME_LIMIT_EXPIRED,
    HIDPDC_SHUTDOWN_IMMINENT,
    HIDPDC_REMAINING_CAPACITY_LIMIT,
    HIDPDC_REMAINING_TIME_LIMIT,
    HIDPDC_DELAY_BEFORE_SHUTDOWN,
    HIDPDC_DELAY_BEFORE_STARTUP,
};

static const struct option options[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: upsagent usb list [--json]\n"
    "       upsagent usb decode [--json] FILE [REPORT ...]\n\n"
    "list: every USB HID Power Device (UPS) on hidraw, with what selects it\n"
    "in a ups section (vendor-id, product-id, serial) and its key usages.\n"
    "decode: the Power Device and Battery System fields of the report\n"
    "descriptor in FILE (hex bytes; lines starting with '#' are comments),\n"
    "and the variables the REPORTs (hex bytes, report ID first) decode to.\n";

/* ---- shared ------------------------------------------------------------------ */

static void hid_desc_freep(struct hid_desc **d)
{
	hid_desc_free(*d);
}

static bool has_usage(const struct hid_desc *d, uint32_t usage)
{
	for (size_t i = 0; i < d->n_fields; i++)
		if (d->fields[i].usage == usage)
			return true;
	return false;
}

static void print_usage_name(FILE *f, uint32_t usage)
{
	const char *name = hidpdc_usage_name(usage);

	if (name)
		fputs(name, f);
	else
		fprintf(f, "%08x", usage);
}

/* ---- list -------------------------------------------------------------------- */

static void list_text(const struct usbups_dev *d, const struct hid_desc *desc)
{
	/* The strings come from the device: any bytes. */
	printf("%s  %04x:%04x  ", d->node, d->vendor, d->product);
	escape_print(stdout, d->mfr);
	printf("%s", d->mfr[0] && d->model[0] ? " " : "");
	escape_print(stdout, d->model);
	if (d->serial[0]) {
		printf("  serial ");
		escape_print(stdout, d->serial);
	}
	printf("\n   ");
	for (size_t i = 0; desc && i < ELEMENTSOF(key_usages); i++)
		if (has_usage(desc, key_usages[i])) {
			putchar(' ');
			print_usage_name(stdout, key_usages[i]);
		}
	putchar('\n');
}

static void json_field(const char *key, const char *value, bool comma)
{
	printf("\"%s\": ", key);
	json_print_string(stdout, value);
	printf("%s", comma ? ", " : "");
}

static void list_json(const struct usbups_dev *d, const struct hid_desc *desc, bool first)
{
	char id[8];
	bool any = false;

	printf("%s\n  {", first ? "" : ",");
	json_field("node", d->node, true);
	json_field("syspath", d->syspath, true);
	snprintf(id, sizeof(id), "%04x", d->vendor);
	json_field("vendor_id", id, true);
	snprintf(id, sizeof(id), "%04x", d->product);
	json_field("product_id", id, true);
	json_field("manufacturer", d->mfr, true);
	json_field("product", d->model, true);
	json_field("serial", d->serial, true);
	printf("\"usages\": [");
	for (size_t i = 0; desc && i < ELEMENTSOF(key_usages); i++)
		if (has_usage(desc, key_usages[i])) {
			printf("%s\"", any ? ", " : "");
			print_usage_name(stdout, key_usages[i]);
			putchar('"');
			any = true;
		}
	printf("]}");
}

static int usb_list(bool json)
{
	struct usbups_dev *devs = NULL;
	size_t n = 0, unreadable = 0;
	int r = usbups_enumerate(NULL, &devs, &n, &unreadable);

	if (r < 0)
		return log_error_errno(r, "cannot look for USB devices: %s", strerror(-r)), 1;
	if (json)
		printf("[");
	for (size_t i = 0; i < n; i++) {
		_cleanup_(hid_desc_freep) struct hid_desc *desc = NULL;

		(void)hid_parse(devs[i].desc, devs[i].desc_len, &desc, NULL);
		if (json)
			list_json(&devs[i], desc, i == 0);
		else
			list_text(&devs[i], desc);
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	if (unreadable > 0)
		log_warning("%zu hidraw device(s) could not be read (permission?)", unreadable);
	if (n == 0)
		log_notice("no USB UPS found");
	usbups_devs_free(devs, n);
	return n > 0 ? 0 : 1;
}

/* ---- decode: input ----------------------------------------------------------- */

static int read_text(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = malloc(HEXFILE_MAX + 1);
	size_t n = 0;

	if (fd < 0)
		return -errno;
	if (!buf)
		return -ENOMEM;
	while (n <= HEXFILE_MAX) {
		ssize_t k = read(fd, buf + n, HEXFILE_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > HEXFILE_MAX)
		return -EFBIG;
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	*len = n;
	return 0;
}

static int load_descriptor(const char *path, struct hid_desc **ret, size_t *size)
{
	_cleanup_free_ char *text = NULL;
	uint8_t bytes[HID_DESC_SIZE_MAX];
	struct hid_error e = {0};
	size_t len = 0;
	int n, r = read_text(path, &text, &len);

	if (r < 0)
		return log_error_errno(r, "%s: %s", path, strerror(-r));
	n = hexfile_parse(text, len, bytes, sizeof(bytes));
	if (n == -E2BIG)
		return log_error_errno(n, "%s: more than %d bytes: not a report descriptor", path,
				       HID_DESC_SIZE_MAX);
	if (n < 0)
		return log_error_errno(n, "%s: not hex bytes (\"05 84 09 04 ...\")", path);
	r = hid_parse(bytes, (size_t)n, ret, &e);
	if (r < 0)
		return log_error_errno(r, "%s: byte %zu: %s", path, e.offset,
				       e.what ? e.what : strerror(-r));
	*size = (size_t)n;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "0c 64 64 03", "0c646403" or "0c:64:64:03". Returns the length, or -EINVAL. */
static int parse_report(const char *s, uint8_t *buf, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int d = hex_digit(*s);

		if (strchr(" \t:-", *s) && hi < 0)
			continue;
		if (d < 0 || (hi < 0 && n == size))
			return -EINVAL;
		if (hi < 0) {
			hi = d;
			continue;
		}
		buf[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	return hi >= 0 || n == 0 ? -EINVAL : (int)n;
}

/* ---- decode: output ---------------------------------------------------------- */

static void field_json(const struct hid_desc *d, const struct hid_field *f, bool first)
{
	uint32_t path[HID_DEPTH_MAX];
	size_t depth = hid_field_path(d, f, path, ELEMENTSOF(path));

	printf("%s\n    {\"path\": \"", first ? "" : ",");
	for (size_t i = 0; i < depth && i < ELEMENTSOF(path); i++) {
		print_usage_name(stdout, path[i]);
		putchar('.');
	}
	print_usage_name(stdout, f->usage);
	printf("\", \"usage\": \"");
	print_usage_name(stdout, f->usage);
	printf("\", \"page\": \"%04x\", \"id\": \"%04x\", \"kind\": \"%s\", \"report_id\": %u, "
	       "\"bit_offset\": %u, \"bit_size\": %u, \"count\": %u, \"logical_min\": %lld, "
	       "\"logical_max\": %lld, \"physical_min\": %lld, \"physical_max\": %lld, "
	       "\"unit_exponent\": %d, \"unit\": %u, \"constant\": %s}",
	       HID_USAGE_PAGE(f->usage), HID_USAGE_ID(f->usage), hid_kind_name(f->kind),
	       f->report_id, f->bit_offset, f->bit_size, f->count, (long long)f->logical_min,
	       (long long)f->logical_max, (long long)f->physical_min, (long long)f->physical_max,
	       f->unit_exponent, f->unit, (f->flags & HID_FLAG_CONSTANT) ? "true" : "false");
}

static size_t count_pdc(const struct hid_desc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_fields; i++)
		n += hidpdc_usage_is_pdc(d->fields[i].usage);
	return n;
}

static void print_fields(const struct hid_desc *d, const char *path, size_t size, bool json)
{
	char line[512];
	bool first = true;

	if (json) {
		printf("{\"file\": ");
		json_print_string(stdout, path);
		printf(", \"bytes\": %zu, \"report_ids\": %s, \"fields\": [", size,
		       d->numbered ? "true" : "false");
	} else {
		printf("# %s: %zu bytes, %s, %zu fields, %zu Power Device / Battery System\n", path,
		       size, d->numbered ? "report IDs" : "no report IDs", d->n_fields,
		       count_pdc(d));
		for (size_t i = 0; i < d->n_notes && i < HID_NOTES_MAX; i++)
			printf("# note: byte %zu: %s\n", d->notes[i].offset, d->notes[i].what);
	}
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct hid_field *f = &d->fields[i];

		if (!hidpdc_usage_is_pdc(f->usage))
			continue;
		if (json)
			field_json(d, f, first);
		else if (hidpdc_field_format(d, f, line, sizeof(line)) >= 0)
			printf("%s\n", line);
		first = false;
	}
	if (json)
		printf("\n  ]");
}

/* Feature where the descriptor declares one with this ID (what a poll reads), else input. */
static enum hid_kind report_kind(const struct hid_desc *d, uint8_t id)
{
	if (hid_report_size(d, HID_KIND_FEATURE, id) > 0)
		return HID_KIND_FEATURE;
	return HID_KIND_INPUT;
}

static int decode_reports(const struct hidpdc *m, char **reports, size_t n, bool json,
			  struct hidpdc_vars *v)
{
	const struct hid_desc *d = m->desc;

	hidpdc_vars_init(v);
	for (size_t i = 0; i < n; i++) {
		uint8_t buf[HID_REPORT_SIZE_MAX + 1];
		int len = parse_report(reports[i], buf, sizeof(buf));
		enum hid_kind kind;
		int k;

		if (len < 0)
			return cli_usage_error("'%s' is not a report: hex bytes, report ID first",
					       reports[i]);
		kind = report_kind(d, buf[0]);
		k = hidpdc_decode(m, kind, buf[0], buf + 1, (size_t)len - 1, v);
		if (json)
			continue;
		if (hid_report_size(d, kind, buf[0]) == 0)
			printf("# report 0x%02x: not declared by the descriptor\n", buf[0]);
		else
			printf("# report 0x%02x (%s): %d value%s\n", buf[0], hid_kind_name(kind), k,
			       k == 1 ? "" : "s");
	}
	return 0;
}

static void vars_json(const struct hidpdc_vars *v)
{
	char status[128];

	if (hidpdc_status(v, status, sizeof(status)) < 0)
		status[0] = '\0';
	printf(",\n  \"variables\": {\"ups.status\": ");
	json_print_string(stdout, status);
	for (unsigned i = 0; i < _HIDPDC_VAR_MAX; i++) {
		if (!v->v[i].set)
			continue;
		printf(", \"%s\": %.15g", hidpdc_var_name(i), v->v[i].value);
	}
	printf("}");
}

static int usb_decode(const char *path, char **reports, size_t n, bool json)
{
	_cleanup_(hid_desc_freep) struct hid_desc *d = NULL;
	char text[4096];
	struct hidpdc_vars v;
	struct hidpdc m;
	size_t size = 0;
	int r;

	if (load_descriptor(path, &d, &size) < 0)
		return 1;
	print_fields(d, path, size, json);
	r = hidpdc_map(d, &m);
	if (n > 0 && r < 0) {
		if (json)
			printf("\n}\n");
		log_error("%s: no Power Device or Battery System value to decode", path);
		return 1;
	}
	if (n > 0 && decode_reports(&m, reports, n, json, &v) != 0)
		return 2;
	if (n > 0 && json)
		vars_json(&v);
	else if (n > 0 && hidpdc_vars_format(&v, text, sizeof(text)) >= 0)
		fputs(text, stdout);
	if (json)
		printf("\n}\n");
	return 0;
}

/* ---- the verb ---------------------------------------------------------------- */

/* --json and --help, before the sub-verb or after it: 1 when --help was
 * answered, a usage error's exit code, or 0 to go on. */
static int usb_options(int argc, char **argv, const char *optstring, bool *json)
{
	int opt;

	while ((opt = getopt_long(argc, argv, optstring, options, NULL)) >= 0) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (opt != 'j')
			return cli_usage_error("see 'upsagent usb --help'");
		*json = true;
	}
	return 0;
}

int verb_usb(int argc, char **argv)
{
	bool json = false;
	int r;

	if ((r = usb_options(argc, argv, "+jh", &json)) != 0)
		return r == 1 ? 0 : r;
	if (optind >= argc)
		return cli_usage_error("usb: expected list or decode; see 'upsagent usb --help'");
	argv += optind;
	argc -= optind;
	optind = 0; /* glibc: start over, argv[0] being the sub-verb */
	if ((r = usb_options(argc, argv, "jh", &json)) != 0)
		return r == 1 ? 0 : r;
	if (strcmp(argv[0], "list") == 0 && optind == argc)
		return usb_list(json);
	if (strcmp(argv[0], "decode") == 0 && optind < argc)
		return usb_decode(argv[optind], argv + optind + 1, (size_t)(argc - optind - 1),
				  json);
	return cli_usage_error("usb: expected 'list' or 'decode FILE [REPORT ...]'; see "
			       "'upsagent usb --help'");
}
