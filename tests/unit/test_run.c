/* run_child: the one runner (directory, log, capture, environment, timeout, process group, status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "run.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *sh_argv[] = { "/bin/sh", "-c", NULL, NULL };

static int sh(const char *script, const struct run_opts *o, struct run_result *res)
{
	sh_argv[2] = (char *)script;
	return run_child("/bin/sh", sh_argv, NULL, o, res);
}

static void test_status_exit_and_signal(void **state)
{
	(void)state;
	struct run_result res;
	assert_int_equal(sh("exit 7", NULL, &res), 0);
	assert_true(res.exited);
	assert_int_equal(run_status(&res), 7);
	assert_int_equal(sh("kill -SEGV $$", NULL, &res), 0);
	assert_false(res.exited);
	assert_int_equal(res.term_signal, SIGSEGV);
	assert_int_equal(run_status(&res), 128 + SIGSEGV);
	assert_int_equal(run_child("/nonexistent/tool", sh_argv, NULL, NULL, &res), -1);
	assert_int_equal(res.spawn_errno, ENOENT);
	assert_int_equal(run_status(&res), 127);
}

static void test_dir_log_and_environment(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/kshim-run-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *log = xasprintf("%s/log", tmpl);
	char *add[] = { "KSHIM_RUN_A=new", "KSHIM_RUN_B=b", NULL };
	setenv("KSHIM_RUN_A", "old", 1);
	struct run_opts o = { .dir = tmpl, .log_path = log, .log_truncate = 1, .env_add = add };
	struct run_result res;
	/* the log is opened where we are (a relative path means ours), then the directory entered */
	assert_int_equal(sh("pwd; echo $KSHIM_RUN_A $KSHIM_RUN_B; echo err >&2; read x && echo read", &o, &res), 0);
	assert_int_equal(run_status(&res), 1);	/* read: stdin is /dev/null */
	char *buf, *want = xasprintf("%s\nnew b\nerr\n", tmpl);
	size_t len;
	assert_int_equal(read_file(log, &buf, &len), 0);
	assert_string_equal(buf, want);
	free(buf);
	o.log_truncate = 0;	/* appended to */
	assert_int_equal(sh("echo more", &o, &res), 0);
	assert_int_equal(read_file(log, &buf, &len), 0);
	assert_int_equal(strncmp(buf + strlen(want), "more\n", 5), 0);
	free(buf);
	/* a directory that does not exist: not started, the reason is chdir's */
	o.dir = "/nonexistent-kshim-dir";
	assert_int_equal(sh("true", &o, &res), -1);
	assert_int_equal(res.spawn_errno, ENOENT);
	unsetenv("KSHIM_RUN_A");
	char *rm = xasprintf("rm -rf %s", tmpl);
	assert_int_equal(system(rm), 0);
	free(rm), free(want), free(log);
}

static void test_capture_is_cut_and_drained(void **state)
{
	(void)state;
	char out[8];
	char *argv[] = { "/bin/sh", "-c", "echo 0123456789; echo to-stderr >&2; exit 3", NULL };
	assert_int_equal(run_capture(argv, out, sizeof(out)), 3);
	assert_string_equal(out, "0123456");
	char big[64];
	char *many[] = { "/bin/sh", "-c", "seq 1 100000", NULL };	/* more than a pipe holds: drained */
	assert_int_equal(run_capture(many, big, sizeof(big)), 0);
	assert_int_equal(strncmp(big, "1\n2\n3\n", 6), 0);
	char *none[] = { "/nonexistent/tool", NULL };
	assert_int_equal(run_capture(none, big, sizeof(big)), -1);
}

static void test_timeout_kills_the_whole_group(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/kshim-run-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *pidfile = xasprintf("%s/grandchild", tmpl);
	char *script = xasprintf("sleep 60 & echo $! > %s; wait", pidfile);
	struct run_opts o = { .timeout = 0.3, .own_group = 1 };
	struct run_result res;
	double t0 = now_mono();
	assert_int_equal(sh(script, &o, &res), 0);
	assert_true(res.timed_out);
	assert_false(res.exited);
	assert_int_equal(res.term_signal, SIGKILL);
	assert_true(now_mono() - t0 < 30);	/* not the sleep's 60 s */
	char *buf;
	size_t len;
	assert_int_equal(read_file(pidfile, &buf, &len), 0);
	pid_t gc = (pid_t)atoi(buf);
	free(buf);
	assert_true(gc > 0);
	/* the grandchild got the SIGKILL too: gone, or a zombie about to be reaped by init */
	for (int i = 0; i < 100 && kill(gc, 0) == 0; i++) {
		char st[64], *p = xasprintf("/proc/%d/stat", (int)gc);
		FILE *f = fopen(p, "r");
		free(p);
		int zombie = f && fgets(st, sizeof(st), f) && strstr(st, ") Z");
		if (f)
			fclose(f);
		if (zombie)
			break;
		usleep(10000);
		assert_true(i < 99);
	}
	/* no timeout: it runs to its end */
	o.timeout = 0;
	assert_int_equal(sh("sleep 0.1; exit 4", &o, &res), 0);
	assert_false(res.timed_out);
	assert_int_equal(run_status(&res), 4);
	char *rm = xasprintf("rm -rf %s", tmpl);
	assert_int_equal(system(rm), 0);
	free(rm), free(script), free(pidfile);
}

static void test_search_path(void **state)
{
	(void)state;
	struct run_result res;
	char *argv[] = { "true", NULL };
	assert_int_equal(run_child(NULL, argv, NULL, &(struct run_opts){ .search_path = 1 }, &res), 0);
	assert_int_equal(run_status(&res), 0);
	assert_int_equal(run_child(NULL, argv, NULL, NULL, &res), -1);	/* "true" is not a path */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_exit_and_signal),
		cmocka_unit_test(test_dir_log_and_environment),
		cmocka_unit_test(test_capture_is_cut_and_drained),
		cmocka_unit_test(test_timeout_kills_the_whole_group),
		cmocka_unit_test(test_search_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
