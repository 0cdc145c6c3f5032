/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hidpdc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

#define RUNTIME_MAX 864000.0 /* ten days: anything longer is not a runtime */

enum var_type {
	VAR_VALUE, /* a measurement, unit exponent applied */
	VAR_TIMER, /* a countdown in seconds; negative raw values mean "none" */
	VAR_FLAG,  /* 0 or 1: any non-zero raw value is 1 */
	VAR_INDEX, /* a USB string descriptor index */
};

struct var_info {
	const char *name;
	uint8_t type;
	bool zero_ok;  /* 0 is plausible although below lo (mains gone: 0 V) */
	double lo, hi; /* plausible values, for VAR_VALUE and VAR_TIMER */
};

#define VALUE(n, low, high, zero)                                                                  \
	{                                                                                          \
		.name = n, .type = VAR_VALUE, .zero_ok = zero, .lo = low, .hi = high               \
	}
#define TIMER(n)                                                                                   \
	{                                                                                          \
		.name = n, .type = VAR_TIMER, .lo = -1, .hi = RUNTIME_MAX                          \
	}
#define FLAG(n)                                                                                    \
	{                                                                                          \
		.name = n, .type = VAR_FLAG                                                        \
	}
#define INDEX(n)                                                                                   \
	{                                                                                          \
		.name = n, .type = VAR_INDEX                                                       \
	}

static const struct var_info var_infos[_HIDPDC_VAR_MAX] = {
    [HIDPDC_VAR_BATTERY_CHARGE] = VALUE("battery.charge", 0, 100, false),
    [HIDPDC_VAR_BATTERY_CHARGE_LOW] = VALUE("battery.charge.low", 0, 100, false),
    [HIDPDC_VAR_BATTERY_RUNTIME] = VALUE("battery.runtime", 0, RUNTIME_MAX, false),
    [HIDPDC_VAR_BATTERY_RUNTIME_LOW] = VALUE("battery.runtime.low", 0, RUNTIME_MAX, false),
    [HIDPDC_VAR_BATTERY_VOLTAGE] = VALUE("battery.voltage", 1, 1000, true),
    [HIDPDC_VAR_INPUT_VOLTAGE] = VALUE("input.voltage", 1, 1000, true),
    [HIDPDC_VAR_OUTPUT_VOLTAGE] = VALUE("output.voltage", 1, 1000, true),
    [HIDPDC_VAR_UPS_LOAD] = VALUE("ups.load", 0, 500, false),
    [HIDPDC_VAR_TIMER_SHUTDOWN] = TIMER("ups.timer.shutdown"),
    [HIDPDC_VAR_TIMER_START] = TIMER("ups.timer.start"),
    [HIDPDC_VAR_AC_PRESENT] = FLAG("ACPresent"),
    [HIDPDC_VAR_CHARGING] = FLAG("Charging"),
    [HIDPDC_VAR_DISCHARGING] = FLAG("Discharging"),
    [HIDPDC_VAR_BELOW_CAPACITY_LIMIT] = FLAG("BelowRemainingCapacityLimit"),
    [HIDPDC_VAR_TIME_LIMIT_EXPIRED] = FLAG("RemainingTimeLimitExpired"),
    [HIDPDC_VAR_SHUTDOWN_IMMINENT] = FLAG("ShutdownImminent"),
    [HIDPDC_VAR_NEED_REPLACEMENT] = FLAG("NeedReplacement"),
    [HIDPDC_VAR_OVERLOAD] = FLAG("Overload"),
    [HIDPDC_VAR_BOOST] = FLAG("Boost"),
    [HIDPDC_VAR_BUCK] = FLAG("Buck"),
    [HIDPDC_VAR_I_MANUFACTURER] = INDEX("iManufacturer"),
    [HIDPDC_VAR_I_PRODUCT] = INDEX("iProduct"),
    [HIDPDC_VAR_I_SERIAL] = INDEX("iSerialNumber"),
};

/*
 * Which field feeds which variable. The first rule that matches a field wins;
 * `rank` orders the copies of one variable (0 is best): devices repeat a usage
 * in several collections, and UPS.PowerSummary is where the PDC specification
 * puts the summary a UPS server reports.
 */
struct rule {
	uint32_t usage;
	uint32_t within; /* a collection usage on the field's path; 0: anywhere */
	uint8_t var;
	uint8_t rank;
};

#define SUMMARY_FIRST(usage, var)                                                                  \
	{usage, HIDPDC_POWER_SUMMARY, var, 0},                                                     \
	{                                                                                          \
		usage, 0, var, 1                                                                   \
	}

static const struct rule rules[] = {
    {HIDPDC_REMAINING_CAPACITY, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_BATTERY_CHARGE, 0},
    {HIDPDC_REMAINING_CAPACITY, HIDPDC_BATTERY, HIDPDC_VAR_BATTERY_CHARGE, 1},
    {HIDPDC_REMAINING_CAPACITY, 0, HIDPDC_VAR_BATTERY_CHARGE, 2},
    {HIDPDC_RUN_TIME_TO_EMPTY, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_BATTERY_RUNTIME, 0},
    {HIDPDC_RUN_TIME_TO_EMPTY, HIDPDC_BATTERY, HIDPDC_VAR_BATTERY_RUNTIME, 1},
    {HIDPDC_RUN_TIME_TO_EMPTY, 0, HIDPDC_VAR_BATTERY_RUNTIME, 2},
    SUMMARY_FIRST(HIDPDC_REMAINING_CAPACITY_LIMIT, HIDPDC_VAR_BATTERY_CHARGE_LOW),
    SUMMARY_FIRST(HIDPDC_REMAINING_TIME_LIMIT, HIDPDC_VAR_BATTERY_RUNTIME_LOW),
    {HIDPDC_VOLTAGE, HIDPDC_INPUT, HIDPDC_VAR_INPUT_VOLTAGE, 0},
    {HIDPDC_VOLTAGE, HIDPDC_OUTPUT, HIDPDC_VAR_OUTPUT_VOLTAGE, 0},
    /* Powercom's PowerSummary.Voltage carries the mains voltage: Battery first. */
    {HIDPDC_VOLTAGE, HIDPDC_BATTERY, HIDPDC_VAR_BATTERY_VOLTAGE, 0},
    {HIDPDC_VOLTAGE, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_BATTERY_VOLTAGE, 1},
    {HIDPDC_PERCENT_LOAD, HIDPDC_OUTPUT, HIDPDC_VAR_UPS_LOAD, 0},
    {HIDPDC_PERCENT_LOAD, HIDPDC_POWER_CONVERTER, HIDPDC_VAR_UPS_LOAD, 1},
    {HIDPDC_PERCENT_LOAD, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_UPS_LOAD, 2},
    {HIDPDC_PERCENT_LOAD, 0, HIDPDC_VAR_UPS_LOAD, 3},
    {HIDPDC_DELAY_BEFORE_SHUTDOWN, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_TIMER_SHUTDOWN, 0},
    {HIDPDC_DELAY_BEFORE_SHUTDOWN, HIDPDC_OUTPUT, HIDPDC_VAR_TIMER_SHUTDOWN, 1},
    {HIDPDC_DELAY_BEFORE_SHUTDOWN, 0, HIDPDC_VAR_TIMER_SHUTDOWN, 2},
    {HIDPDC_DELAY_BEFORE_STARTUP, HIDPDC_POWER_SUMMARY, HIDPDC_VAR_TIMER_START, 0},
    {HIDPDC_DELAY_BEFORE_STARTUP, HIDPDC_OUTPUT, HIDPDC_VAR_TIMER_START, 1},
    {HIDPDC_DELAY_BEFORE_STARTUP, 0, HIDPDC_VAR_TIMER_START, 2},
    SUMMARY_FIRST(HIDPDC_AC_PRESENT, HIDPDC_VAR_AC_PRESENT),
    SUMMARY_FIRST(HIDPDC_CHARGING, HIDPDC_VAR_CHARGING),
    SUMMARY_FIRST(HIDPDC_DISCHARGING, HIDPDC_VAR_DISCHARGING),
    SUMMARY_FIRST(HIDPDC_BELOW_REMAINING_CAPACITY_LIMIT, HIDPDC_VAR_BELOW_CAPACITY_LIMIT),
    SUMMARY_FIRST(HIDPDC_REMAINING_TIME_LIMIT_EXPIRED, HIDPDC_VAR_TIME_LIMIT_EXPIRED),
    SUMMARY_FIRST(HIDPDC_SHUTDOWN_IMMINENT, HIDPDC_VAR_SHUTDOWN_IMMINENT),
    SUMMARY_FIRST(HIDPDC_NEED_REPLACEMENT, HIDPDC_VAR_NEED_REPLACEMENT),
    SUMMARY_FIRST(HIDPDC_OVERLOAD, HIDPDC_VAR_OVERLOAD),
    SUMMARY_FIRST(HIDPDC_BOOST, HIDPDC_VAR_BOOST),
    SUMMARY_FIRST(HIDPDC_BUCK, HIDPDC_VAR_BUCK),
    SUMMARY_FIRST(HIDPDC_I_MANUFACTURER, HIDPDC_VAR_I_MANUFACTURER),
    SUMMARY_FIRST(HIDPDC_I_PRODUCT, HIDPDC_VAR_I_PRODUCT),
    SUMMARY_FIRST(HIDPDC_I_SERIAL_NUMBER, HIDPDC_VAR_I_SERIAL),
};

static const uint8_t string_vars[_HIDPDC_STRING_MAX] = {
    [HIDPDC_STRING_MANUFACTURER] = HIDPDC_VAR_I_MANUFACTURER,
    [HIDPDC_STRING_PRODUCT] = HIDPDC_VAR_I_PRODUCT,
    [HIDPDC_STRING_SERIAL] = HIDPDC_VAR_I_SERIAL,
};

static const uint32_t control_usages[_HIDPDC_CTL_MAX] = {
    [HIDPDC_CTL_DELAY_SHUTDOWN] = HIDPDC_DELAY_BEFORE_SHUTDOWN,
    [HIDPDC_CTL_DELAY_STARTUP] = HIDPDC_DELAY_BEFORE_STARTUP,
};

/* A bounded string builder: once full, it only remembers that it overflowed. */
struct strbuf {
	char *buf;
	size_t size, len;
	bool overflow;
};

static _printf_(2, 3) void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->len)
		sb->overflow = true;
	else
		sb->len += (size_t)n;
}

static int sb_init(struct strbuf *sb, char *buf, size_t size)
{
	*sb = (struct strbuf){.buf = buf, .size = size};
	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	return 0;
}

static int sb_finish(const struct strbuf *sb)
{
	if (sb->overflow) {
		sb->buf[0] = '\0';
		return -ENOBUFS;
	}
	return (int)sb->len;
}

static void sb_token(struct strbuf *sb, const char *token)
{
	sb_printf(sb, "%s%s", sb->len > 0 ? " " : "", token);
}

/* At most two decimals, trailing zeros dropped: 13.43, 121.4, 24. */
static void number_format(double x, char tmp[static 64])
{
	size_t n;

	snprintf(tmp, 64, "%.2f", x);
	n = strlen(tmp);
	while (n > 0 && tmp[n - 1] == '0')
		tmp[--n] = '\0';
	if (n > 0 && tmp[n - 1] == '.')
		tmp[--n] = '\0';
	if (strcmp(tmp, "-0") == 0)
		strcpy(tmp, "0");
}

static void sb_number(struct strbuf *sb, double x)
{
	char tmp[64];

	number_format(x, tmp);
	sb_printf(sb, "%s", tmp);
}

static void sb_usage(struct strbuf *sb, uint32_t usage)
{
	const char *name = hidpdc_usage_name(usage);

	if (name)
		sb_printf(sb, "%s", name);
	else
		sb_printf(sb, "%08x", usage);
}

static bool field_usable(const struct hid_field *f)
{
	return f->kind != HID_KIND_OUTPUT && (f->flags & HID_FLAG_VARIABLE) && f->bit_size >= 1 &&
	       f->bit_size <= HID_VALUE_BITS_MAX && hidpdc_usage_is_pdc(f->usage);
}

static const struct rule *rule_for(const struct hid_desc *d, const struct hid_field *f)
{
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		const struct rule *r = &rules[i];

		if (r->usage == f->usage && (r->within == 0 || hid_field_within(d, f, r->within)))
			return r;
	}
	return NULL;
}

/* Where a control sits decides which copy killpower writes: the summary first. */
static int control_rank(const struct hid_desc *d, const struct hid_field *f)
{
	int rank = 2;

	if (hid_field_within(d, f, HIDPDC_POWER_SUMMARY))
		rank = 0;
	else if (hid_field_within(d, f, HIDPDC_OUTPUT))
		rank = 1;
	/* Constant fields are not meant to be written. */
	return (f->flags & HID_FLAG_CONSTANT) ? rank + 3 : rank;
}

static int32_t find_control(const struct hid_desc *d, uint32_t usage)
{
	int best_rank = INT_MAX;
	int32_t best = -1;

	for (size_t i = 0; i < d->n_fields && i < INT32_MAX; i++) {
		const struct hid_field *f = &d->fields[i];
		int rank;

		if (f->kind != HID_KIND_FEATURE || f->usage != usage || !field_usable(f))
			continue;
		rank = control_rank(d, f);
		if (rank < best_rank) {
			best_rank = rank;
			best = (int32_t)i;
		}
	}
	return best;
}

static int32_t best_binding(const struct hidpdc *m, enum hidpdc_var var)
{
	int best_rank = INT_MAX;
	int32_t best = -1;

	for (size_t i = 0; i < m->n_bindings; i++) {
		const struct hidpdc_binding *b = &m->bindings[i];

		if (b->var == var && b->rank < best_rank) {
			best_rank = b->rank;
			best = b->field;
		}
	}
	return best;
}

bool hidpdc_is_power_device(const struct hid_desc *d)
{
	for (size_t i = 0; i < d->n_collections; i++) {
		const struct hid_collection *c = &d->collections[i];

		if (c->type == 1 && (c->usage == HIDPDC_UPS || c->usage == HIDPDC_POWER_SUPPLY))
			return true;
	}
	for (size_t i = 0; i < d->n_fields; i++)
		if (hidpdc_usage_is_pdc(d->fields[i].usage))
			return true;
	return false;
}

int hidpdc_map(const struct hid_desc *d, struct hidpdc *ret)
{
	struct hidpdc m = {.desc = d};

	for (size_t i = 0; i < d->n_fields && i < UINT16_MAX; i++) {
		const struct rule *r;

		if (!field_usable(&d->fields[i]))
			continue;
		r = rule_for(d, &d->fields[i]);
		/* A device with more copies than bindings loses the extra copies only. */
		if (r && m.n_bindings < HIDPDC_BINDINGS_MAX)
			m.bindings[m.n_bindings++] = (struct hidpdc_binding){
			    .field = (uint16_t)i, .var = r->var, .rank = r->rank};
	}
	if (m.n_bindings == 0)
		return -ENODEV;
	for (unsigned c = 0; c < _HIDPDC_CTL_MAX; c++)
		m.controls[c] = find_control(d, control_usages[c]);
	for (unsigned s = 0; s < _HIDPDC_STRING_MAX; s++)
		m.strings[s] = best_binding(&m, string_vars[s]);
	*ret = m;
	return (int)m.n_bindings;
}

bool hidpdc_has(const struct hidpdc *m, enum hidpdc_var var)
{
	return best_binding(m, var) >= 0;
}

unsigned hidpdc_lb_sources(const struct hidpdc *m)
{
	unsigned s = 0;

	if (hidpdc_has(m, HIDPDC_VAR_SHUTDOWN_IMMINENT))
		s |= HIDPDC_LB_SHUTDOWN_IMMINENT;
	if (hidpdc_has(m, HIDPDC_VAR_BELOW_CAPACITY_LIMIT))
		s |= HIDPDC_LB_BELOW_CAPACITY_LIMIT;
	else if (hidpdc_has(m, HIDPDC_VAR_BATTERY_CHARGE) &&
		 hidpdc_has(m, HIDPDC_VAR_BATTERY_CHARGE_LOW))
		s |= HIDPDC_LB_CHARGE_VS_LIMIT;
	if (hidpdc_has(m, HIDPDC_VAR_TIME_LIMIT_EXPIRED))
		s |= HIDPDC_LB_TIME_LIMIT_EXPIRED;
	else if (hidpdc_has(m, HIDPDC_VAR_BATTERY_RUNTIME) &&
		 hidpdc_has(m, HIDPDC_VAR_BATTERY_RUNTIME_LOW))
		s |= HIDPDC_LB_RUNTIME_VS_LIMIT;
	return s;
}

size_t hidpdc_poll_reports(const struct hidpdc *m, uint8_t *ids, size_t n)
{
	bool want[256] = {false};
	size_t k = 0;

	for (size_t i = 0; i < m->n_bindings; i++) {
		const struct hid_field *f = &m->desc->fields[m->bindings[i].field];

		/* String indexes do not change: the caller reads them once. */
		if (f->kind == HID_KIND_FEATURE && var_infos[m->bindings[i].var].type != VAR_INDEX)
			want[f->report_id] = true;
	}
	for (unsigned id = 0; id < 256; id++) {
		if (!want[id])
			continue;
		if (k < n)
			ids[k] = (uint8_t)id;
		k++;
	}
	return k;
}

bool hidpdc_input_known(const struct hidpdc *m, uint8_t id)
{
	for (size_t i = 0; i < m->n_bindings; i++) {
		const struct hid_field *f = &m->desc->fields[m->bindings[i].field];

		if (f->kind == HID_KIND_INPUT && f->report_id == id)
			return true;
	}
	return false;
}

void hidpdc_vars_init(struct hidpdc_vars *v)
{
	memset(v, 0, sizeof(*v));
}

static bool plausible(const struct var_info *vi, double x)
{
	return (x == 0 && vi->zero_ok) || (x >= vi->lo && x <= vi->hi);
}

/*
 * The specification's reading first (exponent relative to the unit's base),
 * then the ways firmware gets exponents wrong: the unit's base forgotten (volt
 * with exponent 0 for volts, -2 for centivolts), the exponent meaning decimals
 * (1214 with exponent 1 for 121.4 V), the exponent meaningless. The first
 * plausible reading wins.
 */
static bool scale(const struct var_info *vi, const struct hid_field *f, double physical,
		  struct hidpdc_value *val)
{
	int exp = f->unit_exponent;
	int exps[] = {exp - hid_unit_base_exponent(f->unit), exp, -exp, 0};

	for (size_t i = 0; i < ELEMENTSOF(exps); i++) {
		val->value = physical * hid_pow10(exps[i]);
		if (plausible(vi, val->value)) {
			if (exps[i] != exps[0])
				val->flags |= HIDPDC_VALUE_RESCALED;
			return true;
		}
	}
	return false;
}

/* Raw value to variable value; false when no reading of it makes sense. */
static bool convert(const struct var_info *vi, const struct hid_field *f, int64_t raw,
		    struct hidpdc_value *val)
{
	switch (vi->type) {
	case VAR_FLAG:
		/* Flags that are whole bytes (Eaton's Overload, LogMax 255): non-zero is set. */
		val->value = raw != 0;
		return true;
	case VAR_INDEX:
		val->value = (double)raw;
		return raw >= 0 && raw <= 255;
	case VAR_TIMER:
		if (raw < 0) {
			val->value = -1;
			return true;
		}
		break;
	default:
		break;
	}
	return scale(vi, f, hid_field_physical(f, raw), val);
}

/* Store one copy of a variable unless a better placed copy is already there. */
static bool store(const struct hidpdc_binding *b, const struct hid_field *f, int64_t raw,
		  struct hidpdc_vars *v)
{
	struct hidpdc_value *slot = &v->v[b->var];
	struct hidpdc_value val = {.set = true, .rank = b->rank};

	if (slot->set && slot->rank < b->rank)
		return false;
	if (!convert(&var_infos[b->var], f, raw, &val)) {
		/* Out of range: no value is better than a wrong one. */
		*slot = (struct hidpdc_value){.set = false};
		return false;
	}
	if (!hid_field_in_range(f, raw))
		val.flags |= HIDPDC_VALUE_UNDECLARED;
	*slot = val;
	return true;
}

int hidpdc_decode(const struct hidpdc *m, enum hid_kind kind, uint8_t id, const uint8_t *data,
		  size_t len, struct hidpdc_vars *v)
{
	int n = 0;

	for (size_t i = 0; i < m->n_bindings; i++) {
		const struct hidpdc_binding *b = &m->bindings[i];
		const struct hid_field *f = &m->desc->fields[b->field];
		int64_t raw;

		if (f->kind != kind || f->report_id != id)
			continue;
		/* A short report loses the fields it does not hold, not the others. */
		if (hid_field_get(f, 0, data, len, &raw) < 0)
			continue;
		if (store(b, f, raw, v))
			n++;
	}
	return n;
}

int hidpdc_decode_buffer(const struct hidpdc *m, enum hid_kind kind, const uint8_t *buf, size_t len,
			 struct hidpdc_vars *v)
{
	if (!m->desc->numbered)
		return hidpdc_decode(m, kind, 0, buf, len, v);
	if (len == 0)
		return 0;
	return hidpdc_decode(m, kind, buf[0], buf + 1, len - 1, v);
}

static bool is_true(const struct hidpdc_vars *v, enum hidpdc_var var)
{
	return v->v[var].set && v->v[var].value != 0;
}

static bool at_or_below(const struct hidpdc_value *x, const struct hidpdc_value *limit)
{
	return x->set && limit->set && x->value <= limit->value;
}

bool hidpdc_low_battery(const struct hidpdc_vars *v)
{
	const struct hidpdc_value *x = v->v;

	if (is_true(v, HIDPDC_VAR_SHUTDOWN_IMMINENT))
		return true;
	/* The UPS's own flag where it has one; the limits where it has none. */
	if (x[HIDPDC_VAR_BELOW_CAPACITY_LIMIT].set) {
		if (is_true(v, HIDPDC_VAR_BELOW_CAPACITY_LIMIT))
			return true;
	} else if (at_or_below(&x[HIDPDC_VAR_BATTERY_CHARGE], &x[HIDPDC_VAR_BATTERY_CHARGE_LOW])) {
		return true;
	}
	if (x[HIDPDC_VAR_TIME_LIMIT_EXPIRED].set)
		return is_true(v, HIDPDC_VAR_TIME_LIMIT_EXPIRED);
	return at_or_below(&x[HIDPDC_VAR_BATTERY_RUNTIME], &x[HIDPDC_VAR_BATTERY_RUNTIME_LOW]);
}

static void status_tokens(const struct hidpdc_vars *v, struct strbuf *sb)
{
	const struct hidpdc_value *ac = &v->v[HIDPDC_VAR_AC_PRESENT];

	if (is_true(v, HIDPDC_VAR_SHUTDOWN_IMMINENT))
		sb_token(sb, "FSD");
	/* On battery: mains absent, or discharging where mains presence is not reported. */
	if (ac->set)
		sb_token(sb, ac->value != 0 ? "OL" : "OB");
	else if (v->v[HIDPDC_VAR_DISCHARGING].set)
		sb_token(sb, is_true(v, HIDPDC_VAR_DISCHARGING) ? "OB" : "OL");
	if (is_true(v, HIDPDC_VAR_CHARGING))
		sb_token(sb, "CHRG");
	if (is_true(v, HIDPDC_VAR_DISCHARGING))
		sb_token(sb, "DISCHRG");
	if (hidpdc_low_battery(v))
		sb_token(sb, "LB");
	if (is_true(v, HIDPDC_VAR_NEED_REPLACEMENT))
		sb_token(sb, "RB");
	if (is_true(v, HIDPDC_VAR_OVERLOAD))
		sb_token(sb, "OVER");
	if (is_true(v, HIDPDC_VAR_BOOST))
		sb_token(sb, "BOOST");
	if (is_true(v, HIDPDC_VAR_BUCK))
		sb_token(sb, "TRIM");
}

int hidpdc_status(const struct hidpdc_vars *v, char *buf, size_t size)
{
	struct strbuf sb;

	if (sb_init(&sb, buf, size) < 0)
		return -ENOBUFS;
	status_tokens(v, &sb);
	return sb_finish(&sb);
}

int hidpdc_vars_format(const struct hidpdc_vars *v, char *buf, size_t size)
{
	struct strbuf sb, status;
	char tokens[128];

	if (sb_init(&sb, buf, size) < 0 || sb_init(&status, tokens, sizeof(tokens)) < 0)
		return -ENOBUFS;
	status_tokens(v, &status);
	sb_printf(&sb, "ups.status: %s\n", tokens);
	for (unsigned i = 0; i < _HIDPDC_VAR_MAX; i++) {
		const struct var_info *vi = &var_infos[i];

		if (!v->v[i].set || (vi->type != VAR_VALUE && vi->type != VAR_TIMER))
			continue;
		sb_printf(&sb, "%s: ", vi->name);
		sb_number(&sb, v->v[i].value);
		sb_printf(&sb, "\n");
	}
	return sb_finish(&sb);
}

int hidpdc_var_value(const struct hidpdc_vars *v, enum hidpdc_var var, char *buf, size_t size)
{
	char tmp[64];
	size_t n;

	if ((unsigned)var >= _HIDPDC_VAR_MAX || !v->v[var].set ||
	    (var_infos[var].type != VAR_VALUE && var_infos[var].type != VAR_TIMER))
		return -ENOENT;
	number_format(v->v[var].value, tmp);
	n = strlen(tmp);
	if (n >= size)
		return -ENOBUFS;
	memcpy(buf, tmp, n + 1);
	return (int)n;
}

const char *hidpdc_var_name(enum hidpdc_var var)
{
	return (unsigned)var < _HIDPDC_VAR_MAX ? var_infos[var].name : NULL;
}

const struct hid_field *hidpdc_string_field(const struct hidpdc *m, enum hidpdc_string s)
{
	if ((unsigned)s >= _HIDPDC_STRING_MAX || m->strings[s] < 0)
		return NULL;
	return &m->desc->fields[m->strings[s]];
}

int hidpdc_string_index(const struct hidpdc *m, const struct hidpdc_vars *v, enum hidpdc_string s)
{
	const struct hid_field *f = hidpdc_string_field(m, s);
	const struct hidpdc_value *x;

	if (!f)
		return -ENOENT;
	x = v ? &v->v[string_vars[s]] : NULL;
	if (x && x->set && x->value >= 1)
		return (int)x->value;
	if (f->string_index != 0)
		return f->string_index;
	/* Index 0 read from the device: it has no such string. */
	return x && x->set ? -ENOENT : -ENODATA;
}

const struct hid_field *hidpdc_control(const struct hidpdc *m, enum hidpdc_ctl c)
{
	if ((unsigned)c >= _HIDPDC_CTL_MAX || m->controls[c] < 0)
		return NULL;
	return &m->desc->fields[m->controls[c]];
}

static int delay_raw(const struct hid_field *f, int32_t seconds, int64_t *ret)
{
	int64_t raw = -1;
	int r;

	if (seconds >= 0) {
		r = hid_field_from_physical(f, seconds / hid_field_scale(f), &raw);
		if (r < 0)
			return r;
	}
	if (!hid_field_in_range(f, raw))
		return -ERANGE;
	*ret = raw;
	return 0;
}

int hidpdc_control_report(const struct hidpdc *m, enum hidpdc_ctl c, int32_t seconds, uint8_t *buf,
			  size_t size)
{
	const struct hid_field *f = hidpdc_control(m, c);
	size_t head, len;
	int64_t raw;
	int r;

	if (!f)
		return -ENOENT;
	head = m->desc->numbered ? 1 : 0;
	len = head + hid_report_size(m->desc, HID_KIND_FEATURE, f->report_id);
	if (size < len)
		return -ENOBUFS;
	r = delay_raw(f, seconds, &raw);
	if (r < 0)
		return r;
	r = hid_field_put(f, 0, buf + head, len - head, raw);
	if (r < 0)
		return r;
	if (head)
		buf[0] = f->report_id;
	return (int)len;
}

int hidpdc_field_format(const struct hid_desc *d, const struct hid_field *f, char *buf, size_t size)
{
	uint32_t path[HID_DEPTH_MAX];
	size_t depth = hid_field_path(d, f, path, ELEMENTSOF(path));
	struct strbuf sb;

	if (sb_init(&sb, buf, size) < 0)
		return -ENOBUFS;
	for (size_t i = 0; i < depth && i < ELEMENTSOF(path); i++) {
		sb_usage(&sb, path[i]);
		sb_printf(&sb, ".");
	}
	sb_usage(&sb, f->usage);
	sb_printf(&sb, " %04x:%04x %s id=0x%02x off=%u size=%u", HID_USAGE_PAGE(f->usage),
		  HID_USAGE_ID(f->usage), hid_kind_name(f->kind), f->report_id, f->bit_offset,
		  f->bit_size);
	if (f->count > 1)
		sb_printf(&sb, " count=%u", f->count);
	sb_printf(&sb, " logical=%lld..%lld physical=%lld..%lld exp=%d unit=0x%x",
		  (long long)f->logical_min, (long long)f->logical_max, (long long)f->physical_min,
		  (long long)f->physical_max, f->unit_exponent, f->unit);
	if (f->flags & HID_FLAG_CONSTANT)
		sb_printf(&sb, " const");
	if (!(f->flags & HID_FLAG_VARIABLE))
		sb_printf(&sb, " array");
	return sb_finish(&sb);
}
