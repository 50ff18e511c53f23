/* Layout seeds: the generator, action and seed parsing, padding objects, thin archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "layout.h"
#include "util.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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
	setenv("KSHIM_SEED", "18446744073709551615", 1);	/* the environment wins */
	assert_int_equal(layout_seed("17", "config.ini:3", &seed), 0);
	assert_true(seed == UINT64_MAX);
	const char *bad[] = { "-1", "+3", "0x10", "12a", " 5", "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		setenv("KSHIM_SEED", bad[i], 1);
		assert_int_equal(layout_seed(NULL, NULL, &seed), -1);
	}
	unsetenv("KSHIM_SEED");
}

static char *scratch(void)
{
	char tmpl[] = "/tmp/kshim-layout-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

/* A minimal x86-64 relocatable object to shape pads after. */
static void write_like(const char *path)
{
	char *cmd = xasprintf("printf 'int x = 1;\\n' | cc -x c -c -o %s -", path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_pad_object_sections(void **state)
{
	(void)state;
	char *dir = scratch(), *like = xasprintf("%s/like.o", dir), *pad = xasprintf("%s/pad.o", dir);
	write_like(like);
	const size_t sizes[4] = { 48, 16, 0, 24 };
	assert_int_equal(layout_pad_object(pad, like, sizes), 0);

	elf_version(EV_CURRENT);
	int fd = open(pad, O_RDONLY);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	assert_int_equal(eh.e_type, ET_REL);
	assert_int_equal(eh.e_machine, EM_X86_64);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	int seen_text = 0, seen_data = 0, seen_bss = 0, seen_rodata = 0;
	for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (strcmp(name, ".text") == 0) {
			seen_text = 1;
			assert_int_equal(sh.sh_size, 48);
			assert_int_equal(sh.sh_flags, SHF_ALLOC | SHF_EXECINSTR);
			Elf_Data *d = elf_getdata(s, NULL);
			assert_int_equal(((unsigned char *)d->d_buf)[0], 0xcc);	/* int3 */
		} else if (strcmp(name, ".data") == 0) {
			seen_data = 1;
			assert_int_equal(sh.sh_size, 16);
		} else if (strcmp(name, ".bss") == 0) {
			seen_bss = 1;
			assert_int_equal(sh.sh_type, SHT_NOBITS);
			assert_int_equal(sh.sh_size, 24);
		} else if (strcmp(name, ".rodata") == 0) {
			seen_rodata = 1;
		}
	}
	assert_true(seen_text && seen_data && seen_bss && !seen_rodata);
	elf_end(e);
	close(fd);

	/* same sizes, same bytes */
	char *pad2 = xasprintf("%s/pad2.o", dir), *a, *b;
	size_t la, lb;
	assert_int_equal(layout_pad_object(pad2, like, sizes), 0);
	assert_int_equal(read_file(pad, &a, &la), 0);
	assert_int_equal(read_file(pad2, &b, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);

	/* not an ELF file to shape after: an error, nothing written */
	char *bogus = xasprintf("%s/bogus.o", dir), *pad3 = xasprintf("%s/pad3.o", dir);
	FILE *f = fopen(bogus, "w");
	fputs("not elf\n", f);
	fclose(f);
	assert_int_equal(layout_pad_object(pad3, bogus, sizes), -1);
	assert_int_not_equal(access(pad3, F_OK), 0);

	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(bogus), free(pad3), free(pad2), free(pad), free(like), free(dir);
}

static void test_thin_archive_members(void **state)
{
	(void)state;
	char *dir = scratch();
	char *cmd = xasprintf("cd %s && mkdir -p sub && : > sub/a.o && : > b.o && "
			      ": > sub/a-very-long-object-name-beyond-sixteen.o && "
			      "ar cDPrST inner.a sub/a.o sub/a-very-long-object-name-beyond-sixteen.o && "
			      "ar cDPrST outer.a b.o", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	struct strvec m = STRVEC_INIT;
	char *inner = xasprintf("%s/inner.a", dir), *plain = xasprintf("%s/b.o", dir);
	assert_int_equal(thin_archive_members(inner, &m), 1);
	assert_int_equal(m.nr, 2);
	char *want = xasprintf("%s/sub/a.o", dir);
	assert_string_equal(m.v[0], want);
	free(want);
	want = xasprintf("%s/sub/a-very-long-object-name-beyond-sixteen.o", dir);
	assert_string_equal(m.v[1], want);
	free(want);
	strvec_clear(&m);
	assert_int_equal(thin_archive_members(plain, &m), 0);	/* not an archive */
	assert_int_equal(m.nr, 0);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(inner), free(plain), free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_reference_values),
		cmocka_unit_test(test_action_values),
		cmocka_unit_test(test_seed_parsing),
		cmocka_unit_test(test_pad_object_sections),
		cmocka_unit_test(test_thin_archive_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
