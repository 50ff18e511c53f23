/* Layout seeds: the generator, action and seed parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "layout.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_splitmix64_reference_values(void **state)
{
	(void)state;
	/* splitmix64 seeded with 0: the first outputs of the reference implementation */
	uint64_t s = 0;
	assert_true(layout_rand(&s) == 0xe220a8397b1dcdafull);
	assert_true(layout_rand(&s) == 0x6e789e6aa1b965f4ull);
	assert_true(layout_rand(&s) == 0x06c45d188009454full);
}

static void test_action_values(void **state)
{
	(void)state;
	enum layout_kind k;
	char *glob;
	const char *why;
	assert_int_equal(layout_parse("pad", &k, &glob, &why), 0);
	assert_int_equal(k, LAYOUT_PAD);
	assert_null(glob);
	assert_int_equal(layout_parse("reverse", &k, &glob, &why), 0);
	assert_int_equal(k, LAYOUT_REVERSE);
	assert_int_equal(layout_parse("shuffle", &k, &glob, &why), 0);
	assert_int_equal(k, LAYOUT_SHUFFLE);
	assert_null(glob);
	assert_int_equal(layout_parse("shuffle:drivers/**.o", &k, &glob, &why), 0);
	assert_string_equal(glob, "drivers/**.o");
	free(glob);
	assert_int_equal(layout_parse("shuffle:", &k, &glob, &why), -1);
	assert_int_equal(layout_parse("shuffle:[", &k, &glob, &why), -1);
	assert_int_equal(layout_parse("padding", &k, &glob, &why), -1);
	assert_int_equal(layout_parse("", &k, &glob, &why), -1);
}

static void test_seed_parsing(void **state)
{
	(void)state;
	uint64_t seed = 99;
	unsetenv("KSHIM_SEED");
	assert_int_equal(layout_seed(NULL, NULL, &seed), 0);
	assert_true(seed == 0);
	assert_int_equal(layout_seed("17", "config.ini:3", &seed), 0);
	assert_true(seed == 17);
	setenv("KSHIM_SEED", "9223372036854775807", 1);	/* the environment wins; the largest seed */
	assert_int_equal(layout_seed("17", "config.ini:3", &seed), 0);
	assert_true(seed == LAYOUT_SEED_MAX);
	/* 2^63 and up: a JSON record cannot hold them as the number they are */
	const char *bad[] = { "-1", "+3", "0x10", "12a", " 5", "9223372036854775808", "18446744073709551615",
			      "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		setenv("KSHIM_SEED", bad[i], 1);
		assert_int_equal(layout_seed(NULL, NULL, &seed), -1);
	}
	unsetenv("KSHIM_SEED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_reference_values),
		cmocka_unit_test(test_action_values),
		cmocka_unit_test(test_seed_parsing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
