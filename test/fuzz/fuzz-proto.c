/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the protocol codec. The input is a byte stream from a
 * server: it goes through the reader (twice, in different chunkings, which
 * must agree), the reply parser and a LIST collector; every line's words are
 * rebuilt with proto_build() and must split back to the same words.
 *
 * test/fuzz/replay.c replays its seeds in every build, without clang.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a: a cheap digest of everything a run observed. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t mix_int(uint64_t h, long v)
{
	return mix(h, &v, sizeof(v));
}

static bool words_printable(const struct proto_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		for (const unsigned char *p = (const unsigned char *)w->w[i]; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				return false;
	return true;
}

/* proto_split(proto_build(words)) == words, for every buildable word list. */
static void check_roundtrip(const struct proto_words *w)
{
	static char line[PROTO_LINE_MAX + 2];
	static struct proto_words back;
	int r;

	if (w->n == 0)
		return;
	r = proto_build(line, sizeof(line), w->n, (const char *const *)w->w);
	if (r == -EINVAL) {
		if (words_printable(w))
			abort();
		return;
	}
	if (r == -ENOBUFS)
		return; /* escaping can make a line longer than the one received */
	if (r <= 0 || line[r - 1] != '\n' || !words_printable(w))
		abort();
	line[r - 1] = '\0';
	if (proto_split(line, &back) != 0 || back.n != w->n)
		abort();
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(back.w[i], w->w[i]) != 0)
			abort();
}

struct run {
	struct proto_reply rep;
	struct proto_list list;
	uint64_t digest;
};

static void list_restart(struct run *run, const struct proto_reply *rep)
{
	static const char *const dflt[] = {"VAR", "ups1"};

	proto_list_done(&run->list);
	if (rep && rep->type == PROTO_REPLY_BEGIN_LIST &&
	    proto_list_init(&run->list, rep->words.n - 2, (const char *const *)rep->words.w + 2) ==
		0)
		return;
	if (proto_list_init(&run->list, 2, dflt) != 0)
		abort();
}

static void list_step(struct run *run)
{
	int r;

	if (run->rep.type == PROTO_REPLY_ERR)
		return; /* the caller's job, as the contract says */
	if (run->rep.type == PROTO_REPLY_BEGIN_LIST && !run->list.begun)
		list_restart(run, &run->rep);
	r = proto_list_feed(&run->list, &run->rep);
	run->digest = mix_int(run->digest, r);
	if (r == 1)
		run->digest = mix_int(run->digest, (long)run->list.n);
	if (r != 0)
		list_restart(run, NULL);
}

static void check_answer(struct run *run)
{
	const struct proto_words *w = &run->rep.words;
	const char *value = NULL;
	int r;

	if (w->n < 2)
		return;
	/* a reply always answers the question made of its own words */
	r = proto_reply_answer(&run->rep, w->w[0], w->n - 2, (const char *const *)w->w + 1, &value);
	if (run->rep.type == PROTO_REPLY_DATA && (r != 0 || value != w->w[w->n - 1]))
		abort();
	if (run->rep.type != PROTO_REPLY_DATA && r != -EBADMSG)
		abort();
}

static void on_line(struct run *run, const char *line, size_t len)
{
	int r = proto_reply_parse(line, &run->rep);

	run->digest = mix(run->digest, line, len);
	run->digest = mix_int(run->digest, r);
	if (r < 0)
		return;
	run->digest = mix_int(run->digest, run->rep.type);
	run->digest = mix_int(run->digest, run->rep.err);
	if (!proto_err_to_string(run->rep.err))
		abort();
	check_roundtrip(&run->rep.words);
	check_answer(run);
	list_step(run);
}

/* Feeds data in chunks of 1..max bytes (0: as much as fits). */
static uint64_t run_stream(const uint8_t *data, size_t size, size_t max)
{
	static struct run run;
	static struct proto_reader reader;
	size_t off = 0;
	int r;

	run.digest = 0xcbf29ce484222325ULL;
	list_restart(&run, NULL);
	proto_reader_init(&reader);
	for (;;) {
		char *line, *space;
		size_t len, avail, k;

		while ((r = proto_reader_next(&reader, &line, &len)) == 1)
			on_line(&run, line, len);
		if (r < 0 || off == size)
			break;
		space = proto_reader_space(&reader, &avail);
		k = size - off < avail ? size - off : avail;
		if (max && k > 1 + off % max)
			k = 1 + off % max;
		memcpy(space, data + off, k);
		proto_reader_commit(&reader, k);
		off += k;
	}
	proto_list_done(&run.list);
	/* after an error, how much was read ahead depends on the chunking */
	if (r < 0)
		return mix_int(run.digest, r);
	return mix_int(run.digest, (long)proto_reader_pending(&reader));
}

/* The whole input as one line, NULs and all: the tokenizer alone. */
static void split_whole(const uint8_t *data, size_t size)
{
	static char line[2 * PROTO_LINE_MAX + 1];
	static struct proto_reply rep;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (proto_reply_parse(line, &rep) == 0)
		check_roundtrip(&rep.words);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size ? 1 + data[0] % 17 : 1;

	split_whole(data, size);
	if (run_stream(data, size, 0) != run_stream(data, size, max))
		abort();
	return 0;
}
