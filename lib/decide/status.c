/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "status.h"

#include "number.h"

#define STATUS_NUMBER_LEN 32 /* longer "numbers" are junk, not values */

static const char *const token_names[_STATUS_TOKEN_MAX] = {
    [STATUS_OL] = "OL",		  [STATUS_OB] = "OB",	      [STATUS_LB] = "LB",
    [STATUS_HB] = "HB",		  [STATUS_RB] = "RB",	      [STATUS_CHRG] = "CHRG",
    [STATUS_DISCHRG] = "DISCHRG", [STATUS_BYPASS] = "BYPASS", [STATUS_CAL] = "CAL",
    [STATUS_OFF] = "OFF",	  [STATUS_OVER] = "OVER",     [STATUS_TRIM] = "TRIM",
    [STATUS_BOOST] = "BOOST",	  [STATUS_FSD] = "FSD",	      [STATUS_ALARM] = "ALARM",
    [STATUS_WAIT] = "WAIT",	  [STATUS_TEST] = "TEST",     [STATUS_ECO] = "ECO",
};

const char *status_token_to_string(enum status_token t)
{
	if ((unsigned)t >= _STATUS_TOKEN_MAX)
		return NULL;
	return token_names[t];
}

int status_token_from_string(const char *word)
{
	/* Exact, case-sensitive: drivers write tokens in upper case, and a token
	 * we do not recognise is still kept as an "other" token, never lost. */
	for (size_t i = 0; i < ELEMENTSOF(token_names); i++)
		if (strcmp(word, token_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

bool status_parse_number(const char *text, double *ret)
{
	return number_parse(text, ret);
}

static bool other_contains(const struct status_snapshot *s, const char *word)
{
	for (size_t i = 0; i < s->n_other; i++)
		if (strcmp(s->other[i], word) == 0)
			return true;
	return false;
}

static void other_add(struct status_snapshot *s, const char *word, size_t len)
{
	char buf[STATUS_OTHER_LEN + 1];

	if (len > STATUS_OTHER_LEN) {
		len = STATUS_OTHER_LEN;
		s->other_truncated = true;
	}
	memcpy(buf, word, len);
	buf[len] = '\0';
	if (other_contains(s, buf))
		return;
	if (s->n_other >= STATUS_OTHER_MAX) {
		s->other_truncated = true;
		return;
	}
	memcpy(s->other[s->n_other++], buf, len + 1);
}

static void word_add(struct status_snapshot *s, const char *word, size_t len)
{
	char buf[STATUS_OTHER_LEN + 1];
	int t;

	if (len <= STATUS_OTHER_LEN) {
		memcpy(buf, word, len);
		buf[len] = '\0';
		t = status_token_from_string(buf);
		if (t >= 0) {
			s->flags |= STATUS_FLAG(t);
			return;
		}
	}
	other_add(s, word, len);
}

static void tokens_parse(struct status_snapshot *s, const char *text)
{
	static const char blanks[] = " \t\r\n";

	for (;;) {
		size_t len;

		text += strspn(text, blanks);
		len = strcspn(text, blanks);
		if (len == 0)
			return;
		word_add(s, text, len);
		text += len;
	}
}

int status_parse(struct status_snapshot *s, const char *ups_status, const char *charge,
		 const char *runtime, const char *alarm)
{
	if (!s || !ups_status)
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	tokens_parse(s, ups_status);
	s->has_charge = status_parse_number(charge, &s->charge);
	s->has_runtime = status_parse_number(runtime, &s->runtime);
	if (alarm && alarm[0] != '\0') {
		/* upsd injects ALARM whenever ups.alarm is set (protocol.md §1);
		 * do the same so a local driver feeding us behaves alike. */
		s->flags |= STATUS_FLAG(STATUS_ALARM);
		snprintf(s->alarm, sizeof(s->alarm), "%s", alarm);
	}
	return 0;
}

/* Append word to buf, space-separated, cutting at size; *len counts the full
 * length so the caller can tell the text was cut, like snprintf. */
static void word_append(char *buf, size_t size, size_t *len, const char *word)
{
	size_t sep = *len > 0 ? 1 : 0, wlen = strlen(word);

	for (size_t i = 0; i < sep + wlen; i++)
		if (*len + i + 1 < size)
			buf[*len + i] = i < sep ? ' ' : word[i - sep];
	*len += sep + wlen;
	if (size > 0)
		buf[*len < size ? *len : size - 1] = '\0';
}

size_t status_flags_format(uint32_t flags, char *buf, size_t size)
{
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < _STATUS_TOKEN_MAX; i++)
		if (flags & STATUS_FLAG(i))
			word_append(buf, size, &len, token_names[i]);
	return len;
}

size_t status_other_format(const struct status_snapshot *s, char *buf, size_t size)
{
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < s->n_other; i++)
		word_append(buf, size, &len, s->other[i]);
	return len;
}
