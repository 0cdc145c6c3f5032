/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upsmonconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

int upsmon_note_add(struct upsmon_note **notes, size_t *n, const char *file, unsigned line,
		    const char *fmt, ...)
{
	struct upsmon_note *bigger;
	char *text = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	bigger = reallocarray(*notes, *n + 1, sizeof(**notes));
	if (!bigger) {
		free(text);
		return -ENOMEM;
	}
	*notes = bigger;
	bigger[(*n)++] = (struct upsmon_note){file, line, text, NULL};
	return 0;
}

void upsmon_notes_free(struct upsmon_note *notes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(notes[i].text);
		free(notes[i].echo);
	}
	free(notes);
}

/* One line being split: the words so far and the one being built. */
struct splitter {
	char *words[UPSMONCONF_WORDS_MAX + 1];
	size_t n;
	char *word; /* NULL between words */
	size_t len, size;
	bool quoted;
	const char *bad; /* why the line is refused, NULL while it is fine */
};

static void splitter_reset(struct splitter *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->words[i]);
	free(s->word);
	*s = (struct splitter){0};
}

static int word_putc(struct splitter *s, char c)
{
	if (s->len + 2 > s->size) {
		size_t size = s->size ? 2 * s->size : 32;
		char *bigger = realloc(s->word, size);

		if (!bigger)
			return -ENOMEM;
		s->word = bigger;
		s->size = size;
	}
	s->word[s->len++] = c;
	s->word[s->len] = '\0';
	return 0;
}

/* An empty "" is a word too: start it even without a character. */
static int word_start(struct splitter *s)
{
	if (s->word)
		return 0;
	s->word = calloc(1, 32);
	if (!s->word)
		return -ENOMEM;
	s->size = 32;
	return 0;
}

static void word_end(struct splitter *s)
{
	if (!s->word)
		return;
	if (s->n == UPSMONCONF_WORDS_MAX) {
		s->bad = "more than 32 words on one line";
		free(s->word);
	} else
		s->words[s->n++] = s->word;
	s->word = NULL;
	s->len = s->size = 0;
}

static int line_add(struct upsmonconf *c, struct splitter *s, unsigned line)
{
	struct upsmonconf_line *bigger;
	char **words;

	if (s->n == 0)
		return 0;
	words = calloc(s->n + 1, sizeof(*words));
	bigger = reallocarray(c->lines, c->n_lines + 1, sizeof(*c->lines));
	if (!words || !bigger) {
		free(words);
		if (bigger)
			c->lines = bigger;
		return -ENOMEM;
	}
	c->lines = bigger;
	memcpy(words, s->words, s->n * sizeof(*words));
	c->lines[c->n_lines++] = (struct upsmonconf_line){line, words, s->n};
	s->n = 0;
	return 0;
}

/* The end of a logical line: keep it, or note why not. */
static int line_end(struct upsmonconf *c, struct splitter *s, unsigned line)
{
	int r = 0;

	if (s->quoted && !s->bad)
		s->bad = "a quoted string is not closed on this line";
	word_end(s);
	if (s->bad)
		r = upsmon_note_add(&c->notes, &c->n_notes, c->path, line,
				    "%s; the line is skipped", s->bad);
	else
		r = line_add(c, s, line);
	splitter_reset(s);
	return r;
}

static int split_char(struct splitter *s, const char *t, size_t len, size_t *i, unsigned *nl)
{
	char ch = t[*i];

	if (ch == '\\' && *i + 1 < len) {
		(*i)++;
		if (t[*i] == '\n') { /* a continued line */
			(*nl)++;
			return 0;
		}
		return word_putc(s, t[*i]);
	}
	if (ch == '"') {
		s->quoted = !s->quoted;
		return word_start(s);
	}
	if (!s->quoted && (ch == ' ' || ch == '\t' || ch == '\r')) {
		word_end(s);
		return 0;
	}
	/* Binary junk: nothing of the file is worth converting. */
	if ((unsigned char)ch < 0x20 && ch != '\t' && ch != '\f' && ch != '\v')
		return -EBADMSG;
	return word_putc(s, ch);
}

static int parse(struct upsmonconf *c, const char *t, size_t len)
{
	struct splitter s = {0};
	unsigned line = 1, continued = 0;
	bool comment = false;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < len; i++) {
		if (t[i] == '\n') {
			r = line_end(c, &s, line);
			line += 1 + continued;
			continued = 0;
			comment = false;
		} else if (comment)
			continue;
		else if (t[i] == '#' && !s.quoted)
			comment = true;
		else
			r = split_char(&s, t, len, &i, &continued);
	}
	if (r >= 0)
		r = line_end(c, &s, line);
	splitter_reset(&s);
	return r;
}

int upsmonconf_parse(const char *path, const char *text, size_t len, struct upsmonconf **ret)
{
	struct upsmonconf *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->path = path;
	r = memchr(text, '\0', len) ? -EBADMSG : parse(c, text, len);
	if (r < 0) {
		upsmonconf_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct upsmonconf *upsmonconf_free(struct upsmonconf *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_lines; i++) {
		for (size_t j = 0; j < c->lines[i].n_words; j++)
			free(c->lines[i].words[j]);
		free(c->lines[i].words);
	}
	free(c->lines);
	upsmon_notes_free(c->notes, c->n_notes);
	free(c);
	return NULL;
}

const struct upsmonconf_line *upsmonconf_find(const struct upsmonconf *c, const char *name)
{
	const struct upsmonconf_line *found = NULL;

	for (size_t i = 0; c && i < c->n_lines; i++)
		if (strcmp(c->lines[i].words[0], name) == 0)
			found = &c->lines[i];
	return found;
}

const struct upsmonconf_line *upsmonconf_find_line(const struct upsmonconf *c, unsigned line)
{
	for (size_t i = 0; c && line && i < c->n_lines; i++)
		if (c->lines[i].line == line)
			return &c->lines[i];
	return NULL;
}

void upsmon_passwords_free(struct upsmon_password *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].password)
			explicit_wipe(p[i].password, strlen(p[i].password));
		free(p[i].password);
		free(p[i].section);
		free(p[i].path);
	}
	free(p);
}
