/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nutsection.h"

static struct nut_section *section_add(struct nut_sections *ss, const char *name, unsigned line)
{
	struct nut_section *bigger = reallocarray(ss->s, ss->n + 1, sizeof(*bigger));

	if (!bigger)
		return NULL;
	ss->s = bigger;
	bigger[ss->n] = (struct nut_section){.name = name, .line = line};
	return &bigger[ss->n++];
}

static int setting_add(struct nut_section *s, const struct nut_setting *v)
{
	struct nut_setting *bigger = reallocarray(s->settings, s->n + 1, sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	s->settings = bigger;
	bigger[s->n++] = *v;
	return 0;
}

/* "[name]" as one word: the name, or NULL when the word is not a section. */
static const char *section_name(const struct upsmonconf_line *l, char *buf, size_t size)
{
	const char *w = l->words[0];
	size_t len = strlen(w);

	if (l->n_words != 1 || len < 3 || w[0] != '[' || w[len - 1] != ']' || len - 1 > size)
		return NULL;
	memcpy(buf, w + 1, len - 2);
	buf[len - 2] = '\0';
	return buf;
}

/* One line as a setting; -EINVAL (with *why) when it is none. */
static int setting_parse(const struct upsmonconf_line *l, struct nut_setting *v, const char **why)
{
	const char *const *w = (const char *const *)l->words;
	const char *eq = strchr(w[0], '=');

	*v = (struct nut_setting){.line = l->line};
	if (w[0][0] == '=') {
		*why = "a setting without a name";
		return -EINVAL;
	}
	if (eq && l->n_words == 1) { /* key=value */
		if (!(v->owned = strdup(w[0])))
			return -ENOMEM;
		v->owned[eq - w[0]] = '\0';
		v->key = v->owned;
		v->value = v->owned + (eq - w[0]) + 1;
	} else if (l->n_words == 3 && strcmp(w[1], "=") == 0) {
		v->key = w[0];
		v->value = w[2];
	} else if (l->n_words > 3 && strcmp(w[1], "=") == 0) { /* actions = SET FSD */
		size_t len = 0;

		for (size_t i = 2; i < l->n_words; i++)
			len += strlen(w[i]) + 1;
		if (!(v->owned = malloc(len)))
			return -ENOMEM;
		v->owned[0] = '\0';
		for (size_t i = 2; i < l->n_words; i++)
			strcat(strcat(v->owned, i > 2 ? " " : ""), w[i]);
		v->key = w[0];
		v->value = v->owned;
	} else if (l->n_words == 2 && w[1][0] == '=' && w[1][1]) { /* key =value */
		v->key = w[0];
		v->value = w[1] + 1;
	} else if (l->n_words == 2 && !strchr(w[1], '=')) { /* upsmon primary */
		v->key = w[0];
		v->value = w[1];
	} else if (l->n_words == 1) {
		v->key = w[0];
	} else {
		*why = "not a setting (key = value)";
		return -EINVAL;
	}
	if (!v->key[0]) {
		free(v->owned);
		*why = "a setting without a name";
		return -EINVAL;
	}
	return 0;
}

static int line_read(struct upsmonconf *c, struct nut_sections *ss, struct nut_section **cur,
		     const struct upsmonconf_line *l)
{
	char name[128];
	const char *why = NULL;
	struct nut_setting v;
	int r;

	if (section_name(l, name, sizeof(name))) {
		/* The word holds "[name]": the name is its inside, kept in place. */
		l->words[0][strlen(l->words[0]) - 1] = '\0';
		*cur = section_add(ss, l->words[0] + 1, l->line);
		return *cur ? 0 : -ENOMEM;
	}
	r = setting_parse(l, &v, &why);
	if (r == -EINVAL)
		return upsmon_note_add(&c->notes, &c->n_notes, c->path, l->line, "skipped: %s",
				       why);
	if (r < 0)
		return r;
	if (!*cur && !(*cur = section_add(ss, NULL, 0))) {
		free(v.owned);
		return -ENOMEM;
	}
	r = setting_add(*cur, &v);
	if (r < 0)
		free(v.owned);
	return r;
}

int nut_sections_read(struct upsmonconf *c, struct nut_sections *ret)
{
	struct nut_sections ss = {0};
	struct nut_section *cur = NULL;
	int r = 0;

	for (size_t i = 0; i < c->n_lines && r >= 0; i++)
		r = line_read(c, &ss, &cur, &c->lines[i]);
	if (r < 0) {
		nut_sections_done(&ss);
		return r;
	}
	*ret = ss;
	return 0;
}

void nut_sections_done(struct nut_sections *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		for (size_t j = 0; j < ss->s[i].n; j++)
			free(ss->s[i].settings[j].owned);
		free(ss->s[i].settings);
	}
	free(ss->s);
	*ss = (struct nut_sections){0};
}

const char *nut_section_get(const struct nut_section *s, const char *key, unsigned *line)
{
	const char *v = NULL;

	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->settings[i].key, key) == 0) {
			v = s->settings[i].value ? s->settings[i].value : "";
			if (line)
				*line = s->settings[i].line;
		}
	return v;
}
