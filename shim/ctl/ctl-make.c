/* kshimctl make and demo: running builds through kshim. */
#include "ctl.h"
#include "resolve.h"
#include "run.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/*
 * The build directory a make command line will use: M= (an external
 * module's directory), else O=, else KBUILD_OUTPUT from the environment,
 * relative to -C, relative to cwd (build.c reads a running make the same
 * way). *src: the -C directory (the kernel source tree) when the build goes
 * elsewhere, else NULL.
 */
static char *make_build_dir(int argc, char **argv, char **src)
{
	char cwd[PATH_MAX];
	char *dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	const char *o = NULL, *m = NULL;
	for (int i = 0; i < argc; i++) {
		const char *c = NULL;
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			c = argv[++i];
		else if (starts_with(argv[i], "-C") && argv[i][2])
			c = argv[i] + 2;
		else if (starts_with(argv[i], "--directory="))
			c = argv[i] + 12;
		else if (starts_with(argv[i], "O="))
			o = argv[i] + 2;
		else if (starts_with(argv[i], "M="))
			m = argv[i] + 2;
		if (c) {
			char *d = path_join(dir, c);
			free(dir);
			dir = d;
		}
	}
	if (m && *m)
		o = m;
	else if (!o || !*o)
		o = getenv("KBUILD_OUTPUT");
	*src = NULL;
	if (o && *o) {
		char *d = path_join(dir, o);
		*src = dir;
		dir = d;
	}
	return dir;
}

/* libkshim-preload.so: next to kshimctl (build tree), or PREFIX/lib/kshim when installed. */
static char *find_preload(const char *self)
{
	char *cands[] = {
		xasprintf("%s/libkshim-preload.so", self),
		xasprintf("%s/../lib/kshim/libkshim-preload.so", self),
	};
	char *found = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		if (!found && access(cands[i], R_OK) == 0)
			found = realpath(cands[i], NULL);
		free(cands[i]);
	}
	return found;
}

/*
 * The header tables (deptab.h) of old builds: each holds ~3.8 MB, so a tree
 * keeps those of its last DEPS_TABLES_KEPT builds; older builds still diff,
 * only without naming the headers that changed.
 */
#define DEPS_TABLES_KEPT 10

struct table_age {
	char *path;
	struct timespec mtime;
};

static int newer_first(const void *a, const void *b)
{
	const struct table_age *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
	return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec < y->mtime.tv_nsec;
}

static void prune_deps_tables(const char *log_dir, size_t keep)
{
	char *dir = path_join(log_dir, "deps");
	DIR *d = opendir(dir);
	struct table_age *t = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat st;
		char *p = path_join(dir, e->d_name);
		if (!ends_with(e->d_name, ".tab") || lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap)
			t = xrealloc(t, (cap = cap ? 2 * cap : 16) * sizeof(*t));
		t[n++] = (struct table_age){ p, st.st_mtim };
	}
	if (d)
		closedir(d);
	if (n > keep)
		qsort(t, n, sizeof(*t), newer_first);
	for (size_t i = 0; i < n; i++) {
		if (i >= keep && unlink(t[i].path) < 0)
			warning("cannot remove the old header table '%s': %s", t[i].path, strerror(errno));
		free(t[i].path);
	}
	free(t);
	free(dir);
}

void ctl_append_event(struct log_writer *w, json_t *rec)
{
	size_t len;
	char *line = log_frame(rec, &len);
	json_decref(rec);
	if (w->fd < 0 || !line || log_writer_append(w, line, len) < 0)
		warning("cannot write the build record to the log: %s", strerror(w->fd < 0 ? w->open_errno : errno));
	free(line);
}

int cmd_make(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "build-id", required_argument, NULL, 'i' },
		{ "all-execs", no_argument, NULL, 'a' },
		{ "no-preload", no_argument, NULL, 'n' },
		{ "preload-only", no_argument, NULL, 'P' },
		{ "tools", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *id = NULL, *tools = NULL;
	int c, all_execs = 0, preload = 1, vars = 1;
	(void)ctl;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'a':
			all_execs = 1;
			break;
		case 'n':
			preload = 0;
			break;
		case 't':
			tools = optarg;
			break;
		case 'P':
			vars = 0;
			break;
		case 'h':
			return ctl_usage(ctl_find_cmd("make"), stdout);
		default:
			return ctl_bad_option("make", argv[optind - 1]);
		}
	}
	int margc = argc - optind;
	char **margv = argv + optind;

	char *self = ctl_self_dir();
	const char *make = getenv("MAKE");
	char *make_path = resolve_path_search(make && *make ? make : "make", getenv("PATH"), NULL, NULL);
	if (!make_path) {
		free(self);
		error("make: cannot find 'make' on PATH");
		return 127;
	}

	char *src_dir;
	char *build_dir = make_build_dir(margc, margv, &src_dir);
	if (src_dir)
		setenv("KSHIM_SRCDIR", src_dir, 1);	/* argv digests write it as "$S" */
	char *log_dir = dir ? xstrdup(dir) : getenv("KSHIM_DIR") && *getenv("KSHIM_DIR") ?
		xstrdup(getenv("KSHIM_DIR")) : path_join(build_dir, KSHIM_LOG_DIRNAME);
	char idbuf[64];
	if (!id) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		size_t k = strftime(idbuf, sizeof(idbuf), "%Y%m%d-%H%M%S", &tm);
		snprintf(idbuf + k, sizeof(idbuf) - k, "-%d", (int)getpid());
		id = idbuf;
	}
	setenv("KSHIM_BUILD", id, 1);
	setenv("KSHIM_DIR", log_dir, 1);
	char *lib = NULL;
	if ((all_execs || !vars) && !preload) {
		error("make: %s needs the preload library (drop --no-preload)", all_execs ? "--all-execs" : "--preload-only");
		free(self);
		free(make_path);
		free(build_dir);
		free(src_dir);
		free(log_dir);
		return 2;
	}
	if (preload) {
		lib = find_preload(self);
		if (!lib) {
			error("make: cannot find libkshim-preload.so next to kshimctl or in ../lib/kshim "
			      "(use --no-preload to run without it)");
			free(self);
			free(make_path);
			free(build_dir);
			free(src_dir);
			free(log_dir);
			return 2;
		}
		const char *old = getenv("LD_PRELOAD");
		char *v = old && *old ? xasprintf("%s %s", lib, old) : xstrdup(lib);
		setenv("LD_PRELOAD", v, 1);
		free(v);
		setenv("KSHIM_PRELOAD_BIN", self, 1);
		if (tools)
			setenv("KSHIM_PRELOAD_TOOLS", tools, 1);
		if (all_execs)
			setenv("KSHIM_ALL_EXECS", "1", 1);
	}

	struct strvec run = STRVEC_INIT;
	strvec_push(&run, make_path);
	if (vars) {
		strvec_push_nodup(&run, xasprintf("CC=%s/kshim", self));
		strvec_push_nodup(&run, xasprintf("HOSTCC=%s/kshim", self));
		strvec_push_nodup(&run, xasprintf("LD=%s/kshim-ld", self));
		/* tools/ (objtool's own build) makes its partial links with HOSTLD */
		strvec_push_nodup(&run, xasprintf("HOSTLD=%s/kshim-ld", self));
	}	/* else the tools keep their names, and kbuild's .cmd files those of a plain make */
	/* with the preload, objtool is caught by path like everything else */
	if (!preload)
		strvec_push_nodup(&run, xasprintf("objtool=%s/kshim-objtool", self));
	for (int i = 0; i < margc; i++)
		strvec_push(&run, margv[i]);

	struct log_writer w;
	log_writer_open(&w, log_dir);
	char cwd[PATH_MAX];
	json_t *argv_json = json_array();
	for (size_t i = 0; i < run.nr; i++)
		json_array_append_new(argv_json, json_bytes(run.v[i]));
	json_t *start = json_pack("{s:i,s:s,s:s,s:s,s:f,s:s,s:s,s:o}", "kshim", LOG_SCHEMA, "type", "build", "event",
				  "start", "build", id, "time", now_epoch(), "cwd", getcwd(cwd, sizeof(cwd)) ? cwd : "?",
				  "build_dir", build_dir, "argv", argv_json);
	if (src_dir)
		json_object_set_new(start, "src_dir", json_string(src_dir));	/* make -C SRC O=BUILD */
	json_t *make_args = json_array();	/* the caller's, for kshimctl sweep and replay */
	for (int i = 0; i < margc; i++)
		json_array_append_new(make_args, json_bytes(margv[i]));
	json_object_set_new(start, "make_args", make_args);
	/* kbuild's variables that say what is built and where: from make's arguments, else the environment
	 * (but O= and M= count only on the command line: kbuild checks their origin) */
	static const char *const kvars[] = { "ARCH", "CROSS_COMPILE", "LLVM", "O", "M", "KBUILD_OUTPUT" };
	json_t *kb = json_object();
	for (size_t v = 0; v < ARRAY_SIZE(kvars); v++) {
		const char *val = strcmp(kvars[v], "O") == 0 || strcmp(kvars[v], "M") == 0 ? NULL : getenv(kvars[v]);
		size_t n = strlen(kvars[v]);
		for (int i = 0; i < margc; i++)
			if (strncmp(margv[i], kvars[v], n) == 0 && margv[i][n] == '=')
				val = margv[i] + n + 1;
		if (val)
			json_object_set_new(kb, kvars[v], json_bytes(val));
	}
	json_object_set_new(start, "kbuild", kb);
	if (!vars)
		json_object_set_new(start, "preload_only", json_true());	/* sweep and bisect remake it the same way */
	ctl_append_event(&w, start);
	fprintf(stderr, "kshimctl: build %s, log in %s\n", id, log_dir);

	struct run_result res;
	run_tool(make_path, run.v, environ, &res);
	if (!res.started)
		error("make: cannot run '%s': %s", make_path, strerror(res.spawn_errno));

	json_t *end = json_pack("{s:i,s:s,s:s,s:s,s:f,s:f}", "kshim", LOG_SCHEMA, "type", "build", "event", "end",
				"build", id, "time", now_epoch(), "wall", res.wall);
	if (res.started && !res.exited)
		json_object_set_new(end, "signal", json_integer(res.term_signal));
	json_object_set_new(end, "exit", json_integer(run_status(&res)));
	prune_deps_tables(log_dir, DEPS_TABLES_KEPT);	/* after the build: its own table counts */
	long lost = log_lost_count(log_dir, id);
	if (lost)
		json_object_set_new(end, "lost", json_integer(lost));
	ctl_append_event(&w, end);
	if (lost)
		warning("%ld record(s) of build %s could not be written to %s", lost, id, log_dir);
	log_writer_close(&w);
	strvec_clear(&run);
	free(lib);
	free(self);
	free(make_path);
	free(build_dir);
	free(src_dir);
	free(log_dir);
	fflush(stdout);
	run_exit_like(&res);
}

int cmd_demo(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return ctl_usage(ctl_find_cmd("demo"), stdout);
	char *self = ctl_self_dir();
	char *cands[] = {
		xasprintf("%s/../scripts/kshim-demo", self),
		xasprintf("%s/kshim-demo", KSHIM_LIBEXECDIR),
	};
	const char *script = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cands) && !script; i++)
		if (access(cands[i], X_OK) == 0)
			script = cands[i];
	if (!script) {
		error("demo: cannot find kshim-demo (looked in %s/../scripts and %s)", self, KSHIM_LIBEXECDIR);
		return 2;
	}
	argv[0] = (char *)script;
	execv(script, argv);
	error("demo: cannot run '%s': %s", script, strerror(errno));
	return 2;
}
