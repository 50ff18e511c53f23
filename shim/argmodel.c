#include "argmodel.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Sorted by strcmp(); tests/unit/test_argmodel.c checks it. */
static const struct opt_spec clang_opts[] = {
	{ "--gcc-toolchain=", OPT_JOINED | OPT_PATH },
	{ "--param", OPT_SEP },
	{ "--param=", OPT_JOINED },
	{ "--sysroot", OPT_SEP | OPT_PATH },
	{ "--sysroot=", OPT_JOINED | OPT_PATH },
	{ "--target=", OPT_JOINED },
	{ "-A", OPT_SEP | OPT_JOINED },
	{ "-B", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-D", OPT_SEP | OPT_JOINED },
	{ "-F", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-G", OPT_SEP | OPT_JOINED },
	{ "-I", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-L", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-MF", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_DEP },
	{ "-MJ", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-MQ", OPT_SEP | OPT_JOINED },
	{ "-MT", OPT_SEP | OPT_JOINED },
	{ "-T", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_IN },
	{ "-Tbss", OPT_SEP },
	{ "-Tdata", OPT_SEP },
	{ "-Ttext", OPT_SEP },
	{ "-U", OPT_SEP | OPT_JOINED },
	{ "-Wa,", OPT_JOINED },
	{ "-Wl,", OPT_JOINED },
	{ "-Wp,", OPT_JOINED },
	{ "-Xassembler", OPT_SEP },
	{ "-Xclang", OPT_SEP },
	{ "-Xlinker", OPT_SEP },
	{ "-Xpreprocessor", OPT_SEP },
	{ "-arch", OPT_SEP },
	{ "-cxx-isystem", OPT_SEP | OPT_PATH },
	{ "-dependency-file", OPT_SEP | OPT_PATH | OPT_DEP },
	{ "-e", OPT_SEP },
	{ "-idirafter", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-imacros", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_IN },
	{ "-include", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_IN },
	{ "-iprefix", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-iquote", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-isysroot", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-isystem", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-ivfsoverlay", OPT_SEP | OPT_PATH },
	{ "-iwithprefix", OPT_SEP | OPT_JOINED },
	{ "-l", OPT_SEP | OPT_JOINED },
	{ "-main-file-name", OPT_SEP },
	{ "-meabi", OPT_SEP },
	{ "-mllvm", OPT_SEP },
	{ "-mllvm=", OPT_JOINED },
	{ "-o", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_OUT },
	{ "-resource-dir", OPT_SEP | OPT_PATH },
	{ "-target", OPT_SEP },
	{ "-u", OPT_SEP },
	{ "-working-directory", OPT_SEP | OPT_PATH },
	{ "-x", OPT_SEP | OPT_JOINED },
	{ "-z", OPT_SEP | OPT_JOINED },
};

/* GNU-style linkers, long options spelled with one dash ("--x" is looked up as "-x"). */
static const struct opt_spec gnuld_opts[] = {
	{ "-F", OPT_SEP | OPT_JOINED },
	{ "-L", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-Map", OPT_SEP | OPT_EQ | OPT_PATH | OPT_OUT },
	{ "-O", OPT_SEP | OPT_JOINED },
	{ "-R", OPT_SEP | OPT_JOINED | OPT_PATH },
	{ "-T", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_IN },
	{ "-Tbss", OPT_SEP | OPT_EQ },
	{ "-Tdata", OPT_SEP | OPT_EQ },
	{ "-Ttext", OPT_SEP | OPT_EQ },
	{ "-Ttext-segment", OPT_SEP | OPT_EQ },
	{ "-b", OPT_SEP },
	{ "-build-id", OPT_EQ },
	{ "-call-graph-ordering-file", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-dT", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-default-script", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-defsym", OPT_SEP | OPT_EQ },
	{ "-dependency-file", OPT_SEP | OPT_EQ | OPT_PATH | OPT_DEP },
	{ "-dynamic-linker", OPT_SEP | OPT_EQ },
	{ "-dynamic-list", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-e", OPT_SEP | OPT_JOINED },
	{ "-eh-frame-hdr", 0 },
	{ "-emit-relocs", 0 },
	{ "-enable-new-dtags", 0 },
	{ "-entry", OPT_SEP | OPT_EQ },
	{ "-error-limit", OPT_SEP | OPT_EQ },
	{ "-exclude-libs", OPT_SEP | OPT_EQ },
	{ "-export-dynamic", 0 },
	{ "-export-dynamic-symbol", OPT_SEP | OPT_EQ },
	{ "-format", OPT_SEP | OPT_EQ },
	{ "-h", OPT_SEP | OPT_JOINED },
	{ "-hash-style", OPT_SEP | OPT_EQ },
	{ "-image-base", OPT_SEP | OPT_EQ },
	{ "-just-symbols", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-l", OPT_SEP | OPT_JOINED },
	{ "-library", OPT_SEP | OPT_EQ },
	{ "-library-path", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-m", OPT_SEP | OPT_JOINED },
	{ "-mllvm", OPT_SEP | OPT_EQ },
	{ "-o", OPT_SEP | OPT_JOINED | OPT_PATH | OPT_OUT },
	{ "-oformat", OPT_SEP | OPT_EQ },
	{ "-omagic", 0 },
	{ "-orphan-handling", OPT_SEP | OPT_EQ },
	{ "-output", OPT_SEP | OPT_EQ | OPT_PATH | OPT_OUT },
	{ "-package-metadata", OPT_SEP | OPT_EQ },
	{ "-plugin", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-plugin-opt", OPT_SEP | OPT_EQ },
	{ "-randomize-section-padding", OPT_SEP | OPT_EQ },
	{ "-reproduce", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-require-defined", OPT_SEP | OPT_EQ },
	{ "-retain-symbols-file", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-rpath", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-rpath-link", OPT_SEP | OPT_EQ | OPT_PATH },
	{ "-script", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-section-start", OPT_SEP | OPT_EQ },
	{ "-shuffle-sections", OPT_SEP | OPT_EQ },
	{ "-soname", OPT_SEP | OPT_EQ },
	{ "-sort-section", OPT_SEP | OPT_EQ },
	{ "-symbol-ordering-file", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-sysroot", OPT_EQ | OPT_PATH },
	{ "-thread-count", OPT_SEP | OPT_EQ },
	{ "-threads", OPT_EQ },
	{ "-trace-symbol", OPT_SEP | OPT_EQ },
	{ "-u", OPT_SEP | OPT_JOINED },
	{ "-undefined", OPT_SEP | OPT_EQ },
	{ "-unresolved-symbols", OPT_EQ },
	{ "-version-script", OPT_SEP | OPT_EQ | OPT_PATH | OPT_IN },
	{ "-wrap", OPT_SEP | OPT_EQ },
	{ "-y", OPT_SEP | OPT_JOINED },
	{ "-z", OPT_SEP | OPT_JOINED },
};

static const struct opt_spec objtool_opts[] = {
	{ "--dump", OPT_EQ },
	{ "--hacks", OPT_EQ },
	{ "--prefix", OPT_SEP | OPT_EQ },
};

static const struct opt_table tables[] = {
	[FAM_CLANG] = { clang_opts, ARRAY_SIZE(clang_opts) },
	[FAM_GNULD] = { gnuld_opts, ARRAY_SIZE(gnuld_opts) },
	[FAM_OBJTOOL] = { objtool_opts, ARRAY_SIZE(objtool_opts) },
};

const struct opt_table *argmodel_table(enum tool_family fam)
{
	return &tables[fam];
}

const char *argmodel_family_name(enum tool_family fam)
{
	static const char *const names[] = {
		[FAM_CLANG] = "clang", [FAM_GNULD] = "gnuld", [FAM_OBJTOOL] = "objtool",
	};
	return names[fam];
}

/* Binary search for the first len bytes of key as a whole name. */
static const struct opt_spec *find_exact(const struct opt_table *t, const char *key, size_t len)
{
	size_t lo = 0, hi = t->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = t->v[mid].name;
		int c = strncmp(name, key, len);
		if (c == 0 && name[len] != '\0')
			c = 1;
		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct opt_spec *argmodel_lookup(enum tool_family fam, const char *s, const char **joined)
{
	const struct opt_table *t = &tables[fam];
	const struct opt_spec *spec;
	const char *key = s;
	int single_dash = s[1] != '-';

	*joined = NULL;
	/* GNU ld takes every long option with one or two dashes. */
	if (fam == FAM_GNULD && !single_dash && s[2])
		key = s + 1;

	spec = find_exact(t, key, strlen(key));
	if (spec) {
		if (!(spec->flags & OPT_SEP) && (spec->flags & OPT_JOINED))
			*joined = key + strlen(key);
		return spec;
	}

	if (fam != FAM_CLANG) {
		const char *eq = strchr(key, '=');
		if (eq) {
			spec = find_exact(t, key, (size_t)(eq - key));
			if (spec && (spec->flags & OPT_EQ)) {
				*joined = eq + 1;
				return spec;
			}
		}
		/* "-ofile", "-Lpath", "-melf_x86_64": a one-letter option with its argument glued on. */
		if (fam == FAM_GNULD && single_dash && key[1] && key[2]) {
			spec = find_exact(t, key, 2);
			if (spec && (spec->flags & OPT_JOINED)) {
				*joined = key + 2;
				return spec;
			}
		}
		return NULL;
	}

	/*
	 * clang: the longest joined option that is a prefix of the element. Every
	 * name is at least two characters and the table is sorted, so the
	 * candidates are the block of names that share the element's first two.
	 */
	const struct opt_spec *best = NULL;
	size_t best_len = 0, lo = 0, hi = t->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strncmp(t->v[mid].name, key, 2) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < t->nr && strncmp(t->v[i].name, key, 2) == 0; i++) {
		const struct opt_spec *o = &t->v[i];
		if (!(o->flags & OPT_JOINED))
			continue;
		size_t n = strlen(o->name);
		if (n > best_len && strncmp(o->name, key, n) == 0) {
			best = o;
			best_len = n;
		}
	}
	if (best)
		*joined = key + best_len;
	return best;
}

void argmodel_split_response(const char *p, struct strvec *out)
{
	size_t alloc = 64, n = 0;
	char *buf = xmalloc(alloc);
	int have = 0;	/* a token has started (so '' is an empty argument) */
	char quote = 0;

	for (;; p++) {
		char c = *p;
		if (!c || (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'))) {
			if (have) {
				buf[n] = '\0';
				strvec_push(out, buf);
				n = 0;
				have = 0;
			}
			if (!c)
				break;
			continue;
		}
		have = 1;
		if (c == '\\' && p[1]) {
			c = *++p;
		} else if (quote && c == quote) {
			quote = 0;
			continue;
		} else if (!quote && (c == '\'' || c == '"')) {
			quote = c;
			continue;
		}
		if (n + 2 > alloc) {
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
		buf[n++] = c;
	}
	free(buf);
}

#define ATFILE_MAX_DEPTH 16

static int expand_one(const char *arg, struct strvec *out, int depth)
{
	char *text;
	if (arg[0] != '@' || !arg[1] || depth >= ATFILE_MAX_DEPTH || read_file(arg + 1, &text, NULL) < 0) {
		strvec_push(out, arg);
		return 0;
	}
	struct strvec words = STRVEC_INIT;
	argmodel_split_response(text, &words);
	free(text);
	int n = 1;
	for (size_t i = 0; i < words.nr; i++)
		n += expand_one(words.v[i], out, depth + 1);
	strvec_clear(&words);
	return n;
}

int argmodel_expand_atfiles(char *const *argv, struct strvec *out)
{
	int n = 0;
	if (!argv[0])
		return 0;
	strvec_push(out, argv[0]);
	for (size_t i = 1; argv[i]; i++)
		n += expand_one(argv[i], out, 0);
	return n;
}

static void parse_args(struct cmdline *cl, size_t from);

void cmdline_parse(struct cmdline *cl, enum tool_family fam, char *const *argv)
{
	memset(cl, 0, sizeof(*cl));
	cl->fam = fam;
	strvec_init(&cl->argv);
	if (fam == FAM_OBJTOOL) {
		strvec_pushv(&cl->argv, argv);
	} else {
		cl->expanded = argmodel_expand_atfiles(argv, &cl->argv) > 0;
	}

	cl->args = xcalloc(cl->argv.nr + 1, sizeof(*cl->args));
	if (cl->argv.nr == 0)
		return;
	cl->args[cl->nr++] = (struct arg){ .index = 0, .count = 1, .value = cl->argv.v[0] };
	parse_args(cl, 1);
}

/* Split cl->argv.v[from..] into args (cl->args has room for every element). */
static void parse_args(struct cmdline *cl, size_t from)
{
	char **v = cl->argv.v;
	size_t n = cl->argv.nr;
	for (size_t i = from; i < n; i++) {
		struct arg *a = &cl->args[cl->nr++];
		const char *s = v[i];
		/* every field: cmdline_append grows the array with realloc, not calloc (fuzz_rules found it) */
		*a = (struct arg){ .index = i, .count = 1 };
		if (s[0] != '-' || s[1] == '\0') {
			a->value = s;	/* operand ("-" is stdin/stdout) */
			continue;
		}
		a->is_option = 1;
		const char *joined;
		a->spec = argmodel_lookup(cl->fam, s, &joined);
		if (!a->spec)
			continue;
		if (joined) {
			a->value = joined;
		} else if (a->spec->flags & OPT_SEP) {
			if (i + 1 < n) {
				a->value = v[++i];
				a->count = 2;
			}
		}
	}
}

int cmdline_append(struct cmdline *cl, char *const *more)
{
	const struct arg *last = cl->nr ? &cl->args[cl->nr - 1] : NULL;
	if (!last || (last->spec && (last->spec->flags & OPT_SEP) && !last->value && last->is_option))
		return -1;
	size_t from = cl->argv.nr;
	/* args point at the strings, which stay where they are; only the arrays grow */
	strvec_pushv(&cl->argv, more);
	cl->args = xrealloc(cl->args, (cl->argv.nr + 1) * sizeof(*cl->args));
	parse_args(cl, from);
	return 0;
}

void cmdline_release(struct cmdline *cl)
{
	strvec_clear(&cl->argv);
	free(cl->args);
	cl->args = NULL;
	cl->nr = 0;
}

int cmdline_has(const struct cmdline *cl, const char *elem)
{
	for (size_t i = 1; i < cl->nr; i++)
		if (cl->args[i].is_option && strcmp(cl->argv.v[cl->args[i].index], elem) == 0)
			return 1;
	return 0;
}
