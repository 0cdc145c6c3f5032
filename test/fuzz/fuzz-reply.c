/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for reply matching: the lines a server sends, framed and
 * parsed, fed to each kind of pending request (GET, LIST, a command, any
 * line) the way a session does. Any byte string must end every request in
 * an answer, a refusal or an error; never a crash or unbounded memory.
 * test/fuzz/replay.c replays its seeds in every build.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const get[] = {"GET", "VAR", "ups1", "ups.status"};
static const char *const list[] = {"LIST", "VAR", "ups1"};
static const char *const cmd[] = {"PASSWORD", "secret"};
static const char *const any[] = {"PROTVER"};

static struct request *request_for(unsigned kind)
{
	switch (kind % 4) {
	case 0:
		return request_new(REQUEST_ANSWER, 4, get, false);
	case 1:
		return request_new(REQUEST_LIST, 3, list, false);
	case 2:
		return request_new(REQUEST_COMMAND, 2, cmd, true);
	default:
		return request_new(REQUEST_ANY, 1, any, false);
	}
}

/* Feeds one line to the pending request; returns it, or a new one when done. */
static struct request *feed(struct request *r, const char *line, unsigned *kind)
{
	static struct proto_reply reply;
	const char *value;
	int k;

	if (proto_reply_parse(line, &reply) < 0)
		return r;
	k = request_match(r, &reply, line, &value);
	if (k == REQUEST_DONE && value)
		(void)strlen(value); /* the answer must be a string */
	if (k == REQUEST_MORE)
		return r;
	request_free(r);
	return request_for(++*kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_reader reader;
	unsigned kind = size ? data[0] : 0;
	struct request *r = request_for(kind);
	size_t used = 0;

	proto_reader_init(&reader);
	while (r && used < size) {
		size_t avail, n;
		char *p = proto_reader_space(&reader, &avail), *line;
		size_t len;
		int k = 0;

		n = size - used < avail ? size - used : avail;
		memcpy(p, data + used, n);
		used += n;
		proto_reader_commit(&reader, n);
		while (r && (k = proto_reader_next(&reader, &line, &len)) > 0)
			r = feed(r, line, &kind);
		if (k < 0)
			break;
	}
	request_free(r);
	return 0;
}
