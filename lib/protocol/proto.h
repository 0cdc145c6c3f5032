/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The line codec of the NUT network protocol (RFC 9271, NUT protocol 1.3).
 * Pure: bytes in, structs out; no I/O, no logging, no clock.
 *
 * Everything is bounded: a line longer than PROTO_LINE_MAX, a line of more
 * than PROTO_WORDS_MAX words or a list of more than PROTO_LIST_MAX items is a
 * protocol error, never unbounded memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define PROTO_LINE_MAX 4096 /* longest line, LF excluded */
#define PROTO_WORDS_MAX 64  /* most words in one line */
#define PROTO_LIST_MAX 4096 /* most items in one LIST reply */

/* The error words of protocol.md section 1, current and legacy. */
enum proto_err {
	PROTO_ERR_NONE = 0,
	PROTO_ERR_ACCESS_DENIED,
	PROTO_ERR_UNKNOWN_UPS,
	PROTO_ERR_VAR_NOT_SUPPORTED,
	PROTO_ERR_CMD_NOT_SUPPORTED,
	PROTO_ERR_INVALID_ARGUMENT,
	PROTO_ERR_INSTCMD_FAILED,
	PROTO_ERR_SET_FAILED,
	PROTO_ERR_READONLY,
	PROTO_ERR_TOO_LONG,
	PROTO_ERR_FEATURE_NOT_SUPPORTED,
	PROTO_ERR_FEATURE_NOT_CONFIGURED,
	PROTO_ERR_ALREADY_SSL_MODE,
	PROTO_ERR_DRIVER_NOT_CONNECTED,
	PROTO_ERR_DATA_STALE,
	PROTO_ERR_ALREADY_LOGGED_IN,
	PROTO_ERR_INVALID_PASSWORD,
	PROTO_ERR_ALREADY_SET_PASSWORD,
	PROTO_ERR_INVALID_USERNAME,
	PROTO_ERR_ALREADY_SET_USERNAME,
	PROTO_ERR_USERNAME_REQUIRED,
	PROTO_ERR_PASSWORD_REQUIRED,
	PROTO_ERR_UNKNOWN_COMMAND,
	PROTO_ERR_INVALID_VALUE,
	PROTO_ERR_VAR_UNKNOWN,
	PROTO_ERR_UNKNOWN_TYPE,
	PROTO_ERR_UNKNOWN_INSTCMD,
	PROTO_ERR_MISSING_ARGUMENT,
	PROTO_ERR_UNKNOWN, /* a word not listed above; the reply keeps the word */
	_PROTO_ERR_MAX
};

/* "ACCESS-DENIED" -> PROTO_ERR_ACCESS_DENIED; any other word -> PROTO_ERR_UNKNOWN. */
enum proto_err proto_err_from_word(const char *word);
/* The protocol word, or NULL for PROTO_ERR_NONE / PROTO_ERR_UNKNOWN. */
const char *proto_err_to_word(enum proto_err e);
/* A short phrase for people: "access denied", "unknown UPS", "data stale". */
const char *proto_err_to_string(enum proto_err e);
/* A negative errno for the error: -EACCES, -ENODEV, -ESTALE, -EOPNOTSUPP, ... */
int proto_err_to_errno(enum proto_err e);

/*
 * Line framing over a byte stream. The buffer is fixed; it never grows.
 * Read into proto_reader_space(), tell proto_reader_commit() how much came,
 * then take lines with proto_reader_next() until it returns 0.
 */
struct proto_reader {
	size_t len;   /* bytes held */
	size_t taken; /* bytes of lines already handed out, dropped on the next call */
	char buf[PROTO_LINE_MAX + 2];
};

void proto_reader_init(struct proto_reader *r);
/* Where to read to; *avail is at least 1 unless a full line is pending. */
char *proto_reader_space(struct proto_reader *r, size_t *avail);
void proto_reader_commit(struct proto_reader *r, size_t n);
/*
 * 1: *line is the next line, NUL-terminated, with LF and a trailing CR
 *    removed; valid until the next call.
 * 0: no complete line yet.
 * -EMSGSIZE: more than PROTO_LINE_MAX bytes without LF.
 * -EBADMSG: the line holds NUL or another control byte (TAB and CR excepted).
 * After an error the reader is unusable until proto_reader_init().
 */
int proto_reader_next(struct proto_reader *r, char **line, size_t *len);
/* Bytes received but not yet handed out as lines (a truncated reply at EOF). */
size_t proto_reader_pending(const struct proto_reader *r);

/*
 * Tokenizing, as upsd's parseconf does: words split on blanks (space, TAB,
 * CR); "..." groups words; a backslash escapes the next character inside or
 * outside quotes; an unquoted '#' starts a comment (the rest is ignored); a
 * '#' inside quotes is kept as a literal (upsd escapes it, other servers may
 * not). "" is an empty word.
 */
struct proto_words {
	size_t n;
	char *w[PROTO_WORDS_MAX];
	char buf[PROTO_LINE_MAX + 1]; /* the words, NUL-separated; w[] points here */
};

/*
 * 0 on success; -EBADMSG for an unterminated quote or a trailing backslash;
 * -E2BIG for more than PROTO_WORDS_MAX words; -EMSGSIZE for a line longer
 * than PROTO_LINE_MAX.
 */
int proto_split(const char *line, struct proto_words *out);

/*
 * Builds one command line from n words, separated by single spaces and ended
 * by LF. A word that is empty or holds a blank, '"', '\\' or '#' is written
 * in double quotes with '"', '\\' and '#' escaped by a backslash. A word
 * holding '=' is quoted too: upsd's parseconf splits an unquoted word there.
 * Bytes outside printable ASCII (0x20-0x7e) cannot cross the protocol (upsd
 * drops them): -EINVAL, as for n == 0 or a NULL word; -E2BIG for more than
 * PROTO_WORDS_MAX words. -ENOBUFS when the line (NUL included) does not fit
 * size or is longer than PROTO_LINE_MAX. Returns the length without the NUL.
 */
int proto_build(char *buf, size_t size, size_t n, const char *const *words);

enum proto_reply_type {
	PROTO_REPLY_OK,         /* "OK" or "OK <anything>" (OK STARTTLS, OK Goodbye, ...) */
	PROTO_REPLY_ERR,        /* "ERR <WORD> [extra...]" */
	PROTO_REPLY_BEGIN_LIST, /* "BEGIN LIST <query...>" */
	PROTO_REPLY_END_LIST,   /* "END LIST <query...>" */
	PROTO_REPLY_DATA,       /* anything else: VAR ..., NUMLOGINS ..., 1.3, Goodbye... */
};

struct proto_reply {
	enum proto_reply_type type;
	enum proto_err err;   /* for PROTO_REPLY_ERR */
	const char *err_word; /* for PROTO_REPLY_ERR: the word as received */
	struct proto_words words;
};

/*
 * Parses one line. Keywords (OK, ERR, BEGIN, LIST, END) match without regard
 * to case. An "ERR" without a word is -EBADMSG. Returns 0 or the errors of
 * proto_split().
 */
int proto_reply_parse(const char *line, struct proto_reply *out);

/*
 * Checks that a DATA reply answers "GET <what> <args...>": its words are
 * <what> <args...> <value>, exactly. Returns 0 and *value, or -EBADMSG.
 * Example: proto_reply_answer(r, "VAR", 2, {"ups1", "ups.status"}, &v)
 * accepts VAR ups1 ups.status "OL".
 */
int proto_reply_answer(const struct proto_reply *r, const char *what, size_t nargs,
		       const char *const *args, const char **value);

/*
 * Collects one LIST reply: BEGIN LIST <query...>, item lines, END LIST
 * <query...>. For "LIST VAR ups1" the query is {"VAR", "ups1"} and each item
 * line is VAR ups1 <key> [<value>]: the query words, then one or two words.
 * Strings are owned by the list.
 */
struct proto_list_item {
	char *key;
	char *value; /* NULL when the item has one word only (LIST CMD) */
};

struct proto_list {
	size_t nquery;
	char *query[PROTO_WORDS_MAX];
	bool begun, done;
	size_t n, allocated;
	struct proto_list_item *items;
};

/* 0, or -ENOMEM / -E2BIG (too many query words). Free with proto_list_done(). */
int proto_list_init(struct proto_list *l, size_t nquery, const char *const *query);
/*
 * Feeds one parsed line. The caller handles PROTO_REPLY_ERR itself before
 * feeding. Returns 0 when more lines are needed, 1 when END LIST arrived,
 * -EBADMSG for a line that does not belong to this list (a BEGIN for another
 * query, an item before BEGIN, a malformed item), -E2BIG past PROTO_LIST_MAX
 * items, -ENOMEM.
 */
int proto_list_feed(struct proto_list *l, const struct proto_reply *r);
void proto_list_done(struct proto_list *l);
