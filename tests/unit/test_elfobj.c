/* elfobj: padding objects (plain and section-suffixed), the section digests, same-code comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elfobj.h"
#include "util.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch(void)
{
	char tmpl[] = "/tmp/kshim-elfobj-XXXXXX";
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
	assert_int_equal(elfobj_write_pad(pad, like, sizes, NULL), 0);

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
	assert_int_equal(elfobj_write_pad(pad2, like, sizes, NULL), 0);
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
	assert_int_equal(elfobj_write_pad(pad3, bogus, sizes, NULL), -1);
	assert_int_not_equal(access(pad3, F_OK), 0);

	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(bogus), free(pad3), free(pad2), free(pad), free(like), free(dir);
}

/* With a suffix each section has a name of its own: ".text.SUFFIX", so that it interleaves with function sections. */
static void test_pad_object_suffixed_names(void **state)
{
	(void)state;
	char *dir = scratch(), *like = xasprintf("%s/like.o", dir), *pad = xasprintf("%s/pad.o", dir);
	write_like(like);
	const size_t sizes[4] = { 16, 8, 8, 8 };
	assert_int_equal(elfobj_write_pad(pad, like, sizes, "kshim_pad_00042"), 0);
	char *buf;
	size_t len;
	assert_int_equal(read_file(pad, &buf, &len), 0);
	char placement[SHA256_HEX_LEN + 1];
	json_t *secs = elfobj_sections(buf, len, placement);
	assert_non_null(secs);
	const char *want[] = { ".text.kshim_pad_00042", ".data.kshim_pad_00042", ".rodata.kshim_pad_00042",
			       ".bss.kshim_pad_00042" };
	size_t found = 0, i;
	json_t *s;
	json_array_foreach(secs, i, s)
		for (size_t k = 0; k < 4; k++)
			found += strcmp(json_string_value(json_object_get(s, "name")), want[k]) == 0;
	assert_int_equal(found, 4);
	/* the layout digest covers contents, the placement digest does not: both are 64 hex digits */
	char layout[SHA256_HEX_LEN + 1];
	elfobj_layout_digest(secs, layout);
	assert_int_equal(strlen(layout), 64);
	assert_int_equal(strlen(placement), 64);
	assert_string_not_equal(layout, placement);
	json_decref(secs);
	assert_null(elfobj_sections("not elf", 7, placement));
	free(buf);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(pad), free(like), free(dir);
}

static void test_same_code(void **state)
{
	(void)state;
	char *dir = scratch(), *a = xasprintf("%s/a.o", dir), *b = xasprintf("%s/b.o", dir);
	char *c = xasprintf("%s/c.o", dir);
	write_like(a);
	write_like(b);
	char *cmd = xasprintf("printf 'int x = 2;\\n' | cc -x c -c -o %s -", c);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char *why = NULL;
	assert_int_equal(elfobj_same_code(a, b, &why), 1);
	assert_null(why);
	assert_int_equal(elfobj_same_code(a, c, &why), 0);
	assert_non_null(why);
	assert_non_null(strstr(why, "differ"));
	free(why);
	assert_int_equal(elfobj_same_code(a, "/nonexistent.o", &why), -1);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(a), free(b), free(c), free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pad_object_sections),
		cmocka_unit_test(test_pad_object_suffixed_names),
		cmocka_unit_test(test_same_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
