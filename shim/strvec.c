#include "strvec.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

char *strvec_empty_array[] = { NULL };

void strvec_init(struct strvec *sv)
{
	sv->v = strvec_empty_array;
	sv->nr = 0;
	sv->alloc = 0;
}

static void strvec_grow(struct strvec *sv, size_t want)
{
	if (want + 1 <= sv->alloc)
		return;
	size_t alloc = sv->alloc ? sv->alloc : 8;
	while (alloc < want + 1)
		alloc *= 2;
	if (sv->v == strvec_empty_array) {
		sv->v = xcalloc(alloc, sizeof(*sv->v));
	} else {
		sv->v = xrealloc(sv->v, alloc * sizeof(*sv->v));
	}
	sv->alloc = alloc;
}

void strvec_push_nodup(struct strvec *sv, char *s)
{
	strvec_grow(sv, sv->nr + 1);
	sv->v[sv->nr++] = s;
	sv->v[sv->nr] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_nodup(sv, xstrdup(s));
}

void strvec_pushv(struct strvec *sv, char *const *v)
{
	for (; *v; v++)
		strvec_push(sv, *v);
}

void strvec_insert(struct strvec *sv, size_t pos, const char *s)
{
	if (pos > sv->nr)
		pos = sv->nr;
	strvec_grow(sv, sv->nr + 1);
	memmove(sv->v + pos + 1, sv->v + pos, (sv->nr - pos + 1) * sizeof(*sv->v));
	sv->v[pos] = xstrdup(s);
	sv->nr++;
}

void strvec_remove(struct strvec *sv, size_t pos, size_t n)
{
	if (pos >= sv->nr)
		return;
	if (n > sv->nr - pos)
		n = sv->nr - pos;
	for (size_t i = pos; i < pos + n; i++)
		free(sv->v[i]);
	memmove(sv->v + pos, sv->v + pos + n, (sv->nr - pos - n + 1) * sizeof(*sv->v));
	sv->nr -= n;
}

void strvec_replace(struct strvec *sv, size_t pos, const char *s)
{
	if (pos >= sv->nr)
		return;
	char *copy = xstrdup(s);
	free(sv->v[pos]);
	sv->v[pos] = copy;
}

void strvec_clear(struct strvec *sv)
{
	if (sv->v != strvec_empty_array) {
		for (size_t i = 0; i < sv->nr; i++)
			free(sv->v[i]);
		free(sv->v);
	}
	strvec_init(sv);
}

void strvec_move(struct strvec *dst, struct strvec *src)
{
	if (dst->nr == 0 && dst->v == strvec_empty_array) {
		*dst = *src;
	} else {
		for (size_t i = 0; i < src->nr; i++)
			strvec_push_nodup(dst, src->v[i]);
		if (src->v != strvec_empty_array)
			free(src->v);
	}
	strvec_init(src);
}

int strvec_equal(const struct strvec *a, const struct strvec *b)
{
	if (a->nr != b->nr)
		return 0;
	for (size_t i = 0; i < a->nr; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}
