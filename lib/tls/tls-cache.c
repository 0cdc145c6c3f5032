/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tls-cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

/* What a file was when its contents were loaded. */
struct file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

enum { FILE_TRUST, FILE_CERT, FILE_KEY, _FILE_MAX };

struct entry {
	char *path[_FILE_MAX]; /* the options as given: NULL when unset */
	struct file_id id[_FILE_MAX];
	struct tls_creds *creds;
	unsigned refs;
	struct entry *next;
};

static struct entry *entries;

static void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	*id = (struct file_id){0};
	if (!path || stat(path, &st) < 0)
		return;
	*id = (struct file_id){.exists = true,
			       .dev = st.st_dev,
			       .ino = st.st_ino,
			       .size = st.st_size,
			       .mtime = st.st_mtim};
}

static bool file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < _FILE_MAX; i++)
		free(e->path[i]);
	tls_creds_free(e->creds);
	free(e);
}

int tls_cache_get(const struct tls_options *o, struct tls_creds **ret, char *err, size_t errlen)
{
	const char *path[_FILE_MAX] = {o->ca_file, o->cert_file, o->key_file};
	struct file_id id[_FILE_MAX];
	struct entry *e;
	int r;

	file_id_of(o->ca_file ? o->ca_file : TLS_CACHE_SYSTEM_TRUST_FILE, &id[FILE_TRUST]);
	file_id_of(o->cert_file, &id[FILE_CERT]);
	file_id_of(o->key_file, &id[FILE_KEY]);
	for (e = entries; e; e = e->next) {
		bool same = true;

		for (size_t i = 0; i < _FILE_MAX && same; i++)
			same = str_equal(e->path[i], path[i]) && file_id_equal(&e->id[i], &id[i]);
		if (same) {
			e->refs++;
			*ret = e->creds;
			return 0;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < _FILE_MAX; i++) {
		e->id[i] = id[i];
		if (path[i] && !(e->path[i] = strdup(path[i]))) {
			entry_free(e);
			return -ENOMEM;
		}
	}
	/* Failures are not cached: the next session tries again, and says why. */
	r = tls_creds_new(o, &e->creds, err, errlen);
	if (r < 0) {
		entry_free(e);
		return r;
	}
	e->refs = 1;
	e->next = entries;
	entries = e;
	*ret = e->creds;
	return 0;
}

struct tls_creds *tls_cache_put(struct tls_creds *c)
{
	struct entry **p;

	if (!c)
		return NULL;
	for (p = &entries; *p; p = &(*p)->next) {
		struct entry *e = *p;

		if (e->creds != c)
			continue;
		if (--e->refs == 0) {
			*p = e->next;
			entry_free(e);
		}
		return NULL;
	}
	/* Not from the cache: it has one owner. */
	return tls_creds_free(c);
}

size_t tls_cache_size(void)
{
	size_t n = 0;

	for (const struct entry *e = entries; e; e = e->next)
		n++;
	return n;
}
