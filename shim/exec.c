/*
 * kshim-exec: the light record of a program that is not a tool.
 *
 * libkshim-preload.so with --all-execs runs every program that is not a
 * known tool as `kshim-exec ARGV...` with KSHIM_EXEC=<the program's path>,
 * so that the log shows the whole sequence of a link (link-vmlinux.sh's nm,
 * objcopy, kallsyms, sorttable): argv, cwd, exit status, time. No rules
 * apply; stdio, exit status and signals pass through as with any role.
 *
 * A make's record also holds its environment and the make it runs under
 * ("parent_make": that make's record's pid, passed down in KSHIM_MAKE_PID):
 * with them kshimctl sweep can run a relink's link sub-makes again by
 * themselves, without the top-level make's parse and descent.
 */
#include "build.h"
#include "config.h"
#include "invoke.h"
#include "log.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int exec_main(int argc, char **argv)
{
	(void)argc;
	const char *p = getenv("KSHIM_EXEC");
	if (!p || !*p || !argv[1]) {
		error("kshim-exec is run by libkshim-preload.so (KSHIM_EXEC and a command are needed)");
		exit(KSHIM_EXIT_ERROR);
	}
	char *path = xstrdup(p);
	unsetenv("KSHIM_EXEC");
	double t_start = now_epoch();
	const char *base = path_basename(path);
	json_t *env = NULL, *parent = NULL;
	if (strcmp(base, "make") == 0 || strcmp(base, "gmake") == 0) {
		/* the environment make gets, without the variable that only links records */
		env = json_array();
		for (char **e = environ; *e; e++)
			if (!starts_with(*e, "KSHIM_MAKE_PID="))
				json_array_append_new(env, json_bytes(*e));
		const char *pm = getenv("KSHIM_MAKE_PID");
		if (pm && *pm)
			parent = json_integer(strtoll(pm, NULL, 10));
		char pid[24];
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("KSHIM_MAKE_PID", pid, 1);
	}

	struct config cfg;
	config_init(&cfg);
	int required = 0;
	if (config_load(&cfg) == 0 && cfg.log_required.value)
		config_bool(cfg.log_required.value, &required);
	struct build_info bi;
	build_discover(&bi, cfg.log_dir.value);
	struct log_writer w;
	log_writer_open(&w, bi.log_dir);

	struct run_result res;
	run_tool(path, argv + 1, environ, &res);
	if (!res.started)
		error("cannot run '%s': %s", path, strerror(res.spawn_errno));

	char cwd[4096];
	size_t n = 0;
	while (argv[1 + n])
		n++;
	json_t *rec = json_object();
	json_object_set_new(rec, "kshim", json_integer(LOG_SCHEMA));
	json_object_set_new(rec, "type", json_string("exec"));
	json_object_set_new(rec, "build", json_bytes(bi.id));
	json_object_set_new(rec, "start", json_real(t_start));
	json_object_set_new(rec, "end", json_real(now_epoch()));
	json_object_set_new(rec, "pid", json_integer(getpid()));
	json_object_set_new(rec, "ppid", json_integer(getppid()));
	json_object_set_new(rec, "cwd", json_bytes(getcwd(cwd, sizeof(cwd)) ? cwd : "?"));
	json_object_set_new(rec, "program", json_bytes(path));
	json_object_set_new(rec, "argv", json_strvec(argv + 1, n));
	if (parent)
		json_object_set_new(rec, "parent_make", parent);
	if (env)
		json_object_set_new(rec, "env", env);
	record_result(rec, &res);
	int status = record_append(&w, bi.log_dir, bi.id, rec, required);
	log_writer_close(&w);
	if (status)
		exit(status);
	run_exit_like(&res);
}
