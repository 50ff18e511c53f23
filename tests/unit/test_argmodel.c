/* Unit tests of the argument model: tables, arity, joined forms, @files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argmodel.h"
#include "util.h"
#include "unit.h"

static void parse(struct cmdline *cl, enum tool_family fam, const char *const *argv)
{
	cmdline_parse(cl, fam, (char *const *)argv);
}

static void test_tables_sorted(void **state)
{
	(void)state;
	for (int fam = FAM_CLANG; fam <= FAM_OBJTOOL; fam++) {
		const struct opt_table *t = argmodel_table(fam);
		assert_true(t->nr > 0);
		for (size_t i = 1; i < t->nr; i++) {
			if (strcmp(t->v[i - 1].name, t->v[i].name) >= 0)
				fail_msg("%s table not sorted at '%s' / '%s'", argmodel_family_name(fam),
					 t->v[i - 1].name, t->v[i].name);
		}
	}
}

static void test_clang_meabi_takes_its_argument(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-meabi", "gnu", "-c", "x.c", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	const struct arg *a = arg_at(&cl, 1);
	assert_non_null(a->spec);
	assert_string_equal(a->spec->name, "-meabi");
	assert_int_equal(a->count, 2);
	assert_string_equal(a->value, "gnu");
	assert_null(arg_at(&cl, 2));	/* "gnu" is not an operand */
	assert_string_equal(arg_at(&cl, 4)->value, "x.c");
	assert_false(arg_at(&cl, 4)->is_option);
	cmdline_release(&cl);
}

static void test_clang_xclang_and_mllvm(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-Xclang", "-fno-foo", "-mllvm", "-x86-asm-syntax=intel", "-mllvm=-y", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_string_equal(arg_at(&cl, 1)->spec->name, "-Xclang");
	assert_string_equal(arg_at(&cl, 1)->value, "-fno-foo");
	assert_int_equal(arg_at(&cl, 1)->count, 2);
	assert_string_equal(arg_at(&cl, 3)->value, "-x86-asm-syntax=intel");
	assert_string_equal(arg_at(&cl, 5)->spec->name, "-mllvm=");
	assert_string_equal(arg_at(&cl, 5)->value, "-y");
	assert_int_equal(cl.nr, 4);
	cmdline_release(&cl);
}

static void test_clang_wp_mmd(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-Wp,-MMD,init/.main.o.d", "-Wall", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	const struct arg *a = arg_at(&cl, 1);
	assert_string_equal(a->spec->name, "-Wp,");
	assert_string_equal(a->value, "-MMD,init/.main.o.d");
	assert_int_equal(a->count, 1);
	assert_null(arg_at(&cl, 2)->spec);	/* -Wall: an unknown flag, one element */
	assert_true(arg_at(&cl, 2)->is_option);
	cmdline_release(&cl);
}

static void test_clang_output_forms(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-o", "a.o", "-ob.o", "-DX=1", "-D", "Y", "--target=x86_64-linux-gnu",
			       "-include", "k.h", "-I", "inc", "-Iinc2", "-", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_string_equal(arg_at(&cl, 1)->value, "a.o");
	assert_int_equal(arg_at(&cl, 1)->count, 2);
	assert_string_equal(arg_at(&cl, 3)->spec->name, "-o");
	assert_string_equal(arg_at(&cl, 3)->value, "b.o");
	assert_int_equal(arg_at(&cl, 3)->count, 1);
	assert_string_equal(arg_at(&cl, 4)->value, "X=1");
	assert_string_equal(arg_at(&cl, 5)->value, "Y");
	assert_string_equal(arg_at(&cl, 7)->spec->name, "--target=");
	assert_string_equal(arg_at(&cl, 7)->value, "x86_64-linux-gnu");
	assert_true(arg_at(&cl, 8)->spec->flags & OPT_IN);
	assert_string_equal(arg_at(&cl, 10)->value, "inc");
	assert_string_equal(arg_at(&cl, 12)->value, "inc2");
	assert_false(arg_at(&cl, 13)->is_option);	/* "-" is stdin */
	cmdline_release(&cl);
}

static void test_clang_missing_argument(void **state)
{
	(void)state;
	const char *argv[] = { "clang", "-c", "-o", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_int_equal(arg_at(&cl, 2)->count, 1);
	assert_null(arg_at(&cl, 2)->value);
	cmdline_release(&cl);
}

static void test_clang_unknown_options_are_flags(void **state)
{
	(void)state;
	/* -emit-llvm must not become "-e mit-llvm"; -undef not "-u ndef" */
	const char *argv[] = { "clang", "-emit-llvm", "-undef", "-fno-merge-all-constants", "x.c", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_null(arg_at(&cl, 1)->spec);
	assert_null(arg_at(&cl, 2)->spec);
	assert_null(arg_at(&cl, 3)->spec);
	assert_string_equal(arg_at(&cl, 4)->value, "x.c");
	cmdline_release(&cl);
}

static void test_gnuld_forms(void **state)
{
	(void)state;
	const char *argv[] = { "ld.lld", "-m", "elf_x86_64", "-z", "max-page-size=0x200000", "--script=vmlinux.lds",
			       "-T", "x.lds", "-ovmlinux", "--emit-relocs", "-r", "-melf_i386", "--build-id=sha1",
			       "-export-dynamic", "-Map", "System.map", "--whole-archive", "vmlinux.a", NULL };
	struct cmdline cl;
	parse(&cl, FAM_GNULD, argv);
	assert_string_equal(arg_at(&cl, 1)->value, "elf_x86_64");
	assert_string_equal(arg_at(&cl, 3)->value, "max-page-size=0x200000");
	assert_string_equal(arg_at(&cl, 5)->spec->name, "-script");
	assert_string_equal(arg_at(&cl, 5)->value, "vmlinux.lds");
	assert_string_equal(arg_at(&cl, 6)->value, "x.lds");
	assert_string_equal(arg_at(&cl, 8)->spec->name, "-o");
	assert_string_equal(arg_at(&cl, 8)->value, "vmlinux");
	assert_string_equal(arg_at(&cl, 9)->spec->name, "-emit-relocs");	/* a known flag, not "-e mit-relocs" */
	assert_null(arg_at(&cl, 9)->value);
	assert_null(arg_at(&cl, 10)->spec);
	assert_string_equal(arg_at(&cl, 11)->spec->name, "-m");
	assert_string_equal(arg_at(&cl, 11)->value, "elf_i386");
	assert_string_equal(arg_at(&cl, 12)->value, "sha1");
	assert_string_equal(arg_at(&cl, 13)->spec->name, "-export-dynamic");
	assert_null(arg_at(&cl, 13)->value);
	assert_string_equal(arg_at(&cl, 14)->value, "System.map");
	assert_false(arg_at(&cl, 17)->is_option);
	cmdline_release(&cl);
}

static void test_objtool_forms(void **state)
{
	(void)state;
	/* objtool's -o is --orc, a flag: the object is the operand */
	const char *argv[] = { "objtool", "--hacks=jump_label", "--orc", "-o", "--prefix", "16", "--link", "vmlinux.o", NULL };
	struct cmdline cl;
	parse(&cl, FAM_OBJTOOL, argv);
	assert_string_equal(arg_at(&cl, 1)->value, "jump_label");
	assert_null(arg_at(&cl, 3)->spec);
	assert_string_equal(arg_at(&cl, 4)->value, "16");
	assert_false(arg_at(&cl, 7)->is_option);
	assert_string_equal(arg_at(&cl, 7)->value, "vmlinux.o");
	cmdline_release(&cl);
}

static void test_response_file_quoting(void **state)
{
	(void)state;
	struct strvec out = STRVEC_INIT;
	argmodel_split_response("-DA='x y'  \"-DB=\\\"q\\\"\"\n-c\t'' a\\ b.c", &out);
	assert_int_equal(out.nr, 5);
	assert_string_equal(out.v[0], "-DA=x y");
	assert_string_equal(out.v[1], "-DB=\"q\"");
	assert_string_equal(out.v[2], "-c");
	assert_string_equal(out.v[3], "");
	assert_string_equal(out.v[4], "a b.c");
	strvec_clear(&out);
}

static void test_response_file_expansion(void **state)
{
	(void)state;
	char dir[] = "/tmp/kshim-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *inner = xasprintf("%s/inner.rsp", dir), *outer = xasprintf("%s/outer.rsp", dir);
	FILE *f = fopen(inner, "w");
	fputs("-meabi gnu", f);
	fclose(f);
	f = fopen(outer, "w");
	fprintf(f, "-c @%s 'x y.c'\n", inner);
	fclose(f);
	char *at = xasprintf("@%s", outer);
	const char *argv[] = { "clang", at, "@/nonexistent/file", NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_true(cl.expanded);
	assert_int_equal(cl.argv.nr, 6);
	assert_string_equal(cl.argv.v[1], "-c");
	assert_string_equal(cl.argv.v[2], "-meabi");
	assert_string_equal(cl.argv.v[3], "gnu");
	assert_string_equal(cl.argv.v[4], "x y.c");
	assert_string_equal(cl.argv.v[5], "@/nonexistent/file");	/* unreadable: literal, as gcc does */
	assert_string_equal(arg_at(&cl, 2)->value, "gnu");
	cmdline_release(&cl);
	unlink(inner);
	unlink(outer);
	rmdir(dir);
	free(inner);
	free(outer);
	free(at);
}

static void test_response_file_recursion_is_bounded(void **state)
{
	(void)state;
	char path[] = "/tmp/kshim-rsp-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	dprintf(fd, "-c @%s", path);	/* includes itself */
	close(fd);
	char *at = xasprintf("@%s", path);
	const char *argv[] = { "clang", at, NULL };
	struct cmdline cl;
	parse(&cl, FAM_CLANG, argv);
	assert_true(cl.argv.nr > 2 && cl.argv.nr < 64);
	cmdline_release(&cl);
	unlink(path);
	free(at);
}

/* Regression (fuzz_rules): arguments appended after a parse were left partly uninitialized. */
static void test_append_initializes_every_field(void **state)
{
	(void)state;
	char *argv[] = { "clang", "-c", NULL };
	struct cmdline cl;
	cmdline_parse(&cl, FAM_CLANG, argv);
	/* many operands: the args array is reallocated (ASan fills new memory with 0xbe) */
	char *more[66];
	for (int i = 0; i < 64; i++)
		more[i] = "file.c";
	more[64] = "-O2";
	more[65] = NULL;
	assert_int_equal(cmdline_append(&cl, more), 0);
	for (size_t i = 2; i < cl.nr - 1; i++) {
		assert_null(cl.args[i].spec);
		assert_int_equal(cl.args[i].is_option, 0);
		assert_string_equal(cl.args[i].value, "file.c");
	}
	assert_int_equal(cl.args[cl.nr - 1].is_option, 1);
	assert_null(cl.args[cl.nr - 1].value);
	cmdline_release(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_initializes_every_field),
		cmocka_unit_test(test_tables_sorted),
		cmocka_unit_test(test_clang_meabi_takes_its_argument),
		cmocka_unit_test(test_clang_xclang_and_mllvm),
		cmocka_unit_test(test_clang_wp_mmd),
		cmocka_unit_test(test_clang_output_forms),
		cmocka_unit_test(test_clang_missing_argument),
		cmocka_unit_test(test_clang_unknown_options_are_flags),
		cmocka_unit_test(test_gnuld_forms),
		cmocka_unit_test(test_objtool_forms),
		cmocka_unit_test(test_response_file_quoting),
		cmocka_unit_test(test_response_file_expansion),
		cmocka_unit_test(test_response_file_recursion_is_bounded),
	};
	return cmocka_run_group_tests_name("argmodel", tests, NULL, NULL);
}
