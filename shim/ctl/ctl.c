#include "ctl.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
		char *cand = path_join(cwd, KSHIM_LOG_DIRNAME);
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
	if (!ctl->dir || strcmp(path_basename(ctl->dir), KSHIM_LOG_DIRNAME) != 0)
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

/* An interned copy of s[0..n) (build ids and types repeat thousands of times). */
static const char *intern(struct ctl *ctl, const char *s, size_t n)
{
	char key[256];
	if (n >= sizeof(key))
		return NULL;	/* not interned: the caller parses the record */
	memcpy(key, s, n);
	key[n] = '\0';
	json_t *v = json_object_get(ctl->interned, key);
	if (!v)
		json_object_set_new(ctl->interned, key, v = json_string(key));
	return json_string_value(v);
}

/*
 * A JSON string value at p (just after its opening quote) that needs no
 * unescaping: its length, or -1.
 */
static long plain_string(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	return q < end && *q == '"' ? q - p : -1;
}

/*
 * Build and type from the record's first bytes, as kshim writes them:
 * {"kshim":N,"type":"T",["event":"E",]"build":"B",...  0, or -1 when the
 * bytes do not have that shape (then the record is parsed to know).
 */
static int scan_head(struct ctl *ctl, const char *s, size_t n, struct ctl_meta *m)
{
	static const char k0[] = "{\"kshim\":", kt[] = ",\"type\":\"", ke[] = ",\"event\":\"", kb[] = ",\"build\":\"";
	const char *p = s, *end = s + n;
	if (n < sizeof(k0) || memcmp(p, k0, sizeof(k0) - 1) != 0)
		return -1;
	p += sizeof(k0) - 1;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if ((size_t)(end - p) < sizeof(kt) || memcmp(p, kt, sizeof(kt) - 1) != 0)
		return -1;
	p += sizeof(kt) - 1;
	long l = plain_string(p, end);
	if (l < 0 || !(m->type = intern(ctl, p, (size_t)l)))
		return -1;
	p += l + 1;
	if ((size_t)(end - p) > sizeof(ke) && memcmp(p, ke, sizeof(ke) - 1) == 0) {
		p += sizeof(ke) - 1;
		if ((l = plain_string(p, end)) < 0)
			return -1;
		p += l + 1;
	}
	if ((size_t)(end - p) < sizeof(kb) || memcmp(p, kb, sizeof(kb) - 1) != 0)
		return -1;
	p += sizeof(kb) - 1;
	if ((l = plain_string(p, end)) < 0 || !(m->build = intern(ctl, p, (size_t)l)))
		return -1;
	return 0;
}

static json_t *parse_record(const struct ctl *ctl, size_t i)
{
	json_error_t jerr;
	const struct ctl_meta *m = &ctl->meta[i];
	/* duplicate keys rejected: the build and type read from the first bytes are then the record's own */
	json_t *rec = json_loadb(ctl->map + m->off, m->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec || !json_is_object(rec)) {
		/* checksum matched but JSON did not: a writer bug, say so */
		warning("%s:%ld: record has a valid checksum but is not a JSON object: %s", ctl->log_path, m->line,
			jerr.text);
		json_decref(rec);
		rec = json_object();
	}
	return rec;
}

json_t *ctl_rec(const struct ctl *ctl, size_t i)
{
	if (!ctl->recs[i])
		ctl->recs[i] = parse_record(ctl, i);
	return ctl->recs[i];
}

int ctl_rec_is(const struct ctl *ctl, size_t i, const char *type, const char *build)
{
	const struct ctl_meta *m = &ctl->meta[i];
	if (type && (!m->type || strcmp(m->type, type) != 0))
		return 0;
	return !build || (m->build && strcmp(m->build, build) == 0);
}

/* Past the JSON string whose opening quote is at p; NULL if it does not end. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		p = memchr(p, '"', (size_t)(end - p));
		if (!p)
			return NULL;
		size_t bs = 0;
		while (p[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			return p + 1;
	}
	return NULL;
}

/* Past the JSON value at p (a string, a scalar, or a whole object or array); NULL if malformed. */
static const char *skip_value(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	int depth = 0;
	while (p < end) {
		char c = *p;
		if (c == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

int ctl_rec_members(const struct ctl *ctl, size_t i, const char *const *keys, const char **vals, size_t *lens, int n)
{
	size_t len;
	const char *p = ctl_rec_raw(ctl, i, &len), *end = p + len;
	for (int k = 0; k < n; k++)
		vals[k] = NULL;
	if (len < 2 || *p != '{')
		return -1;
	for (p++; p < end && *p == '"';) {
		const char *key = p + 1, *q = skip_string(p, end);
		if (!q || q >= end || *q != ':')
			return -1;
		size_t klen = (size_t)(q - 1 - key);
		const char *v = q + 1, *ve = skip_value(v, end);
		if (!ve)
			return -1;
		for (int k = 0; k < n; k++)
			if (!vals[k] && strlen(keys[k]) == klen && memcmp(keys[k], key, klen) == 0) {
				vals[k] = v;
				lens[k] = (size_t)(ve - v);
			}
		p = ve < end && *ve == ',' ? ve + 1 : ve;
	}
	return p < end && *p == '}' ? 0 : -1;
}

int ctl_rec_may_hold(const struct ctl *ctl, size_t i, const char *s)
{
	for (const char *c = s; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			return 1;	/* JSON may write it another way: cannot tell from the bytes */
	size_t len, n = strlen(s);
	const char *raw = ctl_rec_raw(ctl, i, &len);
	for (const char *p = raw; (p = memmem(p, len - (size_t)(p - raw), s, n)); p++)
		if (p > raw && p[-1] == '"' && p + n < raw + len && p[n] == '"')
			return 1;
	return 0;
}

int ctl_load(struct ctl *ctl)
{
	if (ctl->loaded)
		return 0;
	ctl->log_path = path_join(ctl->dir, LOG_FILE);
	ctl->interned = json_object();
	int fd = open(ctl->log_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT) {
			ctl->loaded = 1;	/* an empty log is a log */
			return 0;
		}
		return error("cannot open '%s/%s': %s", ctl->dir, LOG_FILE, strerror(e));
	}
	/* records are appended while sweep and bisect run builds: this load sees the log as it is now */
	ctl->map_len = (size_t)st.st_size;
	if (ctl->map_len) {
		ctl->map = mmap(NULL, ctl->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (ctl->map == MAP_FAILED) {
			int e = errno;
			ctl->map = NULL;
			close(fd);
			return error("cannot read '%s/%s': %s", ctl->dir, LOG_FILE, strerror(e));
		}
		madvise(ctl->map, ctl->map_len, MADV_SEQUENTIAL);
	}
	close(fd);
	long lineno = 0, first_torn = 0;
	for (const char *p = ctl->map, *end = p ? p + ctl->map_len : NULL; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		lineno++;
		if (n == 0)
			continue;
		size_t len;
		const char *s = log_line_record(line, n, &len);
		if (s != line) {
			ctl->torn++;
			if (!first_torn)
				first_torn = lineno;
			warning("%s:%ld: torn or damaged record skipped (%zu bytes)", ctl->log_path, lineno, n);
		}
		if (!s)
			continue;
		if (ctl->nr == ctl->alloc) {
			ctl->alloc = ctl->alloc ? ctl->alloc * 2 : 1024;
			ctl->recs = xrealloc(ctl->recs, ctl->alloc * sizeof(*ctl->recs));
			ctl->meta = xrealloc(ctl->meta, ctl->alloc * sizeof(*ctl->meta));
		}
		size_t i = ctl->nr++;
		struct ctl_meta *m = &ctl->meta[i];
		*m = (struct ctl_meta){ .off = (size_t)(s - ctl->map), .len = len, .line = lineno };
		ctl->recs[i] = NULL;
		if (scan_head(ctl, s, len, m) < 0) {
			/* another shape: parse it now to know its build and type */
			json_t *rec = ctl_rec(ctl, i);
			const char *b = rec_str(rec, "build"), *t = rec_str(rec, "type");
			m->build = b ? intern(ctl, b, strlen(b)) : NULL;
			m->type = t ? intern(ctl, t, strlen(t)) : NULL;
			if ((b && !m->build) || (t && !m->type)) {
				/* longer than any id kshim writes: keep the parsed strings */
				m->build = b;
				m->type = t;
			}
		}
	}
	if (ctl->torn)
		warning("%s: %ld torn or damaged record(s) skipped (first at line %ld)", ctl->log_path, ctl->torn,
			first_torn);
	ctl->loaded = 1;
	return 0;
}

void ctl_release(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->nr; i++)
		json_decref(ctl->recs[i]);
	free(ctl->recs);
	free(ctl->meta);
	if (ctl->map)
		munmap(ctl->map, ctl->map_len);
	json_decref(ctl->interned);
	free(ctl->log_path);
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
		const char *b = ctl_rec_build(ctl, i);
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
