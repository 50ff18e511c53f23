/*
 * bisect: halving, minimal failing subsets and flag differences (bisect.h).
 */
#include "bisect.h"
#include "argmodel.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

unsigned bisect_log2_ceil(size_t n)
{
	unsigned k = 0;
	while (((size_t)1 << k) < n)
		k++;
	return k;
}

int bisect_halve(size_t n, bisect_oracle fails, void *ctx, size_t *culprit, int *verified)
{
	unsigned char *set = xcalloc(n ? n : 1, 1);
	size_t lo = 0, hi = n;
	*verified = n == 1;	/* the whole set, known to fail, is the one item */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo + 1) / 2;	/* the first half is the larger: ceil(log2 n) steps either way */
		memset(set, 0, n);
		memset(set + lo, 1, mid - lo);
		int r = fails(ctx, set, n);
		if (r < 0) {
			free(set);
			return -1;
		}
		if (r) {
			hi = mid;
			*verified = 1;
		} else {
			lo = mid;
			*verified = 0;
		}
	}
	free(set);
	if (n == 0)
		return -1;
	*culprit = lo;
	return 0;
}

int bisect_minimal(size_t n, bisect_oracle fails, void *ctx, unsigned char *needed)
{
	unsigned char *set = xcalloc(n ? n : 1, 1);
	size_t u = n;	/* the candidates left are items 0..u-1; needed plus all of them is known to fail */
	int have = 0, ret = -1;
	memset(needed, 0, n);
	while (u > 0) {
		if (have) {
			int r = fails(ctx, needed, n);
			if (r < 0)
				goto out;
			if (r) {
				ret = 0;
				goto out;
			}
		}
		/* the smallest k such that needed plus items 0..k-1 fails: item k-1 is needed */
		size_t lo = 1, hi = u;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			for (size_t i = 0; i < n; i++)
				set[i] = (unsigned char)((i < mid) | needed[i]);
			int r = fails(ctx, set, n);
			if (r < 0)
				goto out;
			if (r)
				hi = mid;
			else
				lo = mid + 1;
		}
		needed[lo - 1] = 1;
		have = 1;
		u = lo - 1;
	}
	ret = 0;
out:
	free(set);
	return ret;
}

/* ---- flag differences ------------------------------------------------------------ */

struct unit {
	size_t first, count;
	char *text;	/* words joined by ' ' */
};

static size_t units_of(const struct strvec *w, struct unit **out)
{
	struct unit *u = xcalloc(w->nr + 1, sizeof(*u));
	size_t n = 0;
	for (size_t i = 0; i < w->nr; n++) {
		const char *joined = NULL;
		const struct opt_spec *s = argmodel_lookup(FAM_CLANG, w->v[i], &joined);
		size_t c = s && (s->flags & OPT_SEP) && !joined && i + 1 < w->nr ? 2 : 1;
		u[n].first = i;
		u[n].count = c;
		u[n].text = c == 2 ? xasprintf("%s %s", w->v[i], w->v[i + 1]) : xstrdup(w->v[i]);
		i += c;
	}
	*out = u;
	return n;
}

/* What a unit sets, for pairing a remove with an add: "-O", "-march=", "-fstrict-aliasing" for -fno-... */
static char *unit_key(const struct strvec *w, const struct unit *u)
{
	const char *s = w->v[u->first];
	if (u->count == 2)
		return xstrdup(s);
	if (starts_with(s, "-O"))
		return xstrdup("-O");
	const char *eq = strchr(s, '=');
	if (eq)
		return xstrndup(s, (size_t)(eq - s + 1));
	static const char *const neg[] = { "-fno-", "-mno-", "-Wno-" };
	for (size_t k = 0; k < sizeof(neg) / sizeof(neg[0]); k++)
		if (starts_with(s, neg[k]))
			return xasprintf("%.2s%s", s, s + 5);
	return xstrdup(s);
}

static void push_unit(struct flag_diff *d, size_t *cap, int side, size_t item, const struct unit *u)
{
	if (d->nunits == *cap)
		d->units = xrealloc(d->units, (*cap = *cap ? 2 * *cap : 64) * sizeof(*d->units));
	d->units[d->nunits++] = (struct flag_unit){ .side = side, .item = item, .first = u->first, .count = u->count };
}

static size_t new_item(struct flag_diff *d, size_t *cap, enum flag_kind kind, const char *from, const char *to)
{
	if (d->nitems == *cap)
		d->items = xrealloc(d->items, (*cap = *cap ? 2 * *cap : 16) * sizeof(*d->items));
	d->items[d->nitems] = (struct flag_item){ .kind = kind, .from = from ? xstrdup(from) : NULL,
						  .to = to ? xstrdup(to) : NULL };
	return d->nitems++;
}

/* One run of units between two common ones: pair removes and adds of the same option, the rest alone. */
static void close_run(struct flag_diff *d, size_t *ucap, size_t *icap, struct unit *gu, const size_t *gs, size_t ng,
		      struct unit *bu, const size_t *bs, size_t nb)
{
	size_t *pair = xcalloc(ng + 1, sizeof(*pair)), *bitem = xcalloc(nb + 1, sizeof(*bitem));
	unsigned char *bused = xcalloc(nb + 1, 1);
	for (size_t i = 0; i < ng; i++) {
		char *kg = unit_key(&d->good, &gu[gs[i]]);
		pair[i] = (size_t)-1;
		for (size_t j = 0; j < nb && pair[i] == (size_t)-1; j++) {
			if (bused[j])
				continue;
			char *kb = unit_key(&d->bad, &bu[bs[j]]);
			if (strcmp(kg, kb) == 0) {
				pair[i] = j;
				bused[j] = 1;
			}
			free(kb);
		}
		free(kg);
	}
	for (size_t i = 0; i < ng; i++) {
		size_t it;
		if (pair[i] != (size_t)-1) {
			it = new_item(d, icap, FLAG_REPLACE, gu[gs[i]].text, bu[bs[pair[i]]].text);
			bitem[pair[i]] = it;
		} else {
			it = new_item(d, icap, FLAG_REMOVE, gu[gs[i]].text, NULL);
		}
		push_unit(d, ucap, 1, it, &gu[gs[i]]);
	}
	for (size_t j = 0; j < nb; j++)
		push_unit(d, ucap, 2, bused[j] ? bitem[j] : new_item(d, icap, FLAG_ADD, NULL, bu[bs[j]].text), &bu[bs[j]]);
	free(pair);
	free(bitem);
	free(bused);
}

void flag_diff_compute(const struct strvec *good, const struct strvec *bad, struct flag_diff *d)
{
	memset(d, 0, sizeof(*d));
	strvec_init(&d->good);
	strvec_init(&d->bad);
	for (size_t i = 0; i < good->nr; i++)
		strvec_push(&d->good, good->v[i]);
	for (size_t i = 0; i < bad->nr; i++)
		strvec_push(&d->bad, bad->v[i]);
	struct unit *gu, *bu;
	size_t ng = units_of(&d->good, &gu), nb = units_of(&d->bad, &bu);
	/* longest common subsequence of units, from the ends: l[i][j] for gu[i..], bu[j..] */
	size_t w = nb + 1;
	unsigned *l = xcalloc((ng + 1) * w, sizeof(*l));
	for (size_t i = ng; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			l[i * w + j] = strcmp(gu[i].text, bu[j].text) == 0 ? l[(i + 1) * w + j + 1] + 1 :
				       l[(i + 1) * w + j] > l[i * w + j + 1] ? l[(i + 1) * w + j] : l[i * w + j + 1];
	size_t ucap = 0, icap = 0, *gs = xcalloc(ng + 1, sizeof(*gs)), *bs = xcalloc(nb + 1, sizeof(*bs));
	size_t rg = 0, rb = 0, i = 0, j = 0;
	while (i < ng || j < nb) {
		if (i < ng && j < nb && strcmp(gu[i].text, bu[j].text) == 0) {
			close_run(d, &ucap, &icap, gu, gs, rg, bu, bs, rb);
			rg = rb = 0;
			push_unit(d, &ucap, 0, 0, &gu[i]);
			i++, j++;
		} else if (j == nb || (i < ng && l[(i + 1) * w + j] >= l[i * w + j + 1])) {
			gs[rg++] = i++;
		} else {
			bs[rb++] = j++;
		}
	}
	close_run(d, &ucap, &icap, gu, gs, rg, bu, bs, rb);
	for (size_t k = 0; k < ng; k++)
		free(gu[k].text);
	for (size_t k = 0; k < nb; k++)
		free(bu[k].text);
	free(gu);
	free(bu);
	free(gs);
	free(bs);
	free(l);
}

void flag_diff_apply(const struct flag_diff *d, const unsigned char *take, struct strvec *out)
{
	for (size_t i = 0; i < d->nunits; i++) {
		const struct flag_unit *u = &d->units[i];
		if (u->side == 1 && take[u->item])
			continue;
		if (u->side == 2 && !take[u->item])
			continue;
		const struct strvec *from = u->side == 2 ? &d->bad : &d->good;
		for (size_t k = 0; k < u->count; k++)
			strvec_push(out, from->v[u->first + k]);
	}
}

void flag_diff_release(struct flag_diff *d)
{
	for (size_t i = 0; i < d->nitems; i++) {
		free(d->items[i].from);
		free(d->items[i].to);
	}
	free(d->items);
	free(d->units);
	strvec_clear(&d->good);
	strvec_clear(&d->bad);
	memset(d, 0, sizeof(*d));
}

char *flag_item_describe(const struct flag_item *it)
{
	switch (it->kind) {
	case FLAG_ADD:
		return xasprintf("add %s", it->to);
	case FLAG_REMOVE:
		return xasprintf("remove %s", it->from);
	case FLAG_REPLACE:
		break;
	}
	return strcmp(it->from, it->to) == 0 ? xasprintf("move %s", it->to) : xasprintf("replace %s => %s", it->from, it->to);
}
