/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

/* Appends " word", cut to fit. Not snprintf(): a request is made per poll,
 * and formatting its label cost more instructions than the rest of it. */
static void label_append(struct request *r, const char *word)
{
	size_t used = strlen(r->label), room = sizeof(r->label) - 1 - used, n = strlen(word);

	if (used > 0 && room > 0) {
		r->label[used++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(r->label + used, word, n);
	r->label[used + n] = '\0';
}

static int request_init_kind(struct request *r, size_t n, const char *const *words)
{
	if (r->kind == REQUEST_ANSWER) {
		/* GET <what> <args...>: the answer repeats <what> <args...>. */
		if (n < 2 || n - 2 > ELEMENTSOF(r->args))
			return -EINVAL;
		r->what = strdup(words[1]);
		if (!r->what)
			return -ENOMEM;
		for (size_t i = 2; i < n; i++) {
			r->args[r->nargs] = strdup(words[i]);
			if (!r->args[r->nargs])
				return -ENOMEM;
			r->nargs++;
		}
	} else if (r->kind == REQUEST_LIST) {
		/* LIST <query...>: BEGIN LIST and END LIST repeat the query. */
		if (n < 2)
			return -EINVAL;
		return proto_list_init(&r->list, n - 1, words + 1);
	}
	return 0;
}

struct request *request_new(enum request_kind kind, size_t n, const char *const *words, bool redact)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->kind = kind;
	for (size_t i = 0; i < n; i++)
		label_append(r, redact && i > 0 ? "***" : words[i]);
	if (request_init_kind(r, n, words) < 0)
		return request_free(r);
	return r;
}

struct request *request_free(struct request *r)
{
	if (!r)
		return NULL;
	free(r->what);
	for (size_t i = 0; i < r->nargs; i++)
		free(r->args[i]);
	if (r->kind == REQUEST_LIST)
		proto_list_done(&r->list);
	free(r);
	return NULL;
}

/* The text after "OK": "STARTTLS", "Goodbye", "PRIMARY-GRANTED" or "". */
static const char *ok_text(const char *line)
{
	line += strspn(line, " \t\r");
	line += 2;
	return line + strspn(line, " \t\r");
}

static int match_list(struct request *r, const struct proto_reply *reply)
{
	int k = proto_list_feed(&r->list, reply);

	if (k < 0)
		return k;
	return k == 1 ? REQUEST_DONE : REQUEST_MORE;
}

int request_match(struct request *r, const struct proto_reply *reply, const char *line,
		  const char **value)
{
	*value = NULL;
	if (reply->type == PROTO_REPLY_ERR)
		/* An ERR in the middle of a list cannot happen with upsd. */
		return r->kind == REQUEST_LIST && r->list.begun ? -EBADMSG : REQUEST_REFUSED;
	switch (r->kind) {
	case REQUEST_COMMAND:
		if (reply->type != PROTO_REPLY_OK)
			return -EBADMSG;
		*value = ok_text(line);
		return REQUEST_DONE;
	case REQUEST_ANY:
		if (reply->type == PROTO_REPLY_BEGIN_LIST || reply->type == PROTO_REPLY_END_LIST)
			return -EBADMSG;
		*value = reply->type == PROTO_REPLY_OK ? ok_text(line) : line;
		return REQUEST_DONE;
	case REQUEST_ANSWER:
		if (reply->type != PROTO_REPLY_DATA)
			return -EBADMSG;
		if (proto_reply_answer(reply, r->what, r->nargs, (const char *const *)r->args,
				       value) < 0)
			return -EBADMSG;
		return REQUEST_DONE;
	case REQUEST_LIST:
		return match_list(r, reply);
	default:
		return -EINVAL;
	}
}
