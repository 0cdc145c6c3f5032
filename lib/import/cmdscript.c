/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A upssched CMDSCRIPT's branch for one timer, judged. The script is read
 * as the shell would only where that is easy (words, quotes, ;, &&, ||, |,
 * comments); anything else is a doubt, and a doubt means "not a plain
 * shutdown": the caller then keeps upssched, which runs the script as
 * before. A wrong "keep" costs a warning; a wrong "shuts down" powers a
 * host off after any blip, or never.
 */
#include "cmdscript.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

#define WORDS_MAX 32

/* ---- the script's lines ------------------------------------------------- */

static size_t line_len(const char *l)
{
	return strcspn(l, "\n");
}

/* The first word of a line, skipping blanks; its length in *len. */
static const char *first_word(const char *l, size_t *len)
{
	l += strspn(l, " \t");
	*len = strcspn(l, " \t\r\n;&|()");
	return l;
}

static bool word_is(const char *w, size_t len, const char *what)
{
	return len == strlen(what) && strncmp(w, what, len) == 0;
}

/* Whether word what occurs in the line's first len bytes, standing alone. */
static bool line_has_word(const char *l, size_t len, const char *what)
{
	size_t n = strlen(what);

	for (size_t i = 0; i + n <= len; i++)
		if (strncmp(l + i, what, n) == 0 && (i == 0 || !isalnum((unsigned char)l[i - 1])) &&
		    (i + n == len || (!isalnum((unsigned char)l[i + n]) && l[i + n] != '_')))
			return true;
	return false;
}

static bool line_is_comment(const char *l)
{
	l += strspn(l, " \t");
	return *l == '#';
}

/* ---- finding the branch ------------------------------------------------- */

/* One alternative of a case pattern, quotes dropped, equal to timer. */
static bool alt_is(const char *a, size_t len, const char *timer)
{
	while (len > 0 && strchr(" \t", *a))
		a++, len--;
	while (len > 0 && strchr(" \t", a[len - 1]))
		len--;
	if (len >= 2 && (a[0] == '"' || a[0] == '\'') && a[len - 1] == a[0])
		a++, len -= 2;
	return len == strlen(timer) && strncmp(a, timer, len) == 0;
}

/* Whether line l is "[(]A|B|...)" with timer among the alternatives; the
 * body starts after the ')'. Alternatives are plain words, maybe quoted. */
static const char *pattern_match(const char *l, const char *timer)
{
	const char *p = l + strspn(l, " \t"), *close, *alt;
	bool found = false;

	p += *p == '(';
	close = p + strcspn(p, ")\n");
	if (*close != ')' || close == p)
		return NULL;
	for (alt = p; alt <= close; alt++) {
		size_t len = strcspn(alt, "|)");
		const char *w = alt + strspn(alt, " \t");
		size_t wl = strcspn(w, " \t|)");

		/* One word between the bars, blanks around it only. */
		if (wl == 0 || w + wl + strspn(w + wl, " \t") != alt + len)
			return NULL;
		for (size_t i = 0; i < wl; i++)
			if (!isalnum((unsigned char)w[i]) && !strchr("_.-*?\"'", w[i]))
				return NULL;
		found |= alt_is(w, wl, timer);
		alt += len;
	}
	return found ? close + 1 : NULL;
}

struct branch {
	const char *body;   /* just after the pattern's ')' */
	unsigned line;	    /* of the pattern */
	int case_depth;	    /* case statements open there */
	int block_depth;    /* if and loops open before the case */
	unsigned exit_line; /* a line before the case that may exit, or 0 */
};

/* What the lines before l say: case, if and loop nesting, early exits. */
static void branch_context(const char *l, size_t len, unsigned n, struct branch *b)
{
	size_t wl;
	const char *w = first_word(l, &wl);

	if (line_is_comment(l))
		return;
	/* Anywhere on the line ("x) case $1 in"); a "case" in a message only adds a doubt. */
	if (line_has_word(l, len, "case"))
		b->case_depth++;
	if (line_has_word(l, len, "esac"))
		b->case_depth--;
	if (b->case_depth > 0)
		return;
	if (word_is(w, wl, "if") || word_is(w, wl, "while") || word_is(w, wl, "until") ||
	    word_is(w, wl, "for"))
		b->block_depth++;
	if (word_is(w, wl, "fi") || word_is(w, wl, "done"))
		b->block_depth--;
	if (!b->exit_line &&
	    (line_has_word(l, len, "exit") || memmem(l, len, "&&", 2) || memmem(l, len, "||", 2)))
		b->exit_line = n;
}

static bool branch_find(const char *script, const char *timer, struct branch *b)
{
	unsigned n = 1;

	*b = (struct branch){0};
	for (const char *l = script; l && *l; n++) {
		size_t len = line_len(l);

		if (!line_is_comment(l) && (b->body = pattern_match(l, timer))) {
			b->line = n;
			return true;
		}
		branch_context(l, len, n, b);
		l = l[len] ? l + len + 1 : NULL;
	}
	return false;
}

/* ---- the branch's commands ---------------------------------------------- */

enum sep {
	SEP_NONE,
	SEP_END,    /* newline or ; */
	SEP_BRANCH, /* ;; or the end of the script */
	SEP_AND_OR, /* && or || */
	SEP_PIPE,
	SEP_ODD, /* &, ;&, (, ), {, }, <<: beyond what is read here */
};

/* One simple command, as read. */
struct command {
	char *words[WORDS_MAX + 1];
	size_t n;
	unsigned line;
	bool expands;	/* a $VARIABLE, $(...) or `...` outside a message */
	enum sep after; /* what ends it */
};

struct reader {
	const char *p;
	unsigned line;
	unsigned comment_line; /* a comment that names a shutdown, or 0 */
	char word[512];
	size_t len;
	bool in_word, expands, too_long;
};

static void command_clear(struct command *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->words[i]);
	*c = (struct command){0};
}

static bool names_shutdown(const char *s, size_t len)
{
	return memmem(s, len, "fsd", 3) || memmem(s, len, "shutdown", 8) ||
	       memmem(s, len, "poweroff", 8) || memmem(s, len, "halt", 4);
}

static void word_put(struct reader *r, char c)
{
	r->in_word = true;
	if (r->len + 1 < sizeof(r->word))
		r->word[r->len++] = c;
	else
		r->too_long = true;
}

static void word_end(struct reader *r, struct command *c)
{
	if (!r->in_word)
		return;
	r->word[r->len] = '\0';
	if (c->n == 0)
		c->line = r->line;
	if (c->n < WORDS_MAX && !(c->words[c->n] = strdup(r->word)))
		r->too_long = true; /* out of memory: a doubt like any other */
	c->n += c->n < WORDS_MAX;
	r->len = 0;
	r->in_word = false;
}

/* A quoted string into the word: '...' literally, "..." with \ and $ noted. */
static void read_quoted(struct reader *r)
{
	char q = *r->p++;

	r->in_word = true; /* "" is a word too */
	for (; *r->p && *r->p != q; r->p++) {
		if (*r->p == '\n')
			r->line++;
		if (q == '"' && (*r->p == '$' || *r->p == '`'))
			r->expands = true;
		if (q == '"' && *r->p == '\\' && r->p[1])
			r->p++;
		word_put(r, *r->p);
	}
	if (*r->p)
		r->p++;
}

static void read_comment(struct reader *r)
{
	size_t len = line_len(r->p);

	if (!r->comment_line && names_shutdown(r->p, len))
		r->comment_line = r->line;
	r->p += len;
}

/* An operator at r->p: what separator it is, r->p past it. */
static enum sep read_operator(struct reader *r)
{
	char c = *r->p++;

	if (c == '\n') {
		r->line++;
		return SEP_END;
	}
	if (c == ';' && *r->p == ';') {
		r->p++;
		return *r->p == '&' ? SEP_ODD : SEP_BRANCH;
	}
	if (c == ';')
		return *r->p == '&' ? SEP_ODD : SEP_END;
	if ((c == '&' || c == '|') && *r->p == c) {
		r->p++;
		return SEP_AND_OR;
	}
	return c == '|' ? SEP_PIPE : SEP_ODD;
}

static bool at_operator(const struct reader *r)
{
	char c = *r->p, next = r->p[1];

	/* &>FILE and 2>&1 are redirections. */
	if (c == '&' &&
	    (next == '>' || (r->in_word && r->len > 0 && strchr("<>", r->word[r->len - 1]))))
		return false;
	if (c == '<' && next == '<') /* a here-document */
		return true;
	return strchr("\n;&|(){}", c) && (c != '{' && c != '}' ? true : !r->in_word);
}

/* The next command of the branch into c; false at the end of the script. */
static bool read_command(struct reader *r, struct command *c)
{
	command_clear(c);
	r->expands = false;
	while (*r->p) {
		char ch = *r->p;

		if (ch == '#' && !r->in_word) {
			read_comment(r);
		} else if (ch == '\\' && r->p[1]) {
			if (r->p[1] == '\n')
				r->line++;
			else
				word_put(r, r->p[1]);
			r->p += 2;
		} else if (ch == '\'' || ch == '"') {
			read_quoted(r);
		} else if (ch == ' ' || ch == '\t' || ch == '\r') {
			word_end(r, c);
			r->p++;
		} else if (at_operator(r)) {
			word_end(r, c);
			if (ch == '<')
				r->p += 2;
			c->after = ch == '<' ? SEP_ODD : read_operator(r);
			c->expands = r->expands;
			return true;
		} else {
			r->expands |= ch == '$' || ch == '`';
			word_put(r, ch);
			r->p++;
		}
	}
	word_end(r, c);
	c->after = SEP_BRANCH;
	c->expands = r->expands;
	return c->n > 0;
}

/* ---- what each command is ----------------------------------------------- */

enum kind {
	KIND_POWEROFF, /* this host, now */
	KIND_LOG,      /* logger, echo, wall, mail ... */
	KIND_EXIT,
	KIND_COND,   /* if, test, [ ... */
	KIND_REMOTE, /* ssh ... */
	KIND_OTHER,
};

static const char *base(const char *w)
{
	const char *slash = strrchr(w, '/');

	return slash ? slash + 1 : w;
}

static bool is_one_of(const char *w, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(w, *names) == 0)
			return true;
	return false;
}

/* ">FILE", "2>&1", "&>/dev/null", or ">" and its FILE: not the command's words. */
static size_t redirection_len(char *const *w, size_t i, size_t n)
{
	const char *p = w[i] + strspn(w[i], "0123456789&");

	if (*p != '>' && *p != '<')
		return 0;
	p += strspn(p, "<>&");
	return *p || i + 1 == n ? 1 : 2;
}

/* The command's words without redirections, sudo and exec, into v. */
static size_t plain_words(const struct command *c, char **v)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n;) {
		size_t skip = redirection_len(c->words, i, c->n);

		if (skip) {
			i += skip;
			continue;
		}
		if (n == 0 &&
		    is_one_of(base(c->words[i]), (const char *const[]){"sudo", "exec", NULL})) {
			i++;
			continue;
		}
		v[n++] = c->words[i++];
	}
	v[n] = NULL;
	return n;
}

bool cmdscript_is_poweroff(char *const *argv)
{
	const char *b = base(argv[0]);
	size_t n = 0;

	while (argv[n])
		n++;
	if (strcmp(b, "poweroff") == 0)
		return n == 1;
	if (strcmp(b, "systemctl") == 0)
		return n == 2 && strcmp(argv[1], "poweroff") == 0;
	if (strcmp(b, "halt") == 0)
		return n == 2 && strcmp(argv[1], "-p") == 0;
	if (strcmp(b, "init") == 0)
		return n == 2 && strcmp(argv[1], "0") == 0;
	if (strcmp(b, "shutdown") != 0 || n < 2 || n > 3)
		return false;
	/* shutdown [-h|-P|-hP] [now|+0|0]: systemd's shutdown powers off by default. */
	if (n == 3 && !is_one_of(argv[1], (const char *const[]){"-h", "-P", "-hP", NULL}))
		return false;
	return is_one_of(argv[n - 1], (const char *const[]){"now", "+0", "0", NULL}) ||
	       (n == 2 && is_one_of(argv[1], (const char *const[]){"-h", "-P", "-hP", NULL}));
}

static bool is_upsmon_fsd(char *const *v, size_t n)
{
	return n == 3 && strcmp(base(v[0]), "upsmon") == 0 && strcmp(v[1], "-c") == 0 &&
	       strcmp(v[2], "fsd") == 0;
}

static enum kind command_kind(const struct command *c, bool *mentions)
{
	static const char *const logs[] = {"logger", "echo",	 "printf", "wall", "mail",
					   "mailx",  "sendmail", "true",   ":",	   NULL};
	static const char *const conds[] = {"if",   "then",  "else",  "elif", "fi", "case",
					    "esac", "while", "until", "for",  "do", "done",
					    "test", "[",     "[[",    "!",    NULL};
	static const char *const remotes[] = {"ssh", "rsh", "sshpass", "dbclient", "plink", NULL};
	char *v[WORDS_MAX + 1];
	size_t n = plain_words(c, v);
	const char *b = n ? base(v[0]) : "";

	if (n == 0)
		return KIND_OTHER;
	if (is_one_of(b, conds))
		return KIND_COND;
	if (is_one_of(b, remotes))
		return KIND_REMOTE;
	if (is_one_of(b, logs)) {
		for (size_t i = 1; i < n; i++)
			*mentions |= names_shutdown(v[i], strlen(v[i]));
		return KIND_LOG;
	}
	if (strcmp(b, "exit") == 0)
		return KIND_EXIT;
	if (c->expands || n == WORDS_MAX)
		return KIND_OTHER;
	return is_upsmon_fsd(v, n) || cmdscript_is_poweroff(v) ? KIND_POWEROFF : KIND_OTHER;
}

/* ---- the verdict -------------------------------------------------------- */

static void doubt(struct cmdscript_verdict *v, unsigned line, const char *why)
{
	if (!v->why) {
		v->why = why;
		v->line = line;
	}
}

/* One command of the branch: a doubt, or what it adds. */
static void judge_command(const struct command *c, enum sep before, bool *off, bool *mentions,
			  struct cmdscript_verdict *v)
{
	enum kind k = command_kind(c, mentions);

	if (before == SEP_AND_OR || c->after == SEP_AND_OR || k == KIND_COND)
		doubt(v, c->line, "is conditional (if, case, test, && or ||)");
	else if (k == KIND_REMOTE)
		doubt(v, c->line, "runs a command on another host (ssh)");
	else if (c->after == SEP_ODD)
		doubt(v, c->line,
		      "runs something in the background, a subshell, a group or a "
		      "here-document, which is not read here");
	else if ((before == SEP_PIPE || c->after == SEP_PIPE) && k != KIND_LOG)
		doubt(v, c->line, "pipes into or out of a command that is not logging");
	else if (k == KIND_EXIT && !*off)
		doubt(v, c->line, "exits before it shuts down");
	else if (k == KIND_OTHER)
		doubt(v, c->line,
		      "runs a command that is neither a plain power-off of this host "
		      "(upsmon -c fsd, shutdown now, poweroff, systemctl poweroff) nor "
		      "logging, wall or mail");
	*off |= k == KIND_POWEROFF;
}

static void branch_judge(struct reader *r, const struct branch *b, struct cmdscript_verdict *v)
{
	struct command c = {0};
	enum sep before = SEP_END;
	bool off = false, mentions = false;

	while (!v->why && read_command(r, &c)) {
		if (c.n > 0 && !(c.n == 1 && strcmp(c.words[0], "esac") == 0))
			judge_command(&c, before, &off, &mentions, v);
		if (r->too_long)
			doubt(v, c.line, "has a word too long to read");
		before = c.after;
		if (c.after == SEP_BRANCH || (c.n == 1 && strcmp(c.words[0], "esac") == 0))
			break;
	}
	command_clear(&c);
	v->last = r->line;
	if (!off && r->comment_line)
		doubt(v, r->comment_line, "only has its shutdown in a comment");
	else if (!off && mentions)
		doubt(v, b->line,
		      "only mentions a shutdown in a message (logged, echoed or mailed)");
	else if (!off)
		doubt(v, b->line, "does not shut down");
	v->shuts_down = !v->why;
}

void cmdscript_judge(const char *script, const char *timer, struct cmdscript_verdict *ret)
{
	struct branch b;
	struct reader r = {0};

	*ret = (struct cmdscript_verdict){0};
	if (!branch_find(script, timer, &b)) {
		doubt(ret, 0, "has no case branch for this timer");
		return;
	}
	ret->first = b.line;
	if (b.case_depth != 1)
		doubt(ret, b.line,
		      b.case_depth > 1 ? "is inside another case statement"
				       : "is not inside a case statement");
	else if (b.block_depth != 0)
		doubt(ret, b.line, "is inside an if or a loop");
	else if (b.exit_line)
		doubt(ret, b.exit_line, "may exit before its case statement (exit, && or ||)");
	if (ret->why)
		return;
	r.p = b.body;
	r.line = b.line;
	branch_judge(&r, &b, ret);
}

/* "upsmon -c fsd" among the first len bytes of l, upsmon maybe with a path. */
static bool fsd_in(const char *l, size_t len)
{
	for (const char *p = memmem(l, len, "upsmon", 6); p;
	     p = memmem(p + 6, len - (size_t)(p + 6 - l), "upsmon", 6)) {
		const char *q = p + 6;
		size_t rest = len - (size_t)(q - l), blanks = strspn(q, " \t");

		if (blanks == 0 || blanks + 2 > rest || strncmp(q + blanks, "-c", 2) != 0)
			continue;
		q += blanks + 2;
		rest -= blanks + 2;
		blanks = strspn(q, " \t");
		if (blanks > 0 && blanks + 3 <= rest && strncmp(q + blanks, "fsd", 3) == 0 &&
		    (blanks + 3 == rest || !isalnum((unsigned char)q[blanks + 3])))
			return true;
	}
	return false;
}

size_t cmdscript_fsd_lines(const char *script, unsigned *lines, size_t max)
{
	size_t found = 0;
	unsigned n = 1;

	for (const char *l = script; l && *l; n++) {
		size_t len = line_len(l);
		const char *hash = memchr(l, '#', len);

		/* A '#' that starts a word ends the line's code; one inside a word does not. */
		while (hash && hash > l && !strchr(" \t;", hash[-1]))
			hash = memchr(hash + 1, '#', len - (size_t)(hash + 1 - l));
		if (hash)
			len = (size_t)(hash - l);
		if (!line_is_comment(l) && fsd_in(l, len)) {
			if (found < max)
				lines[found] = n;
			found++;
		}
		l = l[line_len(l)] ? l + line_len(l) + 1 : NULL;
	}
	return found;
}
