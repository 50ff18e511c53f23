/* Unit tests of the rule engine's pieces: versions, argument matching, applying. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "toolid.h"
#include "util.h"
#include "unit.h"

static void test_version_parse_and_ranges(void **state)
{
	(void)state;
	int v[3];
	assert_int_equal(version_parse("19.1.7", v), 0);
	assert_int_equal(v[0] * 10000 + v[1] * 100 + v[2], 190107);
	assert_int_equal(version_parse("6", v), 0);
	assert_int_equal(v[1], 0);
	assert_int_equal(version_parse("fifteen", v), -1);
	assert_int_equal(version_parse("1.2.3.4", v), -1);
	assert_int_equal(version_parse("1.x", v), -1);
	struct ver_cond c[2] = { { VER_GE, { 15, 0, 0 } }, { VER_LT, { 20, 0, 0 } } };
	int a[3] = { 19, 1, 7 }, b[3] = { 20, 0, 0 }, d[3] = { 6, 0, 1 };
	assert_true(version_in_range(a, c, 2));
	assert_false(version_in_range(b, c, 2));
	assert_false(version_in_range(d, c, 2));
	struct ver_cond old = { VER_LT, { 6, 0, 1 } };
	assert_false(version_in_range(d, &old, 1));
	int e[3] = { 6, 0, 0 };
	assert_true(version_in_range(e, &old, 1));
}

static void test_version_from_tool_output(void **state)
{
	(void)state;
	int v[3];
	assert_int_equal(version_from_output("Debian clang version 19.1.7 (3~deb12u1)\nTarget: x86_64\n", v), 0);
	assert_int_equal(v[0], 19);
	assert_int_equal(v[2], 7);
	assert_int_equal(version_from_output("Debian LLD 19.1.7 (compatible with GNU linkers)\n", v), 0);
	assert_int_equal(v[0], 19);
	assert_int_equal(version_from_output("mold 1.10.1 (compatible with GNU ld)\n", v), 0);
	assert_int_equal(v[1], 10);
	assert_int_equal(version_from_output("GNU ld (GNU Binutils for Debian) 2.40\n", v), 0);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 40);
	/* "x86_64" and "3~deb12u1" are not versions; the first line only */
	assert_int_equal(version_from_output("x86_64 tool\n1.2.3\n", v), -1);
}

static void test_arg_matching(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-meabi", "gnu", "-DX=1", "-D", "Y", "-Wno-unused", "-o", "a.o", NULL };
	struct cmdline cl;
	cmdline_parse(&cl, FAM_CLANG, (char *const *)argv);
	const struct arg *meabi = arg_at(&cl, 1), *dx = arg_at(&cl, 3), *dy = arg_at(&cl, 4), *w = arg_at(&cl, 6);
	assert_true(rule_arg_matches(&cl, meabi, "-meabi"));
	assert_true(rule_arg_matches(&cl, meabi, "-meabi gnu"));
	assert_false(rule_arg_matches(&cl, meabi, "-meabi hard"));
	assert_false(rule_arg_matches(&cl, meabi, "gnu"));	/* a value alone is not an argument */
	assert_true(rule_arg_matches(&cl, dx, "-D"));
	assert_true(rule_arg_matches(&cl, dx, "-DX=*"));
	assert_true(rule_arg_matches(&cl, dy, "-D"));
	assert_true(rule_arg_matches(&cl, dy, "-DY"));	/* name and separate value together */
	assert_false(rule_arg_matches(&cl, dy, "-DX*"));
	assert_true(rule_arg_matches(&cl, w, "-Wno-*"));
	assert_false(rule_arg_matches(&cl, w, "-W"));	/* -W is not an option with a value here */
	cmdline_release(&cl);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_apply_in_order_with_arity(void **state)
{
	(void)state;
	char dir[] = "/tmp/kshim-rules-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *p = xasprintf("%s/r.ini", dir);
	write_file(p, "[rule a]\nrole = cc\nremove = -meabi\nreplace = -O2 => -O1\n"
		      "[rule b]\nrole = cc\nhas = -O1\nadd = -DB\n"
		      "[rule c]\nrole = ld\nadd = -DC\n");
	struct ruleset rs;
	ruleset_init(&rs);
	assert_int_equal(ruleset_load_path(&rs, p, 0), 0);
	assert_int_equal(rs.nr, 3);
	const char *argv[] = { "kshim", "-O2", "-meabi", "gnu", "-c", "x.c", NULL };
	struct strvec none = STRVEC_INIT;
	struct rule_subject subj = { .role = ROLE_CC, .mode = MODE_COMPILE, .outputs = &none, .inputs = &none,
				     .tool = "/usr/bin/clang-19" };
	struct rule_effect eff;
	assert_int_equal(rules_apply(&rs, &subj, FAM_CLANG, (char *const *)argv, &eff), 0);
	assert_true(eff.argv_changed);
	char *joined = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&joined, &len);
	for (size_t i = 0; i < eff.argv.nr; i++)
		fprintf(m, "%s%s", i ? " " : "", eff.argv.v[i]);
	fclose(m);
	assert_string_equal(joined, "/usr/bin/clang-19 -O1 -c x.c -DB");
	assert_int_equal(json_array_size(eff.applied), 2);	/* a and b; c is for ld */
	free(joined);
	rule_effect_release(&eff);

	/* rule_matches says why not */
	struct cmdline cl;
	cmdline_parse(&cl, FAM_CLANG, (char *const *)argv);
	char *why = NULL;
	assert_false(rule_matches(&rs.v[2], &subj, &cl, &why));
	assert_non_null(strstr(why, "r.ini:10: role: the call's role is cc"));
	free(why);
	cmdline_release(&cl);
	ruleset_release(&rs);
	unlink(p);
	rmdir(dir);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parse_and_ranges),
		cmocka_unit_test(test_version_from_tool_output),
		cmocka_unit_test(test_arg_matching),
		cmocka_unit_test(test_apply_in_order_with_arity),
	};
	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
