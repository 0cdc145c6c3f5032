/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file, its text and libconfuse. Every option is a string (or a list of
 * strings) to libconfuse, so that config.c converts and checks all values
 * itself and can report every bad one, not only the first.
 *
 * libconfuse 3.3 gets line numbers wrong after comments (each "#" comment
 * counts one line extra, a comment inside a list is a syntax error, an
 * unclosed "/ *" or "{" at the end of the file passes silently) and keeps no
 * line per value. So the text is checked and its comments blanked out here,
 * newlines kept, before libconfuse sees it; and a parse callback notes the
 * line of every value, since libconfuse only knows the current one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "log.h"

#define CONFIG_TEXT_MAX	 (4u << 20) /* 4 MiB: a config file is a few KiB */
#define TEXT_DEPTH_MAX	 8	    /* sections nest one deep, lists inside them */
#define SECTION_LINE_OPT "@line"

/* libconfuse callbacks carry no user data; its scanner is global anyway. */
static struct config_parse *current;

/* ---- messages --------------------------------------------------------- */

/* Values quoted in messages may hold escapes ("\x1b"): keep the log clean. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Messages are kept and logged in line order when the load ends: the checks
 * run option by option, not line by line. */
static void report(struct config_parse *p, int level, unsigned line, const char *fmt, va_list ap)
    _printf_(4, 0);
static void report(struct config_parse *p, int level, unsigned line, const char *fmt, va_list ap)
{
	struct config_message *m;
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	if (p->n_messages == p->n_alloc_messages) {
		size_t n = p->n_alloc_messages ? 2 * p->n_alloc_messages : 16;

		m = reallocarray(p->messages, n, sizeof(*m));
		if (!m) {
			free(text);
			return;
		}
		p->messages = m;
		p->n_alloc_messages = n;
	}
	sanitize(text);
	p->messages[p->n_messages] =
	    (struct config_message){line, (unsigned)p->n_messages, level, text};
	p->n_messages++;
}

void config_error(struct config_parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (p->n_errors++ >= CONFIG_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	report(p, LOG_ERR, line, fmt, ap);
	va_end(ap);
}

void config_warning(struct config_parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (p->n_messages >= 2 * CONFIG_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	report(p, LOG_WARNING, line, fmt, ap);
	va_end(ap);
}

/* By line, then in the order found; messages about the whole file last. */
static int message_cmp(const void *a, const void *b)
{
	const struct config_message *x = a, *y = b;
	unsigned lx = x->line ? x->line : UINT_MAX, ly = y->line ? y->line : UINT_MAX;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void messages_flush(struct config_parse *p)
{
	if (p->n_messages > 1)
		qsort(p->messages, p->n_messages, sizeof(*p->messages), message_cmp);
	for (size_t i = 0; i < p->n_messages; i++) {
		const struct config_message *m = &p->messages[i];
		const char *kind = m->level == LOG_WARNING ? "warning: " : "";

		if (m->line > 0)
			log_full(m->level, "%s:%u: %s%s", p->path, m->line, kind, m->text);
		else
			log_full(m->level, "%s: %s%s", p->path, kind, m->text);
		free(m->text);
	}
	if (p->n_errors > CONFIG_ERRORS_MAX)
		log_error("%s: stopped after %d errors", p->path, CONFIG_ERRORS_MAX);
	free(p->messages);
	p->messages = NULL;
	p->n_messages = p->n_alloc_messages = 0;
}

/* ---- the text --------------------------------------------------------- */

/* Up to CONFIG_TEXT_MAX + 1 bytes, NUL-terminated: one byte more says "too large". */
static int read_all(int fd, char **ret, size_t *ret_len)
{
	size_t len = 0, size = 16384;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (len == size || !buf) {
			char *bigger = realloc(buf, (size = buf ? 2 * size : size) + 1);

			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0 || (len += (size_t)n) > CONFIG_TEXT_MAX)
			break;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int text_read(struct config_parse *p, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		log_error("%s: cannot read the configuration: %s", p->path, strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		log_error("%s: this is a directory, not a configuration file", p->path);
		return -EISDIR;
	}
	r = read_all(fd, ret, len);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read the configuration: %s", p->path,
				       strerror(-r));
	if (*len > CONFIG_TEXT_MAX) {
		log_error("%s: larger than %u MiB; this is not a configuration file", p->path,
			  CONFIG_TEXT_MAX >> 20);
		free(*ret);
		*ret = NULL;
		return -EFBIG;
	}
	return 0;
}

struct text {
	char *b;
	size_t len, i;
	unsigned line;
	bool in_word; /* inside an unquoted word: "//" and "${" are plain text there */
	unsigned depth, braces[TEXT_DEPTH_MAX];
};

static bool char_bad(char c)
{
	unsigned char u = (unsigned char)c;

	return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
}

static int text_fail_char(struct config_parse *p, unsigned line, char c)
{
	config_error(p, line, "%s 0x%02x: this is not a text file",
		     c == '\0' ? "NUL byte" : "control character", (unsigned char)c);
	return -EINVAL;
}

/* Checks b[from..to) and counts its newlines. */
static int text_span(struct config_parse *p, struct text *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (char_bad(t->b[i]))
			return text_fail_char(p, t->line, t->b[i]);
		if (t->b[i] == '\n')
			t->line++;
	}
	return 0;
}

/* libconfuse replaces ${NAME} (up to the next '}', wherever it is) by the
 * environment variable: the index of that '}', or 0 when there is none. */
static size_t text_env_end(const struct text *t, size_t i)
{
	const char *end;

	if (i + 1 >= t->len || t->b[i + 1] != '{')
		return 0;
	end = memchr(t->b + i + 2, '}', t->len - i - 2);
	return end ? (size_t)(end - t->b) : 0;
}

/* libconfuse turns \ooo (1 to 3 octal digits) and \xHH (1 or 2) into that
 * byte: one that is 0 would silently cut the string there ("/hook\0junk"
 * runs /hook), so the raw text is checked before libconfuse sees it. */
static size_t escape_nul_len(const char *b, size_t len, size_t i)
{
	size_t j = i + 1, max;
	unsigned v = 0, digits = 0;
	bool hex = j < len && b[j] == 'x';

	j += hex;
	for (max = hex ? 2 : 3; j < len && digits < max; j++, digits++) {
		char c = b[j];

		if (hex && isxdigit((unsigned char)c))
			v = v * 16 + (unsigned)(isdigit((unsigned char)c)
						    ? c - '0'
						    : (tolower((unsigned char)c) - 'a' + 10));
		else if (!hex && c >= '0' && c <= '7')
			v = v * 8 + (unsigned)(c - '0');
		else
			break;
	}
	return digits > 0 && v == 0 ? j - i : 0;
}

static int text_quoted(struct config_parse *p, struct text *t)
{
	char q = t->b[t->i];
	unsigned start = t->line;
	size_t i = t->i + 1, env, nul;
	int r = 0;

	while (r >= 0 && i < t->len && t->b[i] != q) {
		if (t->b[i] == '\\' && (nul = escape_nul_len(t->b, t->len, i)) > 0) {
			config_error(p, t->line,
				     "\"%.*s\" makes a NUL byte, which would cut the string short "
				     "there",
				     (int)nul, t->b + i);
			r = -EINVAL;
		} else if (t->b[i] == '\\' && i + 1 < t->len) {
			r = text_span(p, t, i, i + 2);
			i += 2;
		} else if (q == '"' && (env = text_env_end(t, i)) > 0) {
			r = text_span(p, t, i, env + 1);
			i = env + 1;
		} else {
			r = text_span(p, t, i, i + 1);
			i++;
		}
	}
	if (r < 0)
		return r;
	if (i >= t->len) {
		config_error(p, start, "this quoted string is never closed");
		return -EINVAL;
	}
	t->i = i + 1;
	return 0;
}

static void text_blank(struct text *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (t->b[i] != '\n')
			t->b[i] = ' ';
}

static int text_comment(struct config_parse *p, struct text *t, bool block)
{
	const char *end;
	size_t to;

	if (!block) {
		end = memchr(t->b + t->i, '\n', t->len - t->i);
		to = end ? (size_t)(end - t->b) : t->len;
		text_blank(t, t->i, to);
		t->i = to;
		return 0;
	}
	end = memmem(t->b + t->i + 2, t->len - t->i - 2, "*/", 2);
	if (!end) {
		config_error(p, t->line, "this /* comment is never closed");
		return -EINVAL;
	}
	to = (size_t)(end - t->b) + 2;
	for (size_t i = t->i; i < to; i++)
		t->line += t->b[i] == '\n';
	text_blank(t, t->i, to);
	t->i = to;
	return 0;
}

static int text_brace(struct config_parse *p, struct text *t, char c)
{
	if (c == '}') {
		/* An extra '}' is left to libconfuse: "unexpected closing brace". */
		if (t->depth > 0)
			t->depth--;
		return 0;
	}
	if (t->depth == TEXT_DEPTH_MAX) {
		config_error(p, t->line, "braces nested too deeply");
		return -EINVAL;
	}
	t->braces[t->depth++] = t->line;
	return 0;
}

/* One character (or string, comment, ${...}) outside strings and comments. */
static int text_step(struct config_parse *p, struct text *t)
{
	char c = t->b[t->i], next = t->i + 1 < t->len ? t->b[t->i + 1] : '\0';
	size_t env;

	if (char_bad(c))
		return text_fail_char(p, t->line, c);
	if (c == '"' || c == '\'') {
		t->in_word = false;
		return text_quoted(p, t);
	}
	if (c == '#' || (!t->in_word && c == '/' && (next == '/' || next == '*')))
		return text_comment(p, t, c == '/' && next == '*');
	if (!t->in_word && c == '$' && (env = text_env_end(t, t->i)) > 0) {
		t->i = env + 1;
		return 0;
	}
	/* libconfuse would glue ';' to the value before it: make it a separator. */
	if (c == ';')
		t->b[t->i] = c = ' ';
	t->in_word = !strchr(" \t\r\n={}(),+", c);
	if (c == '\n')
		t->line++;
	t->i++;
	return c == '{' || c == '}' ? text_brace(p, t, c) : 0;
}

static int text_clean(struct config_parse *p, char *b, size_t len)
{
	struct text t = {.b = b, .len = len, .line = 1};

	/* A UTF-8 byte order mark, as some editors write it. */
	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		text_blank(&t, 0, 3);

	while (t.i < t.len)
		if (text_step(p, &t) < 0)
			return -EINVAL;
	if (t.depth > 0) {
		config_error(p, t.braces[t.depth - 1], "this { is never closed");
		return -EINVAL;
	}
	return 0;
}

/* ---- libconfuse ------------------------------------------------------- */

static int line_add(struct config_parse *p, const cfg_t *sec, const cfg_opt_t *opt, unsigned idx)
{
	if (p->n_lines == p->n_alloc) {
		size_t n = p->n_alloc ? 2 * p->n_alloc : 64;
		struct config_line *l = reallocarray(p->lines, n, sizeof(*l));

		if (!l)
			return -ENOMEM;
		p->lines = l;
		p->n_alloc = n;
	}
	p->lines[p->n_lines++] = (struct config_line){sec, opt, idx, (unsigned)sec->line};
	return 0;
}

static const struct config_line *line_find(const struct config_parse *p, const cfg_t *sec,
					   const cfg_opt_t *opt, unsigned idx)
{
	/* From the end: a value set again counts where it was set last. Sections
	 * do not interleave, so the search ends at the start of sec. */
	for (size_t i = p->n_lines; i-- > 0;) {
		const struct config_line *l = &p->lines[i];

		if (l->sec == sec && l->opt == opt && l->idx == idx)
			return l;
		if (l->sec == sec && !l->opt)
			break;
	}
	return NULL;
}

/* Every value passes here as libconfuse stores it, while sec->line is its line. */
static int value_cb(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct config_parse *p = current;
	unsigned idx = opt->nvalues - 1;
	const struct config_line *prev;

	if (!p || p->n_errors > CONFIG_ERRORS_MAX)
		return -1;
	/* libconfuse grows its arrays one value at a time: keep them small. */
	if (opt->nvalues > CONFIG_LIST_MAX || p->n_lines >= CONFIG_VALUES_MAX) {
		config_error(p, (unsigned)sec->line, "more than %d %s",
			     opt->nvalues > CONFIG_LIST_MAX ? CONFIG_LIST_MAX : CONFIG_VALUES_MAX,
			     opt->nvalues > CONFIG_LIST_MAX ? "values in one list"
							    : "values in the file");
		return -1;
	}
	/* Index 0 again: "=" for the second time (a list grows with "+="). */
	prev = idx == 0 ? line_find(p, sec, opt, 0) : NULL;
	if (prev)
		config_error(p, (unsigned)sec->line, "%s%s%s%s%s is set twice (first on line %u)",
			     sec == p->root ? "" : sec->name, sec->title ? " " : "",
			     sec->title ? sec->title : "", sec == p->root ? "" : ": ", opt->name,
			     prev->line);
	if (line_add(p, sec, opt, idx) < 0)
		return -1;
	*(const char **)result = value;
	return 0;
}

/* The hidden list SECTION_LINE_OPT gets its default value when libconfuse
 * creates the section, at its opening brace: the only moment that line is
 * known (cfg_t.line ends up at the closing brace). This callback must not
 * fail: libconfuse abort()s when a default value does not parse. */
static int section_cb(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	if (current) {
		current->n_sections++;
		(void)line_add(current, sec, NULL, 0);
	}
	*(const char **)result = value;
	return 0;
}

/* Runs as each section closes; non-zero stops the parse. */
static int section_end_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	if (current && current->n_sections == CONFIG_SECTIONS_MAX + 1) {
		config_error(current, (unsigned)cfg->line, "more than %d sections",
			     CONFIG_SECTIONS_MAX);
		return -1;
	}
	return 0;
}

static void error_cb(cfg_t *cfg, const char *fmt, va_list ap) _printf_(2, 0);
static void error_cb(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[160];

	if (!current)
		return;
	/* The titled sections are ups and serve's user; say so in our words. */
	if (strcmp(fmt, "found duplicate title '%s'") == 0)
		fmt = cfg && cfg->name && strcmp(cfg->name, "serve") == 0
			  ? "serve: there is already a user named '%s'"
			  : "there is already a ups section named '%s'";
	/* Messages quote the token at fault, which can be a whole line of garbage. */
	if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	config_error(current, cfg ? (unsigned)cfg->line : 0, "%s", msg);
}

#define VALUE(name)  CFG_STR_CB(name, NULL, CFGF_NODEFAULT, value_cb)
#define VALUES(name) CFG_STR_LIST_CB(name, NULL, CFGF_NODEFAULT, value_cb)
#define SECTION_LINE CFG_STR_LIST_CB(SECTION_LINE_OPT, "{0}", CFGF_NONE, section_cb)

static cfg_opt_t notify_opts[] = {
    SECTION_LINE,  VALUES("command"),  VALUES("events"), VALUE("timeout"),
    VALUE("wall"), VALUES("messages"), CFG_END(),
};

static cfg_opt_t ups_opts[] = {
    SECTION_LINE,
    VALUE("driver"),
    VALUE("server"),
    VALUE("port"),
    VALUE("ups"),
    VALUE("upsname"),
    VALUE("tls"),
    VALUE("tls-min-version"),
    VALUE("ca-file"),
    VALUE("server-name"),
    VALUE("cert-file"),
    VALUE("key-file"),
    VALUE("pin-sha256"),
    VALUE("user"),
    VALUE("password-file"),
    VALUE("role"),
    VALUE("power-value"),
    VALUE("battery-charge-low"),
    VALUE("runtime-low"),
    VALUE("on-battery-max"),
    VALUES("script"),
    VALUE("vendor-id"),
    VALUE("product-id"),
    VALUE("serial"),
    CFG_END(),
};

static cfg_opt_t serve_user_opts[] = {
    SECTION_LINE, VALUE("role"), VALUE("password-file"), VALUE("client-certificate"),
    VALUE("plaintext-login"), CFG_END(),
};

static cfg_opt_t serve_opts[] = {
    SECTION_LINE,
    VALUES("ups"),
    VALUES("listen"),
    VALUES("listen-starttls"),
    VALUES("listen-plain"),
    VALUE("cert-file"),
    VALUE("key-file"),
    VALUE("client-ca-file"),
    VALUE("client-crl-file"),
    VALUE("client-certificate-required"),
    VALUES("allow"),
    VALUE("max-clients"),
    VALUE("max-before-login"),
    VALUE("max-before-login-per-address"),
    VALUE("handshake-timeout"),
    VALUE("idle-timeout"),
    CFG_SEC("user", serve_user_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

static cfg_opt_t metrics_opts[] = {
    SECTION_LINE,	    VALUES("listen"),	  VALUE("cert-file"), VALUE("key-file"),
    VALUE("client-ca-file"), VALUES("allow"),	  VALUE("max-connections"),
    VALUE("timeout"),	    VALUE("textfile"), CFG_END(),
};

static cfg_opt_t root_opts[] = {
    VALUE("poll-interval"),
    VALUE("poll-timeout"),
    VALUE("connect-timeout"),
    VALUE("dead-time"),
    VALUE("host-sync"),
    VALUE("final-delay"),
    VALUE("nocomm-warn-time"),
    VALUE("rb-warn-time"),
    VALUE("off-duration"),
    VALUE("ob-lb-duration"),
    VALUE("min-supplies"),
    VALUE("powerdown-flag"),
    VALUES("shutdown-command"),
    VALUE("status-socket"),
    CFG_SEC("notify", notify_opts, CFGF_MULTI),
    CFG_SEC("ups", ups_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    /* MULTI so that a second one is reported (config-serve.c), not merged. */
    CFG_SEC("serve", serve_opts, CFGF_MULTI),
    CFG_SEC("metrics", metrics_opts, CFGF_MULTI),
    CFG_END(),
};

static int parse_text(struct config_parse *p, const char *text, cfg_t **ret)
{
	unsigned before = p->n_errors;
	cfg_t *cfg = cfg_init(root_opts, CFGF_NONE);
	int r;

	if (!cfg)
		return log_error_errno(-ENOMEM, "%s: out of memory", p->path);
	cfg_set_error_function(cfg, error_cb);
	cfg_set_validate_func(cfg, "ups", section_end_cb);
	cfg_set_validate_func(cfg, "notify", section_end_cb);
	cfg_set_validate_func(cfg, "serve", section_end_cb);
	cfg_set_validate_func(cfg, "serve|user", section_end_cb);
	cfg_set_validate_func(cfg, "metrics", section_end_cb);
	current = p;
	p->root = cfg;
	r = cfg_parse_buf(cfg, text);
	current = NULL;
	if (r != CFG_SUCCESS) {
		if (p->n_errors == before)
			config_error(p, 0, "cannot parse the file");
		cfg_free(cfg);
		return -EINVAL;
	}
	*ret = cfg;
	return 0;
}

int config_parse_file(struct config_parse *p, cfg_t **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = text_read(p, &text, &len);
	if (r < 0)
		return r;
	r = text_clean(p, text, len);
	if (r < 0)
		return r;
	return parse_text(p, text, ret);
}

void config_parse_done(struct config_parse *p)
{
	messages_flush(p);
	free(p->lines);
	p->lines = NULL;
	p->n_lines = p->n_alloc = 0;
}

unsigned config_line(const struct config_parse *p, cfg_t *sec, const char *name, unsigned idx)
{
	const cfg_opt_t *opt = NULL;
	const struct config_line *l;

	if (name && !(opt = cfg_getopt(sec, name)))
		return 0;
	l = line_find(p, sec, opt, idx);
	return l ? l->line : 0;
}
