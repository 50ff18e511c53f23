/* toolid: one cache of tool facts (digest and --version line); versions read from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "toolid.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long runs_bump = 1000000;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	/* a new mtime even within the clock's granularity */
	struct timespec ts[2] = { { 0, UTIME_NOW }, { (time_t)runs_bump++, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int runs(const char *counter)
{
	char *buf;
	size_t len;
	if (read_file(counter, &buf, &len) < 0)
		return 0;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	free(buf);
	return n;
}

static void test_version_and_identity_share_one_cache(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/kshim-toolid-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	setenv("XDG_CACHE_HOME", tmpl, 1);
	char *tool = xasprintf("%s/fake-ld", tmpl), *counter = xasprintf("%s/runs", tmpl);
	char *script = xasprintf("#!/bin/sh\necho run >> %s\necho 'Fake LLD 17.0.6 (compatible with GNU linkers)'\n", counter);
	put(tool, script);

	int v[3];
	assert_int_equal(tool_version(tool, v), 0);
	assert_int_equal(v[0], 17);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 6);
	assert_int_equal(tool_version(tool, v), 0);
	assert_int_equal(runs(counter), 1);	/* asked once, then from the cache */

	struct tool_id id;
	assert_int_equal(tool_identity(tool, &id, 0), 0);	/* the same entry: digest and version line */
	assert_string_equal(id.version, "Fake LLD 17.0.6 (compatible with GNU linkers)");
	char hex[SHA256_HEX_LEN + 1];
	assert_int_equal(sha256_file_hex(tool, hex), 0);
	assert_string_equal(id.sha256, hex);
	tool_id_release(&id);
	assert_int_equal(runs(counter), 1);

	char *cache = xasprintf("%s/kshim/toolids", tmpl);
	struct stat st;
	assert_int_equal(stat(cache, &st), 0);	/* the one cache file */
	char *other = xasprintf("%s/kshim/tools", tmpl);
	assert_int_not_equal(stat(other, &st), 0);

	/* a changed binary is asked again */
	char *script2 = xasprintf("#!/bin/sh\necho run >> %s\necho 'Fake LLD 19.1.7'\n", counter);
	put(tool, script2);
	assert_int_equal(tool_version(tool, v), 0);
	assert_int_equal(v[0], 19);
	assert_int_equal(runs(counter), 2);

	assert_int_equal(tool_version("/nonexistent/ld", v), -1);
	char *rm = xasprintf("rm -rf %s", tmpl);
	assert_int_equal(system(rm), 0);
	unsetenv("XDG_CACHE_HOME");
	free(rm), free(script2), free(other), free(cache), free(script), free(counter), free(tool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_identity_share_one_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
