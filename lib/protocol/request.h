/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A request to a UPS server and how its reply lines are matched. Pure: the
 * session (conn.c) owns the queue and the I/O; this module decides whether a
 * line completes, continues or breaks a request.
 */
#pragma once

#include <stdint.h>

#include "proto.h"

enum request_kind {
	REQUEST_COMMAND, /* OK... or ERR */
	REQUEST_ANY,	 /* any single line: PROTVER's "1.3", LOGOUT's "Goodbye..." */
	REQUEST_ANSWER,	 /* GET: "<what> <args...> <value>" or ERR */
	REQUEST_LIST,	 /* LIST: BEGIN LIST ... END LIST, or ERR */
	_REQUEST_KIND_MAX
};

struct request {
	enum request_kind kind;
	char *what;   /* ANSWER: the word the reply starts with */
	size_t nargs; /* ANSWER: the words that follow it */
	char *args[4];
	struct proto_list list; /* LIST */
	char label[96];		/* "GET VAR ups1 ups.status": for messages, never secrets */
	uint64_t deadline;	/* CLOCK_MONOTONIC, microseconds */
	void (*fn)(void);	/* the owner's callback (a conn_reply_fn) and its data */
	void *userdata;
	struct request *next; /* conn::requests */
};

enum request_result {
	REQUEST_MORE,	 /* a LIST wants further lines */
	REQUEST_DONE,	 /* answered: *value or the list holds the answer */
	REQUEST_REFUSED, /* the server answered ERR */
	_REQUEST_RESULT_MAX
};

/*
 * words: the command as sent (copied into the label; with redact the
 * arguments are replaced by "***" so a PASSWORD never reaches a message).
 * Free with request_free().
 */
struct request *request_new(enum request_kind kind, size_t n, const char *const *words,
			    bool redact);
struct request *request_free(struct request *r);

/*
 * Matches one parsed reply line. Returns a request_result, or -EBADMSG when
 * the line cannot be the answer (the session is then out of step and must
 * end), -E2BIG for an oversized list. For DONE, *value is the answer (GET),
 * the text after OK (COMMAND), or the whole line (ANY); it points into reply.
 */
int request_match(struct request *r, const struct proto_reply *reply, const char *line,
		  const char **value);
