#include "ctl.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int ctl_find_dir(struct ctl *ctl, const char *opt_dir)
{
	const char *env = getenv("KSHIM_DIR");
	if (opt_dir) {
		ctl->dir = xstrdup(opt_dir);
		return 0;
	}
	if (env && *env) {
		ctl->dir = xstrdup(env);
		return 0;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return error("cannot get the current directory: %s", strerror(errno));
	for (;;) {
		char *cand = path_join(cwd, ".kshim");
		if (is_dir(cand)) {
			ctl->dir = cand;
			return 0;
		}
		free(cand);
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			break;
		*slash = '\0';
	}
	return error("no .kshim directory here or in any parent; use --dir DIR or set KSHIM_DIR");
}

char *ctl_build_dir(const struct ctl *ctl)
{
	if (!ctl->dir || strcmp(path_basename(ctl->dir), ".kshim") != 0)
		return NULL;
	char *d = xstrdup(ctl->dir);
	char *slash = strrchr(d, '/');
	if (!slash) {
		free(d);
		return xstrdup(".");
	}
	*slash = '\0';
	return d;
}

int ctl_load(struct ctl *ctl)
{
	if (ctl->loaded)
		return 0;
	char *path = path_join(ctl->dir, LOG_FILE);
	struct log_reader r;
	if (log_reader_open(&r, path) < 0) {
		int e = errno;
		free(path);
		if (e == ENOENT) {
			ctl->loaded = 1;	/* an empty log is a log */
			return 0;
		}
		return error("cannot open '%s/%s': %s", ctl->dir, LOG_FILE, strerror(e));
	}
	free(path);
	json_t *rec;
	int ret;
	while ((ret = log_reader_next(&r, &rec)) == 1) {
		if (ctl->nr == ctl->alloc) {
			ctl->alloc = ctl->alloc ? ctl->alloc * 2 : 1024;
			ctl->recs = xrealloc(ctl->recs, ctl->alloc * sizeof(*ctl->recs));
		}
		ctl->recs[ctl->nr++] = rec;
	}
	ctl->torn = r.torn;
	if (r.torn)
		warning("%s: %ld torn or damaged record(s) skipped (first at line %ld)", r.path, r.torn,
			r.first_torn_line);
	log_reader_close(&r);
	if (ret < 0)
		return error("read error in '%s/%s': %s", ctl->dir, LOG_FILE, strerror(errno));
	ctl->loaded = 1;
	return 0;
}

void ctl_release(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->nr; i++)
		json_decref(ctl->recs[i]);
	free(ctl->recs);
	free(ctl->dir);
	memset(ctl, 0, sizeof(*ctl));
}

const char *rec_str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

double rec_num(const json_t *rec, const char *key)
{
	return json_number_value(json_object_get(rec, key));
}

int rec_bool(const json_t *rec, const char *key)
{
	return json_is_true(json_object_get(rec, key));
}

int rec_is_call(const json_t *rec)
{
	const char *t = rec_str(rec, "type");
	return t && strcmp(t, "call") == 0;
}

int rec_failed(const json_t *rec)
{
	return json_object_get(rec, "signal") || rec_num(rec, "exit") != 0;
}

const char *rec_status(const json_t *rec, char *buf, size_t n)
{
	const char *sig = rec_str(rec, "signame");
	if (sig)
		snprintf(buf, n, "SIG%s", sig);
	else
		snprintf(buf, n, "%d", (int)rec_num(rec, "exit"));
	return buf;
}

const char **ctl_build_list(struct ctl *ctl, size_t *n)
{
	const char **ids = xcalloc(ctl->nr + 1, sizeof(*ids));
	size_t k = 0;
	/* builds are few; a linear check against the last few seen is enough */
	for (size_t i = 0; i < ctl->nr; i++) {
		const char *b = rec_str(ctl->recs[i], "build");
		if (!b)
			continue;
		size_t j;
		for (j = k; j > 0; j--)
			if (strcmp(ids[j - 1], b) == 0)
				break;
		if (j == 0)
			ids[k++] = b;
	}
	*n = k;
	return ids;
}

const char *ctl_build_select(struct ctl *ctl, const char *sel)
{
	size_t n;
	const char **ids = ctl_build_list(ctl, &n);
	const char *found = NULL;
	if (n == 0) {
		free(ids);
		error("the log in '%s' has no builds", ctl->dir);
		return NULL;
	}
	if (strcmp(sel, "last") == 0 || starts_with(sel, "last~")) {
		long back = sel[4] ? strtol(sel + 5, NULL, 10) : 0;
		if (back < 0 || (size_t)back >= n)
			error("'%s': there are only %zu builds", sel, n);
		else
			found = ids[n - 1 - (size_t)back];
		free(ids);
		return found;
	}
	int matches = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ids[i], sel) == 0) {
			found = ids[i];
			matches = 1;
			break;
		}
		if (starts_with(ids[i], sel)) {
			found = ids[i];
			matches++;
		}
	}
	free(ids);
	if (matches == 1)
		return found;
	error(matches ? "build '%s' is ambiguous; 'kshimctl builds' lists them" :
			"no build '%s'; 'kshimctl builds' lists them", sel);
	return NULL;
}

const struct ctl_cmd *ctl_find_cmd(const char *name)
{
	for (size_t i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

int ctl_usage(const struct ctl_cmd *cmd, FILE *f)
{
	fputs(cmd->usage, f);
	return 0;
}

int ctl_bad_option(const char *cmd, const char *opt)
{
	error("%s: unknown option '%s' (see 'kshimctl %s --help')", cmd, opt, cmd);
	return 2;
}

char *ctl_self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return xstrdup(".");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return xstrdup(buf);
}
