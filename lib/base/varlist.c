/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "varlist.h"

/* Index of name, or of where it would go (*found false). */
static size_t varlist_search(const struct varlist *l, const char *name, int *found)
{
	size_t lo = 0, hi = l->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int varlist_set(struct varlist *l, const char *name, const char *value)
{
	char *n, *v;
	size_t i;
	int found;

	if (!name || !*name || !value)
		return -EINVAL;
	i = varlist_search(l, name, &found);
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (found) {
		free(l->v[i].value);
		l->v[i].value = v;
		return 0;
	}
	if (l->n >= VARLIST_MAX) {
		free(v);
		return -E2BIG;
	}
	if (l->n == l->allocated) {
		size_t a = l->allocated ? l->allocated * 2 : 16;
		struct var *nv = realloc(l->v, a * sizeof(*nv));

		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		l->v = nv;
		l->allocated = a;
	}
	n = strdup(name);
	if (!n) {
		free(v);
		return -ENOMEM;
	}
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(l->v[0]));
	l->v[i] = (struct var){.name = n, .value = v};
	l->n++;
	return 0;
}

const char *varlist_get(const struct varlist *l, const char *name)
{
	int found;
	size_t i;

	if (!name)
		return NULL;
	i = varlist_search(l, name, &found);
	return found ? l->v[i].value : NULL;
}

int varlist_unset(struct varlist *l, const char *name)
{
	int found;
	size_t i;

	i = varlist_search(l, name, &found);
	if (!found)
		return -ENOENT;
	free(l->v[i].name);
	free(l->v[i].value);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
	return 0;
}

void varlist_clear(struct varlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	*l = (struct varlist){0};
}

int varlist_copy(struct varlist *dst, const struct varlist *src)
{
	varlist_clear(dst);
	for (size_t i = 0; i < src->n; i++)
		if (varlist_set(dst, src->v[i].name, src->v[i].value) < 0) {
			varlist_clear(dst);
			return -ENOMEM;
		}
	return 0;
}
