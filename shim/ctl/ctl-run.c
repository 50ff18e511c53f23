/*
 * ctl-run: running make and tests for the subcommands that rebuild a tree
 * and judge it (sweep, replay, bisect): `kshimctl make` again with a build's
 * recorded arguments, the user's test with a timeout, and what their logs say.
 */
#include "ctl.h"
#include "log.h"
#include "run.h"
#include "strvec.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TAIL_LINES 10

const json_t *ctl_build_start(const struct ctl *ctl, const char *build)
{
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "build", build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *t = rec_str(r, "type"), *e = rec_str(r, "event"), *b = rec_str(r, "build");
		if (t && e && b && strcmp(t, "build") == 0 && strcmp(e, "start") == 0 && strcmp(b, build) == 0)
			return r;
	}
	return NULL;
}

/*
 * Run argv in dir with output to logpath (appended to if append): program
 * (NULL: argv[0] searched in PATH) with the environment envp, or with this
 * one plus the KEY=VALUE entries of env; in a process group of its own, which
 * a timeout kills whole. Returns the exit status (127: it could not start; the
 * reason is in the log). A signal that stopped kshimctl's wait (^C) was
 * passed to the group; kshimctl then dies of it too.
 */
static int run_logged(const char *program, char *const argv[], char *const envp[], const char *dir,
		      const char *logpath, int append, const struct strvec *env, double timeout, int *timed_out)
{
	struct run_opts o = { .dir = dir, .log_path = logpath, .log_truncate = !append,
			      .env_add = env && env->nr ? env->v : NULL, .timeout = timeout, .own_group = 1,
			      .search_path = !program };
	struct run_result res;
	if (run_child(program, argv, envp, &o, &res) < 0) {
		FILE *f = fopen(logpath, append ? "a" : "w");
		if (f) {
			fprintf(f, "kshimctl: cannot run '%s' in '%s': %s\n", program ? program : argv[0], dir,
				strerror(res.spawn_errno));
			fclose(f);
		} else {
			error("cannot run '%s' in '%s' with output to '%s': %s", program ? program : argv[0], dir, logpath,
			      strerror(errno));
		}
		*timed_out = 0;
		return 127;
	}
	if (res.interrupted) {
		signal(res.interrupted, SIG_DFL);
		raise(res.interrupted);
	}
	*timed_out = res.timed_out;
	return run_status(&res);
}

int ctl_run_logged(char *const argv[], const char *dir, const char *logpath, const struct strvec *env,
		   double timeout, int *timed_out)
{
	return run_logged(NULL, argv, NULL, dir, logpath, 0, env, timeout, timed_out);
}

int ctl_run_env(const char *program, char *const argv[], char *const envp[], const char *dir, const char *logpath)
{
	int tmo;
	return run_logged(program, argv, envp, dir, logpath, 1, NULL, 0, &tmo);
}

/* The last n non-empty lines of a file, as a JSON array. */
json_t *ctl_file_tail(const char *path, int n)
{
	char *buf;
	size_t len;
	json_t *a = json_array();
	if (read_file(path, &buf, &len) < 0)
		return a;
	size_t end = len;
	struct strvec lines = STRVEC_INIT;
	while (end > 0 && (int)lines.nr < n) {
		size_t start = end;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		size_t l = end;
		while (l > start && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
			l--;
		if (l > start) {
			char *line = xstrndup(buf + start, l - start);
			strvec_insert(&lines, 0, line);
			free(line);
		}
		end = start > 0 ? start - 1 : 0;
	}
	for (size_t i = 0; i < lines.nr; i++)
		json_array_append_new(a, json_bytes(lines.v[i]));
	strvec_clear(&lines);
	free(buf);
	return a;
}

/*
 * Lines of a file, without their line ends, empty ones skipped: the first
 * line containing first_of (any of its '|'-separated words), else the last
 * line containing last_of (NULL: any line). Heap string or NULL.
 */
static char *pick_line(const char *path, const char *first_of, const char *last_of)
{
	char *buf, *first = NULL, *last = NULL;
	size_t len;
	if (read_file(path, &buf, &len) < 0)
		return NULL;
	for (char *line = buf, *next; line < buf + len && !first; line = next) {
		next = memchr(line, '\n', (size_t)(buf + len - line));
		next = next ? next + 1 : buf + len;
		size_t n = (size_t)(next - line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (!n)
			continue;
		char *l = xstrndup(line, n);
		for (const char *w = first_of; w && *w && !first; w += strcspn(w, "|"), w += *w == '|') {
			char *word = xstrndup(w, strcspn(w, "|"));
			if (strstr(l, word))
				first = xstrdup(l);
			free(word);
		}
		if (!last_of || strstr(l, last_of)) {
			free(last);
			last = l;
		} else {
			free(l);
		}
	}
	free(buf);
	if (first) {
		free(last);
		return first;
	}
	return last;
}

/* First line of the make output that says error, else its last line. */
char *ctl_build_error_reason(const char *logpath)
{
	char *r = pick_line(logpath, "error:|Error |ERROR:", NULL);
	return r ? r : xstrdup("make failed");
}

/* The last line of a test's output that says FAIL (the oracle's verdict), or NULL. */
char *ctl_verdict_line(const char *path)
{
	return pick_line(path, NULL, "FAIL");
}

static int written_since(const char *dir, const char *path, double t0)
{
	char *p = path[0] == '/' ? xstrdup(path) : path_join(dir, path);
	struct stat st;
	int r = stat(p, &st) == 0 && (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9 >= t0;
	free(p);
	return r;
}

/*
 * Is this compile downstream of the link, i.e. does it read a file the relink
 * wrote (x86's boot wrapper: misc.c includes voffset.h made from vmlinux,
 * piggy.S holds the compressed vmlinux, header.S includes zoffset.h)? Its
 * inputs, then the dependencies kbuild listed in the object's .cmd file.
 */
int ctl_compile_downstream(const json_t *r, double t0)
{
	const char *cwd = rec_str(r, "cwd");
	const json_t *ins = json_object_get(r, "inputs"), *outs = json_object_get(r, "outputs");
	int down = 0;
	for (size_t i = 0; cwd && !down && i < json_array_size(ins); i++) {
		char *p = json_bytes_decode(json_array_get(ins, i));
		down = p && written_since(cwd, p, t0);
		free(p);
	}
	char *out = cwd && !down && json_array_size(outs) ? json_bytes_decode(json_array_get(outs, 0)) : NULL;
	if (out) {
		const char *base = path_basename(out);
		char *cmd = xasprintf("%.*s.%s.cmd", (int)(base - out), out, base), *buf;
		char *path = path_join(cwd, cmd);
		size_t len;
		if (read_file(path, &buf, &len) == 0) {
			char *deps = strstr(buf, "\ndeps_");
			for (char *tok = deps ? strtok(deps, " \t\n\\") : NULL; tok && !down; tok = strtok(NULL, " \t\n\\")) {
				if (starts_with(tok, "deps_") || starts_with(tok, "$(") || strchr(tok, ')') || !strcmp(tok, ":="))
					continue;
				down = written_since(cwd, tok, t0);
			}
			free(buf);
		}
		free(path);
		free(cmd);
		free(out);
	}
	return down;
}

int ctl_write_json_atomic(const char *path, json_t *j)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int ret = json_dump_file(j, tmp, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -1;
	if (ret < 0) {
		error("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

char *ctl_self_kshimctl(void)
{
	char *dir = ctl_self_dir();
	char *p = path_join(dir, "kshimctl");
	free(dir);
	return p;
}

void ctl_fmt_eta(double s, char *buf, size_t n)
{
	if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else if (s >= 60)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, n, "%ds", (int)s);
}

/*
 * Drops make's -B (--always-make) from a word, in place: a relink through make
 * must rebuild only what is out of date. "-sB" becomes "-s"; a word with an
 * option that takes an argument ("-C dir", "-j2") is left alone. 1 if the
 * word is empty now.
 */
static int drop_always_make(char *w, int *dropped)
{
	if (strcmp(w, "--always-make") == 0 || strcmp(w, "-B") == 0) {
		*dropped = 1;
		return 1;
	}
	if (w[0] != '-' || w[1] == '-' || !w[1] || strpbrk(w + 1, "CfIjloOW") || !strchr(w, 'B'))
		return 0;
	for (const char *p = w + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return 0;
	char *o = w + 1;
	for (const char *p = w + 1; *p; p++)
		if (*p != 'B')
			*o++ = *p;
	*o = 0;
	*dropped = 1;
	return 0;
}

int ctl_make_args_of(const struct ctl *ctl, const char *build, struct strvec *args, char **cwd, int *preload_only)
{
	const json_t *start = ctl_build_start(ctl, build);
	const char *bdir = ctl_build_dir_of(ctl, build), *at = start ? rec_str(start, "cwd") : NULL;
	const json_t *a = start ? json_object_get(start, "make_args") : NULL;
	if (!bdir || !json_is_array(a))
		return -1;
	int dropped = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		char *w = json_bytes_decode(json_array_get(a, i));
		if (!w || !drop_always_make(w, &dropped))
			strvec_push(args, w ? w : "");
		free(w);
	}
	if (dropped)
		fprintf(stderr, "kshimctl: build %s was made with make -B: left out here, so that make rebuilds only what "
			"is out of date\n", build);
	*cwd = xstrdup(at ? at : bdir);
	if (preload_only)
		*preload_only = json_is_true(json_object_get(start, "preload_only"));
	return 0;
}

int ctl_remake(const char *log_dir, const char *cwd, const struct strvec *make_args, int preload_only, const char *id,
	       const struct strvec *env, const char *logpath)
{
	struct strvec argv = STRVEC_INIT;
	strvec_push_nodup(&argv, ctl_self_kshimctl());
	strvec_push(&argv, "make");
	strvec_push(&argv, "--dir");
	strvec_push(&argv, log_dir);
	strvec_push(&argv, "--build-id");
	strvec_push(&argv, id);
	if (preload_only)
		strvec_push(&argv, "--preload-only");	/* as the build it remakes ran: the same .cmd files */
	strvec_push(&argv, "--");
	for (size_t i = 0; i < make_args->nr; i++)
		strvec_push(&argv, make_args->v[i]);
	int tmo;
	int st = ctl_run_logged(argv.v, cwd, logpath, env, 0, &tmo);
	strvec_clear(&argv);
	return st;
}

json_t *ctl_run_test(const char *test, const char *build_dir, const char *logpath, const struct strvec *env,
		     double timeout)
{
	struct strvec argv = STRVEC_INIT;
	strvec_push(&argv, "/bin/sh");
	strvec_push(&argv, "-c");
	strvec_push(&argv, test);
	int tmo;
	double t0 = now_mono();
	int st = ctl_run_logged(argv.v, build_dir, logpath, env, timeout, &tmo);
	strvec_clear(&argv);
	json_t *res = json_object(), *tail = ctl_file_tail(logpath, TAIL_LINES);
	json_object_set_new(res, "seconds", json_real(round((now_mono() - t0) * 1000) / 1000));
	json_object_set_new(res, "result", json_string(st == 0 && !tmo ? "pass" : "fail"));
	json_object_set_new(res, "exit", json_integer(st));
	if (tmo) {
		json_object_set_new(res, "reason", json_sprintf("test timed out after %gs", timeout));
	} else if (st != 0) {
		/* the test's own verdict line if it printed one (the QEMU oracle does), else its last line */
		char *why = ctl_verdict_line(logpath);
		const json_t *last = json_array_size(tail) ? json_array_get(tail, json_array_size(tail) - 1) : NULL;
		json_object_set_new(res, "reason", why ? json_bytes(why) : last ? json_incref((json_t *)last) :
				    json_sprintf("exit %d", st));
		free(why);
	}
	json_object_set_new(res, "tail", tail);
	return res;
}

int ctl_copy_file(const char *from, const char *to, int keep_times)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ret = -1;
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0)
		goto done;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0)
		goto done;
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			goto done;
	if (n == 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		if (keep_times)
			futimens(out, ts);	/* make compares times: keep them */
		ret = 0;
	}
done:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		ret = -1;
	return ret;
}
