/* Layout seeds: the generator, action and seed parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
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
	assert_int_equal(layout_seed(NULL, NULL, &seed), 0);
	assert_true(seed == 0);
	assert_int_equal(layout_seed("17", "config.ini:3", &seed), 0);
	assert_true(seed == 17);
	assert_int_equal(layout_seed("9223372036854775807", "env KSHIM_SEED", &seed), 0);	/* the largest seed */
	assert_true(seed == LAYOUT_SEED_MAX);
	/* 2^63 and up: a JSON record cannot hold them as the number they are */
	const char *bad[] = { "-1", "+3", "0x10", "12a", " 5", "9223372036854775808", "18446744073709551615",
			      "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(layout_seed(bad[i], "env KSHIM_SEED", &seed), -1);
}

/* The settings table: sorted by section and key, every row with an environment variable and a field. */
static void test_settings_table_sorted(void **state)
{
	(void)state;
	size_t n;
	const struct setting *st = config_settings(&n);
	assert_true(n >= 9);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(st[i].env);
		assert_true(strncmp(st[i].env, "KSHIM_", 6) == 0);
		assert_non_null(st[i].def);
		if (i) {
			int c = strcmp(st[i - 1].section, st[i].section);
			assert_true(c < 0 || (c == 0 && strcmp(st[i - 1].key, st[i].key) < 0));
		}
	}
	/* the environment wins over the files, and says so */
	struct config cfg;
	config_init(&cfg);
	setenv("KSHIM_SEED", "5", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent-kshim-unit", 1);
	unsetenv("KSHIM_CONFIG");
	assert_int_equal(config_load(&cfg), 0);
	assert_string_equal(cfg.layout_seed.value, "5");
	assert_string_equal(cfg.layout_seed.origin, "env KSHIM_SEED");
	config_release(&cfg);
	setenv("KSHIM_PIN_MODE", "sometimes", 1);
	config_init(&cfg);
	assert_int_equal(config_load(&cfg), -1);
	config_release(&cfg);
	unsetenv("KSHIM_PIN_MODE");
	unsetenv("KSHIM_SEED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_reference_values),
		cmocka_unit_test(test_action_values),
		cmocka_unit_test(test_seed_parsing),
		cmocka_unit_test(test_settings_table_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
