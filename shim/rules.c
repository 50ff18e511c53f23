/* rules: loading and parsing rule files (applying them: rules-apply.c). */
#include "rules.h"
#include "config.h"
#include "names.h"
#include "toolid.h"
#include "trust.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	strvec_init(&rs->files);
	strvec_init(&rs->untrusted);
}

static void rule_release(struct rule *r)
{
	free(r->name);
	free(r->file);
	free(r->why);
	free(r->tool_name);
	for (size_t i = 0; i < r->nconds; i++)
		strvec_clear(&r->conds[i].words);
	free(r->conds);
	for (size_t i = 0; i < r->nacts; i++) {
		strvec_clear(&r->acts[i].words);
		strvec_clear(&r->acts[i].to);
	}
	free(r->acts);
}

void ruleset_release(struct ruleset *rs)
{
	if (rs->blob) {
		/* read from the cache: strings in the blob, arrays in the arena */
		free(rs->arena);
		free(rs->blob);
	} else {
		for (size_t i = 0; i < rs->nr; i++)
			rule_release(&rs->v[i]);
		free(rs->v);
		strvec_clear(&rs->files);
		strvec_clear(&rs->untrusted);
	}
	json_decref(rs->names);
	memset(rs, 0, sizeof(*rs));
}

static int vcmp(const int a[3], const int b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

int version_in_range(const int v[3], const struct ver_cond *c, int n)
{
	for (int i = 0; i < n; i++) {
		int d = vcmp(v, c[i].v);
		int ok = 0;
		switch (c[i].op) {
		case VER_EQ: ok = d == 0; break;
		case VER_NE: ok = d != 0; break;
		case VER_LT: ok = d < 0; break;
		case VER_LE: ok = d <= 0; break;
		case VER_GT: ok = d > 0; break;
		case VER_GE: ok = d >= 0; break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* "clang >= 15, < 20" */
static int parse_tool(struct rule *r, const char *value, char *err, size_t errn)
{
	const char *p = value + strspn(value, " \t");
	size_t n = strcspn(p, " \t<>=!,");
	if (n == 0) {
		snprintf(err, errn, "tool: expected a tool name, as in 'tool = clang >= 15'");
		return -1;
	}
	free(r->tool_name);
	r->tool_name = xstrndup(p, n);
	p += n;
	r->nver = 0;
	for (;;) {
		p += strspn(p, " \t,");
		if (!*p)
			return 0;
		static const struct { const char *s; enum ver_op op; } ops[] = {
			{ ">=", VER_GE }, { "<=", VER_LE }, { "==", VER_EQ }, { "!=", VER_NE },
			{ ">", VER_GT }, { "<", VER_LT }, { "=", VER_EQ },
		};
		size_t k;
		for (k = 0; k < ARRAY_SIZE(ops); k++)
			if (starts_with(p, ops[k].s))
				break;
		if (k == ARRAY_SIZE(ops)) {
			snprintf(err, errn, "tool: bad version range at '%s' (use >=, >, <=, <, ==, != and commas)", p);
			return -1;
		}
		p += strlen(ops[k].s);
		p += strspn(p, " \t");
		size_t vl = strcspn(p, " \t,");
		char *ver = xstrndup(p, vl);
		if (r->nver == (int)ARRAY_SIZE(r->ver) || version_parse(ver, r->ver[r->nver].v) < 0) {
			snprintf(err, errn, "tool: bad version '%s' (want N, N.N or N.N.N; at most %zu bounds)", ver,
				 ARRAY_SIZE(r->ver));
			free(ver);
			return -1;
		}
		free(ver);
		r->ver[r->nver++].op = ops[k].op;
		p += vl;
	}
}

struct load_ctx {
	struct ruleset *rs;
	size_t first_new;	/* rules of the current file start here */
};

static struct rule *current_rule(struct ini_ctx *ctx, const char *section)
{
	struct load_ctx *lc = ctx->user;
	struct ruleset *rs = lc->rs;
	const char *name = section + 5;
	if (rs->nr > lc->first_new && strcmp(rs->v[rs->nr - 1].name, name) == 0 &&
	    rs->v[rs->nr - 1].line == ctx->section_line)
		return &rs->v[rs->nr - 1];

	/* a new [rule NAME] section */
	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
		snprintf(ctx->err, sizeof(ctx->err), "bad rule name '%s' (letters, digits, '.', '_', '-')", name);
		ctx->lineno = ctx->section_line;
		return NULL;
	}
	if (!rs->names) {	/* built on first use: a ruleset read from the cache has none */
		rs->names = json_object();
		for (size_t i = 0; i < rs->nr; i++)
			json_object_set_new(rs->names, rs->v[i].name, json_integer((json_int_t)i));
	}
	json_t *seen = json_object_get(rs->names, name);
	if (seen) {
		const struct rule *first = &rs->v[json_integer_value(seen)];
		snprintf(ctx->err, sizeof(ctx->err), "duplicate rule name '%s' (first defined at %s:%d)", name,
			 first->file, first->line);
		ctx->lineno = ctx->section_line;
		return NULL;
	}
	json_object_set_new(rs->names, name, json_integer((json_int_t)rs->nr));
	rs->v = xrealloc(rs->v, (rs->nr + 1) * sizeof(*rs->v));
	struct rule *r = &rs->v[rs->nr++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	r->file = xstrdup(ctx->path);
	r->line = ctx->section_line;
	return r;
}

static int split_words(struct ini_ctx *ctx, const char *key, const char *value, struct strvec *out)
{
	argmodel_split_response(value, out);
	if (out->nr == 0) {
		snprintf(ctx->err, sizeof(ctx->err), "'%s' needs a value", key);
		return -1;
	}
	return 0;
}

static struct rule_action *new_action(struct rule *r, enum action_kind k, int line)
{
	r->acts = xrealloc(r->acts, (r->nacts + 1) * sizeof(*r->acts));
	struct rule_action *a = &r->acts[r->nacts++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->line = line;
	strvec_init(&a->words);
	strvec_init(&a->to);
	return a;
}

static const char *const cond_keys[] = { "output", "source", "has", "lacks", "target", "arch" };
const char *rule_cond_key(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(cond_keys); k++)
		if (strcmp(name, cond_keys[k]) == 0)
			return cond_keys[k];
	return strcmp(name, "tool") == 0 ? "tool" : NULL;
}

static const char *const arch_names[] = { "x86_64", "i386", "arm", "arm64", "riscv", "riscv64", "powerpc",
					  "powerpc64", "mips", "s390", "loongarch", "sparc", "um" };

static int rule_handler(struct ini_ctx *ctx, const char *section, const char *key, const char *value)
{
	if (!*section) {
		snprintf(ctx->err, sizeof(ctx->err), "'%s' outside a [rule NAME] section", key);
		return 0;
	}
	if (!starts_with(section, "rule ")) {
		snprintf(ctx->err, sizeof(ctx->err), "unknown section '[%s]' (expected '[rule NAME]')", section);
		ctx->lineno = ctx->section_line;
		return 0;
	}
	struct rule *r = current_rule(ctx, section);
	if (!r)
		return 0;
	int line = ctx->lineno;
	struct strvec words = STRVEC_INIT;
	int ok = 0;

	if (strcmp(key, "why") == 0) {
		char *w = r->why ? xasprintf("%s %s", r->why, value) : xstrdup(value);
		free(r->why);
		r->why = w;
		return 1;
	}
	if (strcmp(key, "tool") == 0) {
		if (parse_tool(r, value, ctx->err, sizeof(ctx->err)) < 0)
			return 0;
		r->conds = xrealloc(r->conds, (r->nconds + 1) * sizeof(*r->conds));
		r->conds[r->nconds].key = "tool";
		strvec_init(&r->conds[r->nconds].words);
		strvec_push(&r->conds[r->nconds].words, value);
		r->conds[r->nconds++].line = line;
		return 1;
	}
	if (strcmp(key, "layout") == 0) {
		enum layout_kind kind;
		char *glob;
		const char *why;
		if (layout_parse(value, &kind, &glob, &why) < 0) {
			snprintf(ctx->err, sizeof(ctx->err), "layout: '%s': %s", value, why);
			return 0;
		}
		free(glob);
		for (size_t k = 0; k < r->nacts; k++)
			if (r->acts[k].kind == ACT_LAYOUT) {
				snprintf(ctx->err, sizeof(ctx->err), "layout: a second layout in rule '%s' (the first is on line %d)",
					 r->name, r->acts[k].line);
				return 0;
			}
		struct rule_action *a = new_action(r, ACT_LAYOUT, line);
		strvec_push(&a->words, value);
		return 1;
	}
	if (split_words(ctx, key, value, &words) < 0)
		goto out;

	if (strcmp(key, "role") == 0) {
		for (size_t i = 0; i < words.nr; i++) {
			enum role role;
			if (role_parse(words.v[i], &role) < 0) {
				snprintf(ctx->err, sizeof(ctx->err), "role: unknown role '%s' (cc, hostcc, ld, objtool)", words.v[i]);
				goto out;
			}
			r->roles |= 1u << role;
		}
		r->role_line = line;
	} else if (strcmp(key, "mode") == 0) {
		for (size_t i = 0; i < words.nr; i++) {
			int m;
			for (m = 0; m < MODE__N; m++)
				if (strcmp(words.v[i], mode_str((enum mode)m)) == 0)
					break;
			if (m == MODE__N) {
				snprintf(ctx->err, sizeof(ctx->err),
					 "mode: unknown mode '%s' (compile, assemble, preprocess, link, relocatable, version, rewrite, check)",
					 words.v[i]);
				goto out;
			}
			r->modes |= 1u << m;
		}
		r->mode_line = line;
	} else if (strcmp(key, "probes") == 0) {
		const char *v = words.v[0];
		if (words.nr != 1 || (strcmp(v, "no") && strcmp(v, "yes") && strcmp(v, "only"))) {
			snprintf(ctx->err, sizeof(ctx->err), "probes: expected no, yes or only, not '%s'", value);
			goto out;
		}
		r->probes = strcmp(v, "yes") == 0 ? 1 : strcmp(v, "only") == 0 ? 2 : 0;
		r->probes_line = line;
	} else if (strcmp(key, "add") == 0 || strcmp(key, "add-front") == 0 || strcmp(key, "remove") == 0) {
		enum action_kind k = key[3] == '-' ? ACT_ADD_FRONT : key[0] == 'a' ? ACT_ADD : ACT_REMOVE;
		if (k == ACT_REMOVE) {
			for (size_t i = 0; i < words.nr; i++) {
				const char *why;
				if (glob_check(words.v[i], &why) < 0) {
					snprintf(ctx->err, sizeof(ctx->err), "remove: bad pattern '%s': %s", words.v[i], why);
					goto out;
				}
			}
		}
		struct rule_action *a = new_action(r, k, line);
		strvec_move(&a->words, &words);
	} else if (strcmp(key, "replace") == 0) {
		size_t arrow;
		for (arrow = 0; arrow < words.nr; arrow++)
			if (strcmp(words.v[arrow], "=>") == 0)
				break;
		if (arrow == words.nr || arrow == 0 || arrow == words.nr - 1) {
			snprintf(ctx->err, sizeof(ctx->err), "replace: expected 'FROM => TO', as in 'replace = -O2 => -O1'");
			goto out;
		}
		if (arrow > 2) {
			snprintf(ctx->err, sizeof(ctx->err), "replace: FROM is one argument: an option, or an option and its value");
			goto out;
		}
		struct rule_action *a = new_action(r, ACT_REPLACE, line);
		for (size_t i = 0; i < words.nr; i++)
			if (i != arrow)
				strvec_push(i < arrow ? &a->words : &a->to, words.v[i]);
	} else if (strcmp(key, "linker") == 0 || strcmp(key, "launcher") == 0) {
		if (words.nr != 1) {
			snprintf(ctx->err, sizeof(ctx->err), "%s: expected one program, not '%s'", key, value);
			goto out;
		}
		struct rule_action *a = new_action(r, key[1] == 'i' ? ACT_LINKER : ACT_LAUNCHER, line);
		strvec_push(&a->words, words.v[0]);
	} else if (strcmp(key, "env") == 0) {
		for (size_t i = 0; i < words.nr; i++) {
			const char *w = words.v[i];
			const char *name = w[0] == '-' ? w + 1 : w;
			size_t n = strcspn(name, "=");
			if (n == 0 || (w[0] == '-' && name[n]) || (w[0] != '-' && !name[n]) ||
			    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n) {
				snprintf(ctx->err, sizeof(ctx->err), "env: expected NAME=VALUE or -NAME, not '%s'", w);
				goto out;
			}
		}
		struct rule_action *a = new_action(r, ACT_ENV, line);
		strvec_move(&a->words, &words);
	} else {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(cond_keys); k++)
			if (strcmp(key, cond_keys[k]) == 0)
				break;
		if (k == ARRAY_SIZE(cond_keys)) {
			snprintf(ctx->err, sizeof(ctx->err), "unknown key '%s' in [%s]", key, section);
			goto out;
		}
		for (size_t i = 0; i < words.nr; i++) {
			const char *why;
			if (glob_check(words.v[i], &why) < 0) {
				snprintf(ctx->err, sizeof(ctx->err), "%s: bad pattern '%s': %s", key, words.v[i], why);
				goto out;
			}
			if (strcmp(key, "arch") == 0) {
				size_t a;
				for (a = 0; a < ARRAY_SIZE(arch_names); a++)
					if (glob_match(words.v[i], arch_names[a]))
						break;
				if (a == ARRAY_SIZE(arch_names)) {
					snprintf(ctx->err, sizeof(ctx->err), "arch: '%s' matches no architecture kshim knows", words.v[i]);
					goto out;
				}
			}
		}
		r->conds = xrealloc(r->conds, (r->nconds + 1) * sizeof(*r->conds));
		struct rule_cond *c = &r->conds[r->nconds++];
		c->key = cond_keys[k];
		c->line = line;
		strvec_init(&c->words);
		strvec_move(&c->words, &words);
	}
	ok = 1;
out:
	strvec_clear(&words);
	return ok;
}

/* A strvec of the cache arena/blob, copied to the heap. */
static void own_words(struct strvec *sv)
{
	struct strvec heap = STRVEC_INIT;
	for (size_t i = 0; i < sv->nr; i++)
		strvec_push(&heap, sv->v[i]);
	*sv = heap;
}

static void *memdup(const void *p, size_t n)
{
	return n ? memcpy(xmalloc(n), p, n) : NULL;
}

/* Copy a ruleset read from the cache to the heap, so that more can be added to it. */
static void ruleset_own(struct ruleset *rs)
{
	struct rule *v = xcalloc(rs->nr ? rs->nr : 1, sizeof(*v));
	memcpy(v, rs->v, rs->nr * sizeof(*v));
	for (size_t i = 0; i < rs->nr; i++) {
		struct rule *r = &v[i];
		r->name = xstrdup(r->name);
		r->file = xstrdup(r->file);
		r->why = r->why ? xstrdup(r->why) : NULL;
		r->tool_name = r->tool_name ? xstrdup(r->tool_name) : NULL;
		r->conds = memdup(r->conds, r->nconds * sizeof(*r->conds));
		for (size_t k = 0; k < r->nconds; k++)
			own_words(&r->conds[k].words);
		r->acts = memdup(r->acts, r->nacts * sizeof(*r->acts));
		for (size_t k = 0; k < r->nacts; k++) {
			own_words(&r->acts[k].words);
			own_words(&r->acts[k].to);
		}
	}
	rs->v = v;
	own_words(&rs->files);
	own_words(&rs->untrusted);
	free(rs->arena);
	free(rs->blob);
	rs->arena = rs->blob = NULL;
}

/* Parse one rule file from f (path names it) and check what the parser cannot see line by line. */
static int parse_rules(struct ruleset *rs, const char *path, FILE *f)
{
	if (rs->blob)
		ruleset_own(rs);
	struct load_ctx lc = { rs, rs->nr };
	struct ini_ctx ctx = { .user = &lc, .require_utf8 = 1 };
	int ret;
	if (f)
		ret = ini_parse_stream_ctx(f, path, rule_handler, &ctx);
	else
		ret = ini_parse_path(path, rule_handler, &ctx, 1);
	if (ret < 0)
		return error("cannot read rule file '%s': %s", path, strerror(errno));
	if (ret == INT32_MAX)
		return error("%s: %s", path, strcmp(ctx.err, "refusing to read: file is a directory") == 0 ?
			     "is a directory, not a rule file" : ctx.err);
	if (ret > 0)
		return error("%s:%d: %s", path, ret, ctx.err);
	strvec_push(&rs->files, path);
	if (rs->nr == lc.first_new && ctx.content_lines == 0) {
		/* empty, or every rule commented out: zero rules, which is what the user wrote */
		const char *v = getenv("KSHIM_VERBOSE");
		if (v && *v && strcmp(v, "0") != 0)
			fprintf(stderr, "kshim: %s: no rules (the file holds only comments or nothing)\n", path);
		return 0;
	}
	if (rs->nr == lc.first_new)
		return error("%s:%d: no [rule NAME] section with keys in this file", path, ctx.lineno ? ctx.lineno : 1);
	int bad = 0;
	for (size_t i = lc.first_new; i < rs->nr; i++) {
		struct rule *r = &rs->v[i];
		if (r->nacts == 0)
			bad = error("%s:%d: rule '%s' has no action (add, add-front, remove, replace, linker, env, launcher, layout)",
				    r->file, r->line, r->name);
		for (size_t k = 0; k < r->nacts; k++) {
			if (r->acts[k].kind == ACT_LINKER && r->roles != 1u << ROLE_LD)
				bad = error("%s:%d: rule '%s': 'linker' needs 'role = ld' (and no other role)", r->file,
					    r->acts[k].line, r->name);
			if (r->acts[k].kind == ACT_LAYOUT && r->roles != 1u << ROLE_LD)
				bad = error("%s:%d: rule '%s': 'layout' acts on links: it needs 'role = ld' (and no other role)",
					    r->file, r->acts[k].line, r->name);
			if (r->acts[k].kind == ACT_REMOVE || r->acts[k].kind == ACT_REPLACE)
				r->needs_args = 1;
		}
		for (size_t k = 0; k < r->nconds; k++) {
			const char *key = r->conds[k].key;
			if (!strcmp(key, "has") || !strcmp(key, "lacks") || !strcmp(key, "target") || !strcmp(key, "arch"))
				r->needs_args = 1;
		}
	}
	return bad;
}

/*
 * A project-local file: read once, hash those bytes, parse those bytes
 * (no window between the trust check and the parse). Untrusted files are
 * listed in rs->untrusted and not loaded.
 */
static int load_local_file(struct ruleset *rs, const char *path, struct trust *trust)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error("cannot read rule file '%s': %s", path, strerror(errno));
	char *buf;
	size_t len;
	if (read_fd(fd, &buf, &len) < 0) {
		int saved = errno;
		close(fd);
		return error("cannot read rule file '%s': %s", path, strerror(saved));
	}
	char hex[SHA256_HEX_LEN + 1], digest[8 + SHA256_HEX_LEN];
	sha256_hex(buf, len, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	char *canon = realpath(path, NULL);
	const char *why;
	int ret = 0;
	if (!canon || !trust_has(trust, canon, digest)) {
		/* not vetted: ignored whatever it holds (an untrusted tree cannot stop the build either) */
		if (rs->blob)
			ruleset_own(rs);
		strvec_push(&rs->untrusted, path);
	} else if (file_is_safe(fd, &why) < 0) {
		ret = error("%s: refusing to read: file %s", path, why);
	} else {
		FILE *f = fmemopen(buf, len ? len : 1, "r");
		if (!f) {
			ret = error("cannot read rule file '%s': %s", path, strerror(errno));
		} else {
			ret = parse_rules(rs, path, f);
			fclose(f);
		}
	}
	close(fd);
	free(canon);
	free(buf);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_source(struct rule_sources *s, const char *path, const struct stat *st, int local)
{
	s->v = xrealloc(s->v, (s->nr + 1) * sizeof(*s->v));
	s->v[s->nr].path = xstrdup(path);
	s->v[s->nr].st = *st;
	s->v[s->nr].local = local;
	s->nr++;
}

/* The files that path stands for (itself, or a directory's *.ini sorted). Errors are printed. */
static int collect(struct rule_sources *s, const char *path, int missing_ok, int local)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (missing_ok && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return error("cannot read rules '%s': %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		add_source(s, path, &st, local);
		return 0;
	}
	if (ends_with(path, ".ini"))
		return error("%s: is a directory, not a rule file", path);
	DIR *d = opendir(path);
	if (!d)
		return error("cannot read rule directory '%s': %s", path, strerror(errno));
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".ini"))
			strvec_push(&names, de->d_name);
	closedir(d);
	qsort(names.v, names.nr, sizeof(*names.v), cmp_str);
	int ret = 0;
	/* a directory named explicitly (KSHIM_RULES, rules check) must hold rules */
	if (!missing_ok && names.nr == 0)
		ret = error("%s: no .ini rule files in this directory", path);
	for (size_t i = 0; i < names.nr; i++) {
		char *p = path_join(path, names.v[i]);
		if (stat(p, &st) < 0)
			ret = error("cannot read rule file '%s': %s", p, strerror(errno));
		else
			add_source(s, p, &st, local);
		free(p);
	}
	strvec_clear(&names);
	return ret;
}

void rule_sources_release(struct rule_sources *s)
{
	for (size_t i = 0; i < s->nr; i++)
		free(s->v[i].path);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int rule_sources_collect(struct rule_sources *s, const char *build_dir)
{
	int ret = 0;
	memset(s, 0, sizeof(*s));
	if (collect(s, "/etc/kshim/rules.d", 1, 0) < 0)
		ret = -1;
	char *user = user_config_path("kshim/rules.d");
	if (user && collect(s, user, 1, 0) < 0)
		ret = -1;
	free(user);
	const char *env = getenv("KSHIM_RULES");
	if (env && *env) {
		char *copy = xstrdup(env), *save = NULL;
		for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
			if (collect(s, p, 0, 0) < 0)
				ret = -1;
		free(copy);
	}
	if (build_dir) {
		char *local = path_join(build_dir, KSHIM_LOG_DIRNAME "/" KSHIM_RULES_DIRNAME);
		if (collect(s, local, 1, 1) < 0)
			ret = -1;
		free(local);
	}
	return ret;
}

static int load_sources(struct ruleset *rs, const struct rule_sources *s)
{
	int ret = 0, have_trust = 0;
	struct trust trust;
	for (size_t i = 0; i < s->nr; i++) {
		if (!s->v[i].local) {
			if (parse_rules(rs, s->v[i].path, NULL) < 0)
				ret = -1;
			continue;
		}
		if (!have_trust) {
			trust_init(&trust);
			have_trust = 1;
			if (trust_load(&trust) < 0) {
				ret = -1;
				break;
			}
		}
		if (load_local_file(rs, s->v[i].path, &trust) < 0)
			ret = -1;
	}
	if (have_trust)
		trust_release(&trust);
	return ret;
}

int rule_sources_add_path(struct rule_sources *s, const char *path, int missing_ok)
{
	return collect(s, path, missing_ok, 0);
}

int ruleset_load_path(struct ruleset *rs, const char *path, int missing_ok)
{
	struct rule_sources s;
	memset(&s, 0, sizeof(s));
	int ret = collect(&s, path, missing_ok, 0);
	if (load_sources(rs, &s) < 0)
		ret = -1;
	rule_sources_release(&s);
	return ret;
}

int ruleset_load(struct ruleset *rs, const char *build_dir)
{
	struct rule_sources s;
	int ret = rule_sources_collect(&s, build_dir);
	if (ret == 0 && s.nr && rules_cache_read(rs, &s) == 0) {
		rule_sources_release(&s);
		return 0;
	}
	if (load_sources(rs, &s) < 0)
		ret = -1;
	if (ret == 0)
		rules_cache_write(rs, &s);
	rule_sources_release(&s);
	return ret;
}
