/* Bisect: the searches' answers and step counts against fake oracles; flag differences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bisect.h"
#include "strvec.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct fake {
	size_t a, b;		/* the culprits; b == (size_t)-1: one is enough */
	int both;		/* fail only when a and b are both in the set */
	unsigned asked;
};

static int fake_fails(void *ctx, const unsigned char *set, size_t n)
{
	struct fake *f = ctx;
	(void)n;
	f->asked++;
	if (f->both)
		return set[f->a] && set[f->b];
	return set[f->a] || (f->b != (size_t)-1 && set[f->b]);
}

static void test_log2_ceil(void **state)
{
	(void)state;
	assert_int_equal(bisect_log2_ceil(0), 0);
	assert_int_equal(bisect_log2_ceil(1), 0);
	assert_int_equal(bisect_log2_ceil(2), 1);
	assert_int_equal(bisect_log2_ceil(3), 2);
	assert_int_equal(bisect_log2_ceil(128), 7);
	assert_int_equal(bisect_log2_ceil(129), 8);
}

/* Every culprit of every size up to 300 is found in at most ceil(log2 n) questions. */
static void test_halve_finds_any_culprit_within_log2(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 300; n++) {
		for (size_t c = 0; c < n; c++) {
			struct fake f = { .a = c, .b = (size_t)-1 };
			size_t got = (size_t)-1;
			int verified = -1;
			assert_int_equal(bisect_halve(n, fake_fails, &f, &got, &verified), 0);
			assert_int_equal(got, c);
			assert_true(f.asked <= bisect_log2_ceil(n));
			assert_true(verified == 0 || verified == 1);
		}
	}
}

/* "verified" means the culprit alone was seen to fail; inferred culprits are the last half left. */
static void test_halve_verified_means_seen_failing_alone(void **state)
{
	(void)state;
	struct fake f = { .a = 0, .b = (size_t)-1 };
	size_t got;
	int verified;
	assert_int_equal(bisect_halve(8, fake_fails, &f, &got, &verified), 0);
	assert_int_equal(got, 0);
	assert_int_equal(verified, 1);	/* {0..3} fail, {0,1} fail, {0} fail */
	f = (struct fake){ .a = 7, .b = (size_t)-1 };
	assert_int_equal(bisect_halve(8, fake_fails, &f, &got, &verified), 0);
	assert_int_equal(got, 7);
	assert_int_equal(verified, 0);	/* {0..3}, {4,5}, {6} pass: 7 is inferred */
}

static int stop_oracle(void *ctx, const unsigned char *set, size_t n)
{
	(void)ctx, (void)set, (void)n;
	return -1;
}

static void test_oracle_stop_is_passed_on(void **state)
{
	(void)state;
	size_t got;
	int verified;
	unsigned char needed[4];
	assert_int_equal(bisect_halve(4, stop_oracle, NULL, &got, &verified), -1);
	assert_int_equal(bisect_minimal(4, stop_oracle, NULL, needed), -1);
	assert_int_equal(bisect_halve(0, fake_fails, NULL, &got, &verified), -1);
}

/* Two items needed together: halving is fooled, the minimal search is not. */
static void test_minimal_finds_pairs(void **state)
{
	(void)state;
	for (size_t n = 2; n <= 40; n++) {
		for (size_t a = 0; a < n; a++) {
			for (size_t b = a + 1; b < n; b++) {
				struct fake f = { .a = a, .b = b, .both = 1 };
				unsigned char *needed = calloc(n, 1);
				assert_int_equal(bisect_minimal(n, fake_fails, &f, needed), 0);
				for (size_t i = 0; i < n; i++)
					assert_int_equal(needed[i], i == a || i == b);
				/* two prefix searches and the checks of what is needed */
				assert_true(f.asked <= 2 * (bisect_log2_ceil(n) + 1));
				free(needed);
			}
		}
	}
}

static void test_minimal_single_item(void **state)
{
	(void)state;
	struct fake f = { .a = 5, .b = (size_t)-1 };
	unsigned char needed[16];
	assert_int_equal(bisect_minimal(16, fake_fails, &f, needed), 0);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(needed[i], i == 5);
}

static void words(struct strvec *v, const char *s)
{
	strvec_init(v);
	char *dup = xstrdup(s);
	for (char *t = strtok(dup, " "); t; t = strtok(NULL, " "))
		strvec_push(v, t);
	free(dup);
}

static char *joined(const struct strvec *v)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < v->nr; i++) {
		char *n = xasprintf("%s%s%s", out, i ? " " : "", v->v[i]);
		free(out);
		out = n;
	}
	return out;
}

static char *apply_str(const struct flag_diff *d, const char *take)
{
	unsigned char t[32] = { 0 };
	for (size_t i = 0; take[i]; i++)
		t[i] = take[i] == '1';
	struct strvec out = STRVEC_INIT;
	flag_diff_apply(d, t, &out);
	char *s = joined(&out);
	strvec_clear(&out);
	return s;
}

static void test_flag_diff_items_and_application(void **state)
{
	(void)state;
	struct strvec g, b;
	words(&g, "-Wp,-MMD,x.d -O2 -fno-strict-aliasing -c -o x.o x.c");
	words(&b, "-Wp,-MMD,x.d -O1 -fno-strict-aliasing -c -o x.o x.c -fstrict-aliasing -mllvm -inline-threshold=9");
	struct flag_diff d;
	flag_diff_compute(&g, &b, &d);
	assert_int_equal(d.nitems, 3);
	char *s0 = flag_item_describe(&d.items[0]), *s1 = flag_item_describe(&d.items[1]),
	     *s2 = flag_item_describe(&d.items[2]);
	assert_string_equal(s0, "replace -O2 => -O1");
	assert_string_equal(s1, "add -fstrict-aliasing");
	assert_string_equal(s2, "add -mllvm -inline-threshold=9");	/* an option and its argument: one item */
	free(s0), free(s1), free(s2);
	char *none = apply_str(&d, "000"), *all = apply_str(&d, "111"), *one = apply_str(&d, "010");
	assert_string_equal(none, "-Wp,-MMD,x.d -O2 -fno-strict-aliasing -c -o x.o x.c");
	assert_string_equal(all, "-Wp,-MMD,x.d -O1 -fno-strict-aliasing -c -o x.o x.c -fstrict-aliasing -mllvm -inline-threshold=9");
	assert_string_equal(one, "-Wp,-MMD,x.d -O2 -fno-strict-aliasing -c -o x.o x.c -fstrict-aliasing");
	free(none), free(all), free(one);
	flag_diff_release(&d);
	strvec_clear(&g);
	strvec_clear(&b);
}

static void test_flag_diff_removes_and_negations(void **state)
{
	(void)state;
	struct strvec g, b;
	words(&g, "-fno-delete-null-pointer-checks -march=x86-64 -g -c x.c");
	words(&b, "-fdelete-null-pointer-checks -march=znver4 -c x.c");
	struct flag_diff d;
	flag_diff_compute(&g, &b, &d);
	assert_int_equal(d.nitems, 3);
	char *s[3];
	for (int i = 0; i < 3; i++)
		s[i] = flag_item_describe(&d.items[i]);
	assert_string_equal(s[0], "replace -fno-delete-null-pointer-checks => -fdelete-null-pointer-checks");
	assert_string_equal(s[1], "replace -march=x86-64 => -march=znver4");
	assert_string_equal(s[2], "remove -g");
	for (int i = 0; i < 3; i++)
		free(s[i]);
	char *only_g = apply_str(&d, "001");
	assert_string_equal(only_g, "-fno-delete-null-pointer-checks -march=x86-64 -c x.c");
	free(only_g);
	flag_diff_release(&d);
	strvec_clear(&g);
	strvec_clear(&b);
}

/* Every subset applied and then diffed again against the good command has exactly its items. */
static void test_flag_diff_subsets_round_trip(void **state)
{
	(void)state;
	struct strvec g, b;
	words(&g, "-a -b -O2 -c -d -e x.c");
	words(&b, "-z -a -O3 -c -y -e x.c -w");
	struct flag_diff d;
	flag_diff_compute(&g, &b, &d);
	assert_true(d.nitems >= 4 && d.nitems < 16);
	for (unsigned mask = 0; mask < (1u << d.nitems); mask++) {
		unsigned char t[16] = { 0 };
		for (size_t i = 0; i < d.nitems; i++)
			t[i] = (mask >> i) & 1;
		struct strvec out = STRVEC_INIT;
		flag_diff_apply(&d, t, &out);
		struct flag_diff d2;
		flag_diff_compute(&g, &out, &d2);
		assert_int_equal(d2.nitems, (size_t)__builtin_popcount(mask));
		flag_diff_release(&d2);
		strvec_clear(&out);
	}
	flag_diff_release(&d);
	strvec_clear(&g);
	strvec_clear(&b);
}

static void test_flag_diff_identical(void **state)
{
	(void)state;
	struct strvec g;
	words(&g, "-O2 -c x.c");
	struct flag_diff d;
	flag_diff_compute(&g, &g, &d);
	assert_int_equal(d.nitems, 0);
	char *s = apply_str(&d, "");
	assert_string_equal(s, "-O2 -c x.c");
	free(s);
	flag_diff_release(&d);
	strvec_clear(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_ceil),
		cmocka_unit_test(test_halve_finds_any_culprit_within_log2),
		cmocka_unit_test(test_halve_verified_means_seen_failing_alone),
		cmocka_unit_test(test_oracle_stop_is_passed_on),
		cmocka_unit_test(test_minimal_finds_pairs),
		cmocka_unit_test(test_minimal_single_item),
		cmocka_unit_test(test_flag_diff_items_and_application),
		cmocka_unit_test(test_flag_diff_removes_and_negations),
		cmocka_unit_test(test_flag_diff_subsets_round_trip),
		cmocka_unit_test(test_flag_diff_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
