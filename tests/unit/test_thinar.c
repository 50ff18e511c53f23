/* Thin archives (members, their paths and header offsets, nesting) and file kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "thinar.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch(void)
{
	char tmpl[] = "/tmp/kshim-thinar-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void sh(const char *dir, const char *cmd)
{
	char *c = xasprintf("cd %s && %s", dir, cmd);
	assert_int_equal(system(c), 0);
	free(c);
}

static void test_members_paths_and_offsets(void **state)
{
	(void)state;
	char *dir = scratch();
	sh(dir, "mkdir -p sub && : > sub/a.o && : > b.o && : > sub/a-very-long-object-name-beyond-sixteen.o && "
		"ar cDPrST sub/inner.a sub/a.o sub/a-very-long-object-name-beyond-sixteen.o && ar cDPrST outer.a b.o");
	struct thinar ar = THINAR_INIT;
	char *inner = xasprintf("%s/sub/inner.a", dir), *plain = xasprintf("%s/b.o", dir);
	assert_int_equal(thinar_read(inner, &ar), 1);
	assert_int_equal(ar.nr, 2);
	/* ar stores names relative to the archive's directory; paths are as the linker opens them */
	char *want = xasprintf("%s/sub/a.o", dir);
	assert_string_equal(ar.m[0].path, want);
	assert_string_equal(ar.m[0].name, "a.o");
	assert_string_equal(ar.m[0].archive, inner);
	free(want);
	assert_string_equal(ar.m[1].name, "a-very-long-object-name-beyond-sixteen.o");
	/* each offset is where that member's header is: the long name is "/N" there */
	char *buf;
	size_t len;
	assert_int_equal(read_file(inner, &buf, &len), 0);
	assert_true(ar.m[0].offset > 8 && ar.m[0].offset + 60 <= len);
	assert_true(ar.m[1].offset > ar.m[0].offset && ar.m[1].offset + 60 <= len);
	assert_memory_equal(buf + ar.m[1].offset, "/", 1);
	free(buf);
	thinar_release(&ar);
	assert_int_equal(thinar_read(plain, &ar), 0);	/* not an archive */
	assert_int_equal(ar.nr, 0);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(inner), free(plain), free(dir);
}

/* A member that is itself a thin archive is read in its place, as lld does. */
static void test_nested(void **state)
{
	(void)state;
	char *dir = scratch();
	/* an archive listing another archive by name (ar T would flatten it: write one by hand) */
	sh(dir, ": > x.o && : > y.o && ar cDPrST in.a x.o && "
		"printf '!<thin>\\nin.a/           0           0     0     644     0         `\\n"
		"y.o/            0           0     0     644     0         `\\n' > out.a");
	struct strvec m = STRVEC_INIT;
	char *out = xasprintf("%s/out.a", dir);
	assert_int_equal(thin_archive_members(out, &m), 1);
	assert_int_equal(m.nr, 2);
	char *x = xasprintf("%s/x.o", dir), *y = xasprintf("%s/y.o", dir);
	assert_string_equal(m.v[0], x);
	assert_string_equal(m.v[1], y);
	strvec_clear(&m);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm), free(out), free(x), free(y), free(dir);
}

static void test_file_kinds(void **state)
{
	(void)state;
	assert_int_equal(file_kind_of("\177ELF\2\1\1", 7), FILE_ELF);
	assert_int_equal(file_kind_of("BC\xc0\xde\x35\x14", 6), FILE_BITCODE);
	assert_int_equal(file_kind_of("\xde\xc0\x17\x0b\0\0\0\0", 8), FILE_BITCODE);
	assert_int_equal(file_kind_of("!<thin>\n", 8), FILE_THIN_ARCHIVE);
	assert_int_equal(file_kind_of("!<arch>\n", 8), FILE_ARCHIVE);
	assert_int_equal(file_kind_of("!<thin>", 7), FILE_OTHER);	/* short */
	assert_int_equal(file_kind_of("", 0), FILE_OTHER);
	assert_int_equal(file_kind("/nonexistent/kshim"), FILE_OTHER);
	assert_string_equal(file_kind_str(FILE_BITCODE), "LLVM bitcode");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_paths_and_offsets),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_file_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
