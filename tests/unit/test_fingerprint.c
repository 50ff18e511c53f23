/* Fingerprint helpers: depfile parsing, slot lists, directory tags, the shared header table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deptab.h"
#include "fingerprint.h"
#include "strvec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void collect(const char *path, void *arg)
{
	strvec_push(arg, path);
}

static void parse(const char *text, struct strvec *out)
{
	char *t = xstrdup(text);
	size_t n = depfile_parse(t, strlen(t), collect, out);
	assert_int_equal(n, out->nr);
	free(t);
}

static void test_depfile_kbuild_style(void **state)
{
	(void)state;
	struct strvec v = STRVEC_INIT;
	parse("init/main.o: ../init/main.c include/linux/kconfig.h \\\n"
	      "  include/generated/autoconf.h \\\n  /usr/lib/llvm-19/lib/clang/19/include/stddef.h\n", &v);
	assert_int_equal(v.nr, 4);
	assert_string_equal(v.v[0], "../init/main.c");
	assert_string_equal(v.v[1], "include/linux/kconfig.h");
	assert_string_equal(v.v[3], "/usr/lib/llvm-19/lib/clang/19/include/stddef.h");
	strvec_clear(&v);
}

static void test_depfile_escapes_and_phony_targets(void **state)
{
	(void)state;
	struct strvec v = STRVEC_INIT;
	/* -MP phony rules after the first are not prerequisites; escaped spaces, '#' and '$$' are */
	parse("a\\ b.o: dir\\ with\\ space/x.h cost$$.h hash\\#.h\\\n"
	      "last.h\n"
	      "dir\\ with\\ space/x.h:\n"
	      "cost$$.h:\n", &v);
	assert_int_equal(v.nr, 4);
	assert_string_equal(v.v[0], "dir with space/x.h");
	assert_string_equal(v.v[1], "cost$.h");
	assert_string_equal(v.v[2], "hash#.h");
	assert_string_equal(v.v[3], "last.h");
	strvec_clear(&v);
	parse("", &v);
	parse("no colon here\n", &v);
	parse("t.o:\n", &v);
	parse("t.o: \\", &v);	/* truncated: nothing invented */
	assert_int_equal(v.nr, 0);
	parse("t.o: x.h", &v);	/* no final newline */
	assert_int_equal(v.nr, 1);
	strvec_clear(&v);
}

static void test_slots_roundtrip(void **state)
{
	(void)state;
	uint32_t in[] = { 32767, 0, 5, 31, 32, 1000, 5, 1023, 1024 };
	char *s = slots_encode(in, ARRAY_SIZE(in));
	size_t n;
	uint32_t *out = slots_decode(s, &n);
	const uint32_t want[] = { 0, 5, 31, 32, 1000, 1023, 1024, 32767 };	/* sorted, duplicates once */
	assert_non_null(out);
	assert_int_equal(n, ARRAY_SIZE(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);
	free(s);
	/* malformed: bad character, dangling continuation, index out of range */
	assert_null(slots_decode("AB*", &n));
	assert_null(slots_decode("g", &n));
	assert_null(slots_decode("gggggggg", &n));
	assert_null(slots_decode("___B", &n));
	out = slots_decode("", &n);
	assert_int_equal(n, 0);
	free(out);
}

static void test_dirs_tagged(void **state)
{
	(void)state;
	char *s = dirs_tagged("-I/src/linux/include", "/src/linux/out", "/src/linux");
	assert_string_equal(s, "-I$S/include");
	free(s);
	/* the build dir inside the source dir wins where both match; no match inside a longer name */
	s = dirs_tagged("/src/linux/out/x.o:/src/linux-old/y", "/src/linux/out", "/src/linux");
	assert_string_equal(s, "$B/x.o:/src/linux-old/y");
	free(s);
	s = dirs_tagged("/", "/", NULL);	/* a one-letter directory grows the string */
	assert_string_equal(s, "$B");
	free(s);
}

/* Many processes hash the same headers into one table at once: one slot each, right digests. */
static void test_deptab_concurrent(void **state)
{
	(void)state;
	char dir[] = "/tmp/kshim-deptab-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *dep = xasprintf("%s/x.d", dir);
	FILE *f = fopen(dep, "w");
	assert_non_null(f);
	fprintf(f, "x.o:");
	for (int i = 0; i < 200; i++) {
		char *h = xasprintf("%s/h%d.h", dir, i);
		FILE *hf = fopen(h, "w");
		assert_non_null(hf);
		fprintf(hf, "#define H%d %d\n", i, i);
		fclose(hf);
		fprintf(f, " %s", h);
		free(h);
	}
	fprintf(f, " %s/missing.h\n", dir);
	fclose(f);

	enum { WRITERS = 8 };
	int fds[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		if (fork() == 0) {
			close(p[0]);
			struct deptab *t = deptab_open(dir, "b1");
			json_t *d = deps_fingerprint(t, dep, dir, dir, NULL);
			char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
			(void)!write(p[1], s, strlen(s));
			_exit(0);
		}
		close(p[1]);
		fds[w] = p[0];
	}
	json_t *first = NULL;
	for (int w = 0; w < WRITERS; w++) {
		char buf[4096];
		ssize_t n = read(fds[w], buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		close(fds[w]);
		json_t *d = json_loads(buf, 0, NULL);
		assert_non_null(d);
		if (w == 0)
			first = json_incref(d);
		assert_int_equal(json_integer_value(json_object_get(d, "n")), 201);
		assert_int_equal(json_integer_value(json_object_get(d, "unreadable")), 1);
		/* a racing reader may hash for itself, but the digest over all files is the same */
		assert_string_equal(json_string_value(json_object_get(d, "sha256")),
				    json_string_value(json_object_get(first, "sha256")));
		json_decref(d);
	}
	json_decref(first);
	while (wait(NULL) > 0)
		;
	/* afterwards every file is indexed once, and the table gives its digest */
	struct deptab *t = deptab_open(dir, "b1");
	json_t *d = deps_fingerprint(t, dep, dir, dir, NULL);
	assert_null(json_object_get(d, "unindexed"));
	deptab_close(t);
	struct deptab *ro = deptab_open_ro(dir, "b1");
	assert_non_null(ro);
	json_t *files = deps_files(ro, d);
	assert_int_equal(json_object_size(files), 201);
	char want[SHA256_HEX_LEN + 1];
	sha256_hex("#define H7 7\n", 13, want);
	assert_string_equal(json_string_value(json_object_get(files, "$B/h7.h")), want);
	assert_string_equal(json_string_value(json_object_get(files, "$B/missing.h")), "unreadable");
	json_decref(files);
	json_decref(d);
	deptab_close(ro);
	assert_null(deptab_open_ro(dir, "no-such-build"));
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depfile_kbuild_style),
		cmocka_unit_test(test_depfile_escapes_and_phony_targets),
		cmocka_unit_test(test_slots_roundtrip),
		cmocka_unit_test(test_dirs_tagged),
		cmocka_unit_test(test_deptab_concurrent),
	};
	return cmocka_run_group_tests_name("fingerprint", tests, NULL, NULL);
}
