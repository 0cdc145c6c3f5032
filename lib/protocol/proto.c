/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The line codec of the NUT network protocol. See proto.h for the contracts
 * and shared/reference/protocol.md section 1 for the wire format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "proto.h"

/* --- error words --------------------------------------------------------- */

/* One row per error: the word on the wire, a phrase for people, an errno. */
struct proto_err_info {
	const char *word;
	const char *text;
	int error;
};

static const struct proto_err_info err_table[] = {
    [PROTO_ERR_NONE] = {NULL, "no error", 0},
    [PROTO_ERR_ACCESS_DENIED] = {"ACCESS-DENIED", "access denied", -EACCES},
    [PROTO_ERR_UNKNOWN_UPS] = {"UNKNOWN-UPS", "unknown UPS", -ENODEV},
    [PROTO_ERR_VAR_NOT_SUPPORTED] = {"VAR-NOT-SUPPORTED", "variable not supported", -ENOENT},
    [PROTO_ERR_CMD_NOT_SUPPORTED] = {"CMD-NOT-SUPPORTED", "command not supported", -EPROTO},
    [PROTO_ERR_INVALID_ARGUMENT] = {"INVALID-ARGUMENT", "invalid argument", -EPROTO},
    [PROTO_ERR_INSTCMD_FAILED] = {"INSTCMD-FAILED", "instant command failed", -EPROTO},
    [PROTO_ERR_SET_FAILED] = {"SET-FAILED", "setting the variable failed", -EPROTO},
    [PROTO_ERR_READONLY] = {"READONLY", "variable is read-only", -EPROTO},
    [PROTO_ERR_TOO_LONG] = {"TOO-LONG", "value too long", -EPROTO},
    [PROTO_ERR_FEATURE_NOT_SUPPORTED] = {"FEATURE-NOT-SUPPORTED", "TLS not supported by the server",
					 -EOPNOTSUPP},
    [PROTO_ERR_FEATURE_NOT_CONFIGURED] = {"FEATURE-NOT-CONFIGURED",
					  "TLS not configured on the server", -EOPNOTSUPP},
    [PROTO_ERR_ALREADY_SSL_MODE] = {"ALREADY-SSL-MODE", "TLS already active", -EPROTO},
    [PROTO_ERR_DRIVER_NOT_CONNECTED] = {"DRIVER-NOT-CONNECTED", "driver not connected", -ENOTCONN},
    [PROTO_ERR_DATA_STALE] = {"DATA-STALE", "data stale", -ESTALE},
    [PROTO_ERR_ALREADY_LOGGED_IN] = {"ALREADY-LOGGED-IN", "already logged in", -EPROTO},
    [PROTO_ERR_INVALID_PASSWORD] = {"INVALID-PASSWORD", "invalid password", -EACCES},
    [PROTO_ERR_ALREADY_SET_PASSWORD] = {"ALREADY-SET-PASSWORD", "password already set", -EPROTO},
    [PROTO_ERR_INVALID_USERNAME] = {"INVALID-USERNAME", "invalid username", -EACCES},
    [PROTO_ERR_ALREADY_SET_USERNAME] = {"ALREADY-SET-USERNAME", "username already set", -EPROTO},
    [PROTO_ERR_USERNAME_REQUIRED] = {"USERNAME-REQUIRED", "username required", -EACCES},
    [PROTO_ERR_PASSWORD_REQUIRED] = {"PASSWORD-REQUIRED", "password required", -EACCES},
    [PROTO_ERR_UNKNOWN_COMMAND] = {"UNKNOWN-COMMAND", "unknown command", -EPROTO},
    [PROTO_ERR_INVALID_VALUE] = {"INVALID-VALUE", "invalid value", -EPROTO},
    [PROTO_ERR_VAR_UNKNOWN] = {"VAR-UNKNOWN", "unknown variable", -ENOENT},
    [PROTO_ERR_UNKNOWN_TYPE] = {"UNKNOWN-TYPE", "unknown type", -EPROTO},
    [PROTO_ERR_UNKNOWN_INSTCMD] = {"UNKNOWN-INSTCMD", "unknown instant command", -EPROTO},
    [PROTO_ERR_MISSING_ARGUMENT] = {"MISSING-ARGUMENT", "missing argument", -EPROTO},
    [PROTO_ERR_UNKNOWN] = {NULL, "unknown error", -EPROTO},
};

/* a new enum value needs a row; test-proto also checks there are no holes */
_Static_assert(ELEMENTSOF(err_table) == _PROTO_ERR_MAX, "err_table and enum proto_err differ");

/* Values outside the enum (a caller's bug) read as the generic failure. */
static const struct proto_err_info *err_info(enum proto_err e)
{
	if ((unsigned)e >= _PROTO_ERR_MAX)
		e = PROTO_ERR_UNKNOWN;
	return &err_table[e];
}

enum proto_err proto_err_from_word(const char *word)
{
	/* upsd sends upper case; matching like its command words costs nothing */
	for (size_t i = 0; word && i < ELEMENTSOF(err_table); i++)
		if (err_table[i].word && strcasecmp(err_table[i].word, word) == 0)
			return (enum proto_err)i;
	return PROTO_ERR_UNKNOWN;
}

const char *proto_err_to_word(enum proto_err e)
{
	return err_info(e)->word;
}

const char *proto_err_to_string(enum proto_err e)
{
	return err_info(e)->text;
}

int proto_err_to_errno(enum proto_err e)
{
	return err_info(e)->error;
}

/* --- line framing -------------------------------------------------------- */

void proto_reader_init(struct proto_reader *r)
{
	r->len = 0;
	r->taken = 0;
}

/* Forget the lines handed out so far; their pointers die here. */
static void reader_compact(struct proto_reader *r)
{
	if (r->taken == 0)
		return;
	memmove(r->buf, r->buf + r->taken, r->len - r->taken);
	r->len -= r->taken;
	r->taken = 0;
}

char *proto_reader_space(struct proto_reader *r, size_t *avail)
{
	reader_compact(r);
	*avail = sizeof(r->buf) - r->len;
	return r->buf + r->len;
}

void proto_reader_commit(struct proto_reader *r, size_t n)
{
	/* a caller that commits more than it was offered must not overrun us */
	if (n > sizeof(r->buf) - r->len)
		n = sizeof(r->buf) - r->len;
	r->len += n;
}

/* TAB and CR are blanks to the tokenizer; every other control byte is noise. */
static bool line_is_clean(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;
}

int proto_reader_next(struct proto_reader *r, char **line, size_t *len)
{
	size_t scan, n;
	char *lf;

	reader_compact(r);

	/*
	 * Look no further than one byte past the longest line: an LF found
	 * later would end a line that is too long anyway, and deciding at the
	 * same byte whatever the chunking keeps the outcome deterministic.
	 */
	scan = r->len < PROTO_LINE_MAX + 1 ? r->len : PROTO_LINE_MAX + 1;
	lf = memchr(r->buf, '\n', scan);
	if (!lf)
		return r->len > PROTO_LINE_MAX ? -EMSGSIZE : 0;

	n = (size_t)(lf - r->buf);
	/* errors leave the line in place, so they repeat until init */
	if (!line_is_clean(r->buf, n))
		return -EBADMSG;

	r->taken = n + 1;
	if (n > 0 && r->buf[n - 1] == '\r')
		n--;
	r->buf[n] = '\0';
	*line = r->buf;
	*len = n;
	return 1;
}

size_t proto_reader_pending(const struct proto_reader *r)
{
	return r->len - r->taken;
}

/* --- tokenizer ----------------------------------------------------------- */

enum split_state {
	SPLIT_BLANK,  /* between words */
	SPLIT_WORD,   /* inside an unquoted word */
	SPLIT_QUOTED, /* inside "..." */
};

struct splitter {
	struct proto_words *out;
	size_t used; /* bytes of out->buf written */
	enum split_state state;
	bool escape; /* the previous byte was a backslash */
};

#define SPLIT_STOP 1 /* an unquoted '#': the rest of the line is a comment */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Every word costs at least one input byte for its NUL (a blank, a quote)
 * except the last, so out->buf (PROTO_LINE_MAX + 1) cannot overflow for a
 * line of PROTO_LINE_MAX bytes. The checks below only guard that reasoning.
 */
static int split_put(struct splitter *s, char c)
{
	if (s->used >= sizeof(s->out->buf))
		return -EMSGSIZE;
	s->out->buf[s->used++] = c;
	return 0;
}

static int split_begin_word(struct splitter *s, enum split_state state)
{
	if (s->out->n >= PROTO_WORDS_MAX)
		return -E2BIG;
	s->out->w[s->out->n++] = s->out->buf + s->used;
	s->state = state;
	return 0;
}

static int split_end_word(struct splitter *s)
{
	s->state = SPLIT_BLANK;
	return split_put(s, '\0');
}

static int split_blank(struct splitter *s, char c)
{
	int r;

	if (is_blank(c))
		return 0;
	if (c == '#')
		return SPLIT_STOP;
	if (c == '"')
		return split_begin_word(s, SPLIT_QUOTED);

	r = split_begin_word(s, SPLIT_WORD);
	if (r < 0)
		return r;
	if (c == '\\') {
		s->escape = true;
		return 0;
	}
	return split_put(s, c);
}

/* Like parseconf, a '"' inside an unquoted word is an ordinary byte. */
static int split_word(struct splitter *s, char c)
{
	int r;

	if (is_blank(c) || c == '#') {
		r = split_end_word(s);
		if (r < 0)
			return r;
		return c == '#' ? SPLIT_STOP : 0;
	}
	if (c == '\\') {
		s->escape = true;
		return 0;
	}
	return split_put(s, c);
}

/* Inside quotes '#' is literal: upsd escapes it, other servers may not. */
static int split_quoted(struct splitter *s, char c)
{
	if (c == '"')
		return split_end_word(s);
	if (c == '\\') {
		s->escape = true;
		return 0;
	}
	return split_put(s, c);
}

static int split_char(struct splitter *s, char c)
{
	if (s->escape) {
		s->escape = false;
		return split_put(s, c);
	}
	switch (s->state) {
	case SPLIT_WORD:
		return split_word(s, c);
	case SPLIT_QUOTED:
		return split_quoted(s, c);
	case SPLIT_BLANK:
	default:
		return split_blank(s, c);
	}
}

static int split_finish(struct splitter *s)
{
	if (s->escape || s->state == SPLIT_QUOTED)
		return -EBADMSG;
	if (s->state == SPLIT_WORD)
		return split_end_word(s);
	return 0;
}

int proto_split(const char *line, struct proto_words *out)
{
	struct splitter s = {.out = out, .state = SPLIT_BLANK};
	int r = 0;

	out->n = 0;
	if (strnlen(line, PROTO_LINE_MAX + 1) > PROTO_LINE_MAX)
		return -EMSGSIZE;

	for (const char *p = line; *p && r == 0; p++)
		r = split_char(&s, *p);
	if (r == 0)
		r = split_finish(&s);
	if (r < 0) {
		out->n = 0;
		return r;
	}
	return 0;
}

/* --- builder ------------------------------------------------------------- */

/*
 * '=' is not special to our tokenizer, but upsd's parseconf ends an unquoted
 * word at '=' and makes it a word of its own, so such words travel quoted.
 */
static bool word_needs_quotes(const char *w)
{
	return w[0] == '\0' || strpbrk(w, " \"\\#=") != NULL;
}

static bool word_is_printable(const char *w)
{
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* Counts every byte but stores only what fits, so one pass finds the size. */
struct builder {
	char *buf;
	size_t size, len;
};

static void build_put(struct builder *b, char c)
{
	if (b->len < b->size)
		b->buf[b->len] = c;
	b->len++;
}

static void build_word(struct builder *b, const char *w)
{
	if (!word_needs_quotes(w)) {
		for (; *w; w++)
			build_put(b, *w);
		return;
	}
	build_put(b, '"');
	for (; *w; w++) {
		if (*w == '"' || *w == '\\' || *w == '#')
			build_put(b, '\\');
		build_put(b, *w);
	}
	build_put(b, '"');
}

int proto_build(char *buf, size_t size, size_t n, const char *const *words)
{
	struct builder b = {.buf = buf, .size = size};

	if (n == 0)
		return -EINVAL;
	if (n > PROTO_WORDS_MAX)
		return -E2BIG;
	/* validate everything first, so the error does not depend on size */
	for (size_t i = 0; i < n; i++)
		if (!words[i] || !word_is_printable(words[i]))
			return -EINVAL;

	for (size_t i = 0; i < n && b.len <= PROTO_LINE_MAX; i++) {
		if (i > 0)
			build_put(&b, ' ');
		build_word(&b, words[i]);
	}
	if (b.len > PROTO_LINE_MAX || b.len + 2 > size) {
		if (size > 0)
			buf[0] = '\0';
		return -ENOBUFS;
	}
	buf[b.len++] = '\n';
	buf[b.len] = '\0';
	return (int)b.len;
}

/* --- replies ------------------------------------------------------------- */

static bool keyword_is(const struct proto_words *w, size_t i, const char *keyword)
{
	return i < w->n && strcasecmp(w->w[i], keyword) == 0;
}

int proto_reply_parse(const char *line, struct proto_reply *out)
{
	struct proto_words *w = &out->words;
	int r;

	out->type = PROTO_REPLY_DATA;
	out->err = PROTO_ERR_NONE;
	out->err_word = NULL;

	r = proto_split(line, w);
	if (r < 0)
		return r;

	if (keyword_is(w, 0, "OK")) {
		out->type = PROTO_REPLY_OK;
	} else if (keyword_is(w, 0, "ERR")) {
		if (w->n < 2)
			return -EBADMSG;
		out->type = PROTO_REPLY_ERR;
		out->err = proto_err_from_word(w->w[1]);
		out->err_word = w->w[1];
	} else if (keyword_is(w, 0, "BEGIN") && keyword_is(w, 1, "LIST")) {
		out->type = PROTO_REPLY_BEGIN_LIST;
	} else if (keyword_is(w, 0, "END") && keyword_is(w, 1, "LIST")) {
		out->type = PROTO_REPLY_END_LIST;
	}
	return 0;
}

int proto_reply_answer(const struct proto_reply *r, const char *what, size_t nargs,
		       const char *const *args, const char **value)
{
	const struct proto_words *w = &r->words;

	if (r->type != PROTO_REPLY_DATA || w->n != nargs + 2)
		return -EBADMSG;
	if (!keyword_is(w, 0, what))
		return -EBADMSG;
	/* UPS and variable names are compared exactly */
	for (size_t i = 0; i < nargs; i++)
		if (strcmp(w->w[1 + i], args[i]) != 0)
			return -EBADMSG;
	*value = w->w[nargs + 1];
	return 0;
}

/* --- LIST replies -------------------------------------------------------- */

/*
 * The first query word is a keyword (VAR, UPS, CMD, ...) and matches in any
 * case; the others are names and match exactly.
 */
static bool query_matches(const struct proto_list *l, char *const *w, size_t n)
{
	if (n < l->nquery)
		return false;
	for (size_t i = 0; i < l->nquery; i++) {
		int d = i == 0 ? strcasecmp(w[i], l->query[i]) : strcmp(w[i], l->query[i]);

		if (d != 0)
			return false;
	}
	return true;
}

int proto_list_init(struct proto_list *l, size_t nquery, const char *const *query)
{
	memset(l, 0, sizeof(*l));
	/* "BEGIN LIST <query...>" must itself fit in one line of words */
	if (nquery > PROTO_WORDS_MAX - 2)
		return -E2BIG;

	for (size_t i = 0; i < nquery; i++) {
		l->query[i] = strdup(query[i]);
		if (!l->query[i]) {
			proto_list_done(l);
			return -ENOMEM;
		}
		l->nquery = i + 1;
	}
	return 0;
}

static int list_grow(struct proto_list *l)
{
	struct proto_list_item *items;
	size_t n;

	if (l->n < l->allocated)
		return 0;
	n = l->allocated ? l->allocated * 2 : 16;
	if (n > PROTO_LIST_MAX)
		n = PROTO_LIST_MAX;
	items = realloc(l->items, n * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->allocated = n;
	return 0;
}

static int list_add(struct proto_list *l, const char *key, const char *value)
{
	struct proto_list_item item = {NULL, NULL};
	int r;

	if (l->n >= PROTO_LIST_MAX)
		return -E2BIG;
	r = list_grow(l);
	if (r < 0)
		return r;

	item.key = strdup(key);
	item.value = value ? strdup(value) : NULL;
	if (!item.key || (value && !item.value)) {
		free(item.key);
		free(item.value);
		return -ENOMEM;
	}
	l->items[l->n++] = item;
	return 0;
}

static int list_feed_item(struct proto_list *l, const struct proto_words *w)
{
	size_t extra;

	if (!l->begun)
		return -EBADMSG;
	if (!query_matches(l, w->w, w->n))
		return -EBADMSG;
	extra = w->n - l->nquery;
	if (extra < 1 || extra > 2)
		return -EBADMSG;
	return list_add(l, w->w[l->nquery], extra == 2 ? w->w[l->nquery + 1] : NULL);
}

/* BEGIN LIST and END LIST must repeat the query words, no more, no fewer. */
static bool list_frame_matches(const struct proto_list *l, const struct proto_words *w)
{
	return w->n == l->nquery + 2 && query_matches(l, w->w + 2, w->n - 2);
}

int proto_list_feed(struct proto_list *l, const struct proto_reply *r)
{
	if (l->done)
		return -EBADMSG;

	switch (r->type) {
	case PROTO_REPLY_BEGIN_LIST:
		if (l->begun || !list_frame_matches(l, &r->words))
			return -EBADMSG;
		l->begun = true;
		return 0;
	case PROTO_REPLY_END_LIST:
		if (!l->begun || !list_frame_matches(l, &r->words))
			return -EBADMSG;
		l->done = true;
		return 1;
	case PROTO_REPLY_DATA:
		return list_feed_item(l, &r->words);
	case PROTO_REPLY_OK:
	case PROTO_REPLY_ERR:
	default:
		return -EBADMSG;
	}
}

void proto_list_done(struct proto_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	for (size_t i = 0; i < l->nquery; i++)
		free(l->query[i]);
	/* zeroed, so a second call (or a feed) finds nothing to free */
	memset(l, 0, sizeof(*l));
}
