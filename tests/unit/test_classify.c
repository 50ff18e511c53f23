/* Unit tests of classification: role, mode, probe, inputs and outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "classify.h"

struct result {
	struct cmdline cl;
	struct classification c;
};

static void run(struct result *r, const char *name, const char *const *argv)
{
	struct role_name rn;
	assert_int_equal(role_from_name(name, &rn), 0);
	cmdline_parse(&r->cl, role_family(rn.role), (char *const *)argv);
	classify(&r->c, &rn, &r->cl);
}

static void done(struct result *r)
{
	classification_release(&r->c);
	cmdline_release(&r->cl);
}

static void test_role_names(void **state)
{
	(void)state;
	struct role_name rn;
	assert_int_equal(role_from_name("/usr/bin/kshim", &rn), 0);
	assert_true(rn.auto_cc);
	assert_null(rn.masquerade);
	assert_int_equal(role_from_name("kshim-ld", &rn), 0);
	assert_int_equal(rn.role, ROLE_LD);
	assert_int_equal(role_from_name("kshim-host", &rn), 0);
	assert_int_equal(rn.role, ROLE_HOSTCC);
	assert_false(rn.auto_cc);
	assert_int_equal(role_from_name("kshim-objtool", &rn), 0);
	assert_int_equal(rn.role, ROLE_OBJTOOL);
	assert_int_equal(role_from_name("/x/clang-19", &rn), 0);
	assert_true(rn.auto_cc);
	assert_string_equal(rn.masquerade, "clang-19");
	assert_int_equal(role_from_name("ld.lld-19", &rn), 0);
	assert_int_equal(rn.role, ROLE_LD);
	assert_int_equal(role_from_name("kshimctl", &rn), -1);
}

static void test_kernel_compile(void **state)
{
	(void)state;
	const char *argv[] = { "kshim", "-Wp,-MMD,init/.main.o.d", "-nostdinc", "-D__KERNEL__",
			       "--target=x86_64-linux-gnu", "-c", "-o", "init/main.o", "init/main.c", NULL };
	struct result r;
	run(&r, "kshim", argv);
	assert_int_equal(r.c.role, ROLE_CC);
	assert_int_equal(r.c.mode, MODE_COMPILE);
	assert_false(r.c.probe);
	assert_string_equal(r.c.outputs.v[0], "init/main.o");
	assert_string_equal(r.c.inputs.v[0], "init/main.c");
	assert_string_equal(r.c.depfile, "init/.main.o.d");
	done(&r);
}

static void test_host_compile_and_assemble(void **state)
{
	(void)state;
	const char *host[] = { "kshim", "-Wp,-MMD,scripts/basic/.fixdep.d", "-O2", "-o", "scripts/basic/fixdep",
			       "scripts/basic/fixdep.c", NULL };
	struct result r;
	run(&r, "kshim", host);
	assert_int_equal(r.c.role, ROLE_HOSTCC);
	assert_int_equal(r.c.mode, MODE_LINK);
	assert_false(r.c.probe);
	done(&r);

	const char *as[] = { "kshim", "-D__KERNEL__", "-c", "-o", "arch/x86/kernel/head_64.o",
			     "arch/x86/kernel/head_64.S", NULL };
	run(&r, "kshim", as);
	assert_int_equal(r.c.mode, MODE_ASSEMBLE);
	done(&r);

	const char *noout[] = { "kshim", "-c", "dir/foo.c", NULL };
	run(&r, "kshim", noout);
	assert_string_equal(r.c.outputs.v[0], "foo.o");
	done(&r);
}

static void test_kbuild_probes(void **state)
{
	(void)state;
	struct result r;
	const char *ccopt[] = { "kshim", "-Werror", "-D__KERNEL__", "-fno-foo", "-c", "-x", "c", "/dev/null", "-o",
				".tmp_1234/tmp", NULL };
	run(&r, "kshim", ccopt);
	assert_true(r.c.probe);
	done(&r);

	const char *ver[] = { "kshim", "-E", "-P", "-x", "c", "-", NULL };
	run(&r, "kshim", ver);
	assert_true(r.c.probe);
	assert_int_equal(r.c.mode, MODE_PREPROCESS);
	done(&r);

	const char *asinstr[] = { "kshim", "-Wa,--fatal-warnings", "-c", "-x", "assembler-with-cpp", "-o", "/dev/null",
				  "-", NULL };
	run(&r, "kshim", asinstr);
	assert_true(r.c.probe);
	done(&r);

	const char *printfile[] = { "kshim", "-print-file-name=include", NULL };
	run(&r, "kshim", printfile);
	assert_true(r.c.probe);
	assert_int_equal(r.c.mode, MODE_VERSION);
	done(&r);

	const char *ldopt[] = { "kshim-ld", "-v", "--no-warn-rwx-segments", NULL };
	run(&r, "kshim-ld", ldopt);
	assert_true(r.c.probe);
	done(&r);

	const char *mktemp[] = { "kshim-ld", "-o", "/tmp/tmp.AbC123", "x.o", NULL };
	run(&r, "kshim-ld", mktemp);
	assert_true(r.c.probe);
	done(&r);
}

static void test_tmp_file_names_are_not_probes(void **state)
{
	(void)state;
	/* link-vmlinux.sh's .tmp_vmlinux1 and .tmp_vmlinux1.kallsyms.o are real outputs */
	assert_null(probe_output_reason(".tmp_vmlinux1"));
	assert_null(probe_output_reason(".tmp_vmlinux1.kallsyms.o"));
	assert_null(probe_output_reason("arch/x86/boot/.tmp_x.o"));
	assert_non_null(probe_output_reason(".tmp_999/tmp"));
	assert_non_null(probe_output_reason("drivers/.tmp_5/tmp.o"));
	assert_null(probe_output_reason("drivers/my.tmp_5/tmp.o"));
}

static void test_linker_modes(void **state)
{
	(void)state;
	struct result r;
	const char *reloc[] = { "kshim-ld", "-m", "elf_x86_64", "-r", "-o", "vmlinux.o", "--whole-archive", "vmlinux.a",
				NULL };
	run(&r, "kshim-ld", reloc);
	assert_int_equal(r.c.mode, MODE_RELOCATABLE);
	assert_string_equal(r.c.outputs.v[0], "vmlinux.o");
	assert_string_equal(r.c.inputs.v[0], "vmlinux.a");
	assert_false(r.c.probe);
	done(&r);

	/* the final link reads vmlinux.o but makes vmlinux */
	const char *link[] = { "kshim-ld", "-o", "vmlinux", "-T", "arch/x86/kernel/vmlinux.lds", "vmlinux.o", NULL };
	run(&r, "kshim-ld", link);
	assert_int_equal(r.c.mode, MODE_LINK);
	assert_int_equal(r.c.outputs.nr, 1);
	assert_string_equal(r.c.outputs.v[0], "vmlinux");
	assert_int_equal(r.c.inputs.nr, 2);
	done(&r);

	const char *version[] = { "kshim-ld", "--version", NULL };
	run(&r, "kshim-ld", version);
	assert_int_equal(r.c.mode, MODE_VERSION);
	assert_true(r.c.probe);
	done(&r);
}

static void test_objtool(void **state)
{
	(void)state;
	struct result r;
	const char *argv[] = { "kshim-objtool", "--hacks=jump_label", "--orc", "kernel/fork.o", NULL };
	run(&r, "kshim-objtool", argv);
	assert_int_equal(r.c.role, ROLE_OBJTOOL);
	assert_int_equal(r.c.mode, MODE_REWRITE);
	assert_string_equal(r.c.inputs.v[0], "kernel/fork.o");
	assert_string_equal(r.c.outputs.v[0], "kernel/fork.o");
	assert_false(r.c.probe);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_kernel_compile),
		cmocka_unit_test(test_host_compile_and_assemble),
		cmocka_unit_test(test_kbuild_probes),
		cmocka_unit_test(test_tmp_file_names_are_not_probes),
		cmocka_unit_test(test_linker_modes),
		cmocka_unit_test(test_objtool),
	};
	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
