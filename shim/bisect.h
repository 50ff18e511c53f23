/*
 * bisect: the searches behind `kshimctl bisect`, apart from any build, so
 * that the unit tests can count their steps against a fake oracle.
 *
 * An oracle answers for a set of items (objects taken from the bad build,
 * flags of the bad command applied to the good one): 1 = the test fails,
 * 0 = it passes, -1 = stop (an error, already reported). The searches ask it
 * as few times as they can; the caller memoizes, so asking twice is free.
 *
 *  bisect_halve    one culprit among n, assuming one item is enough to fail
 *                  and the whole set fails: ceil(log2 n) questions. Halving
 *                  tests the first half alone; when it passes the culprit is
 *                  inferred to be in the other half (as git bisect infers).
 *                  *verified says whether the last answer was a failure of
 *                  exactly the culprit alone.
 *  bisect_minimal  a minimal failing subset when no single item fails alone:
 *                  prefix searches (the smallest prefix that fails, together
 *                  with what is known to be needed, names one more needed
 *                  item), about (log2 n + 1) questions per needed item.
 *
 * Flag differences: the bad command against the good one, as items a subset
 * of which can be applied to the good command. Arguments are compared as
 * units (an option with its separate argument, from the argument model:
 * "-mllvm -x" is one unit); the alignment is a longest common subsequence of
 * units, so order and positions are kept: applying every item gives the bad
 * command exactly, applying none the good one. A unit only in the bad
 * command is an "add", only in the good one a "remove"; a remove and an add
 * of the same option at the same place (-O2 and -O1, -march=a and -march=b)
 * are one "replace".
 */
#ifndef KSHIM_BISECT_H
#define KSHIM_BISECT_H

#include "strvec.h"

#include <stddef.h>

typedef int (*bisect_oracle)(void *ctx, const unsigned char *set, size_t n);

int bisect_halve(size_t n, bisect_oracle fails, void *ctx, size_t *culprit, int *verified);
/* needed[i] = 1 for each item of the subset found. 0, or -1 (the oracle stopped, or the whole set passes). */
int bisect_minimal(size_t n, bisect_oracle fails, void *ctx, unsigned char *needed);
/* ceil(log2 n), 0 for n <= 1 */
unsigned bisect_log2_ceil(size_t n);

enum flag_kind { FLAG_ADD, FLAG_REMOVE, FLAG_REPLACE };

struct flag_item {
	enum flag_kind kind;
	char *from;		/* the good command's unit (remove, replace), words joined by ' ' */
	char *to;		/* the bad command's unit (add, replace) */
};

struct flag_diff {
	struct flag_item *items;
	size_t nitems;
	/* the alignment: units of both commands in order, each common or owned by an item */
	struct flag_unit {
		int side;	/* 0 common, 1 good only, 2 bad only */
		size_t item;
		size_t first, count;	/* words of its command */
	} *units;
	size_t nunits;
	struct strvec good, bad;
};

/* good and bad: the arguments after argv[0]. */
void flag_diff_compute(const struct strvec *good, const struct strvec *bad, struct flag_diff *d);
/* The good command with the items in take applied (take[i] != 0), into out (appended). */
void flag_diff_apply(const struct flag_diff *d, const unsigned char *take, struct strvec *out);
void flag_diff_release(struct flag_diff *d);
/* "add -fstrict-aliasing", "remove -fno-strict-aliasing", "replace -O2 => -O1" (heap) */
char *flag_item_describe(const struct flag_item *it);

#endif
