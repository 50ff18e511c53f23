/* Unit tests of the log framing, the torn-record reader and the argv encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static char *framed(int n, size_t *len)
{
	json_t *rec = json_pack("{s:i,s:s,s:i}", "kshim", LOG_SCHEMA, "type", "call", "n", n);
	char *line = log_frame(rec, len);
	json_decref(rec);
	return line;
}

static void test_frame_roundtrip(void **state)
{
	(void)state;
	size_t len;
	char *line = framed(7, &len);
	assert_int_equal(line[len - 1], '\n');
	assert_true(log_line_valid(line, len - 1));
	assert_non_null(strstr(line, ",\"crc32\":\""));
	/* any flipped byte is caught */
	for (size_t i = 0; i < len - 1; i++) {
		line[i] ^= 0x20;
		assert_false(log_line_valid(line, len - 1));
		line[i] ^= 0x20;
	}
	/* and any truncation */
	for (size_t n = 0; n < len - 1; n++)
		assert_false(log_line_valid(line, n));
	free(line);
}

static void test_reader_skips_torn_and_recovers_glued(void **state)
{
	(void)state;
	char path[] = "/tmp/kshim-log-XXXXXX";
	int fd = mkstemp(path);
	size_t l1, l2, l3;
	char *r1 = framed(1, &l1), *r2 = framed(2, &l2), *r3 = framed(3, &l3);
	assert_true(write(fd, r1, l1) == (ssize_t)l1);
	/* a writer killed halfway through record 2, then record 3 glued on the same line */
	assert_true(write(fd, r2, l2 / 2) == (ssize_t)(l2 / 2));
	assert_true(write(fd, r3, l3) == (ssize_t)l3);
	/* and a torn last record */
	assert_true(write(fd, r1, l1 - 5) == (ssize_t)(l1 - 5));
	close(fd);

	struct log_reader r;
	assert_int_equal(log_reader_open(&r, path), 0);
	r.quiet = 1;
	json_t *rec;
	int seen[4] = { 0 };
	while (log_reader_next(&r, &rec) == 1) {
		seen[json_integer_value(json_object_get(rec, "n"))]++;
		json_decref(rec);
	}
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 0);
	assert_int_equal(seen[3], 1);
	assert_int_equal(r.torn, 2);
	assert_int_equal(r.records, 2);
	log_reader_close(&r);
	unlink(path);
	free(r1);
	free(r2);
	free(r3);
}

static void test_writer_repairs_missing_newline(void **state)
{
	(void)state;
	char dir[] = "/tmp/kshim-logdir-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct log_writer w;
	assert_int_equal(log_writer_open(&w, dir), 0);
	size_t l1, l2;
	char *r1 = framed(1, &l1), *r2 = framed(2, &l2);
	assert_true(write(w.fd, r1, l1 / 2) > 0);	/* torn, no newline */
	assert_int_equal(log_writer_append(&w, r2, l2), 0);
	log_writer_close(&w);

	char *p = path_join(dir, LOG_FILE);
	struct log_reader r;
	assert_int_equal(log_reader_open(&r, p), 0);
	r.quiet = 1;
	json_t *rec;
	assert_int_equal(log_reader_next(&r, &rec), 1);
	assert_int_equal(json_integer_value(json_object_get(rec, "n")), 2);
	assert_int_equal(r.lineno, 2);	/* record 2 starts on its own line */
	json_decref(rec);
	assert_int_equal(log_reader_next(&r, &rec), 0);
	log_reader_close(&r);
	unlink(p);
	rmdir(dir);
	free(p);
	free(r1);
	free(r2);
}

static void test_non_utf8_argv_roundtrip(void **state)
{
	(void)state;
	const char *bad = "-DX=\xff\xfe\x80 caf\xc3\xa9";
	json_t *j = json_bytes(bad);
	assert_true(json_is_object(j));
	char *back = json_bytes_decode(j);
	assert_string_equal(back, bad);
	free(back);
	json_decref(j);
	j = json_bytes("caf\xc3\xa9");
	assert_true(json_is_string(j));
	json_decref(j);
}

/* json_compact must write exactly what jansson writes: old logs and new logs read alike. */
static void test_compact_matches_jansson(void **state)
{
	(void)state;
	static const double reals[] = { 0.0, -0.0, 1.0, 0.5, 1e-05, 1e22, 1.5e300, -2.25e-7, 1763788963.123456,
					0.1, 123456789012345.0, 3.0e-320 };
	json_t *r = json_pack("{s:s,s:i,s:I,s:b,s:b,s:n,s:[],s:{},s:[s,s,s,s]}", "plain", "abc/def", "int", -42,
			      "big", (json_int_t)INT64_MAX, "t", 1, "f", 0, "null", "empty_a", "empty_o", "strs",
			      "quote\" back\\slash", "ctl\x01\x1f\t\n\r\b\f", "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
			      "slash / and \x7f");
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(reals); i++)
		json_array_append_new(a, json_real(reals[i]));
	json_object_set_new(r, "reals", a);
	json_object_set_new(r, "nested", json_pack("{s:[{s:[i,[i]]}]}", "x", "y", 1, 2));
	json_object_set_new(r, "bytes", json_bytes("\xff\xfe non-UTF-8"));
	json_object_set_new(r, "nul", json_stringn("a\0b", 3));
	char *want = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(16));
	size_t n;
	char *got = json_compact(r, &n);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(n, strlen(want));
	free(want);
	free(got);
	json_decref(r);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(glob_match("kernel/**.o", "kernel/sched/core.o"));
	assert_true(glob_match("kernel/*.o", "kernel/fork.o"));
	assert_false(glob_match("kernel/*.o", "kernel/sched/core.o"));
	assert_true(glob_match("**/main.o", "init/main.o"));
	assert_true(glob_match("**/main.o", "main.o"));
	assert_true(glob_match("drivers/gpu/**", "drivers/gpu/drm/x.c"));
	assert_true(glob_match("vmlinux.o", "vmlinux.o"));
	assert_false(glob_match("vmlinux.o", "vmlinux"));
	assert_true(glob_match("-Wno-*", "-Wno-unused"));
	assert_true(glob_match("arch/x86/[a-k]*/*.o", "arch/x86/kernel/irq.o"));
	assert_false(glob_match("arch/x86/[!a-k]*/*.o", "arch/x86/kernel/irq.o"));
	const char *why;
	assert_int_equal(glob_check("a[bc", &why), -1);
	assert_int_equal(glob_check("a/**/b*.o", &why), 0);
}

static void test_json_keys_of_any_bytes(void **state)
{
	(void)state;
	const char *cases[] = { "init/main.o", "caf\xe9.o", "base64:looks-encoded", "", "\xff\xfe/x" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k = json_key_bytes(cases[i]);
		assert_true(utf8_valid(k, strlen(k)));
		json_t *o = json_object();
		assert_int_equal(json_object_set_new(o, k, json_true()), 0);	/* jansson takes it as a key */
		char *back = json_key_decode(k);
		assert_string_equal(back, cases[i]);
		free(back);
		free(k);
		json_decref(o);
	}
	char *plain = json_key_bytes("init/main.o");
	assert_string_equal(plain, "init/main.o");	/* UTF-8 paths stay readable */
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_roundtrip),
		cmocka_unit_test(test_reader_skips_torn_and_recovers_glued),
		cmocka_unit_test(test_writer_repairs_missing_newline),
		cmocka_unit_test(test_non_utf8_argv_roundtrip),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_compact_matches_jansson),
		cmocka_unit_test(test_json_keys_of_any_bytes),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
