#include "layout.h"
#include "argmodel.h"
#include "digest.h"
#include "elfobj.h"
#include "log.h"
#include "lto.h"
#include "thinar.h"
#include "toolid.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAD_METHOD "pad-v1"

static const char *const kind_names[] = { "pad", "shuffle", "reverse" };

const char *layout_kind_str(enum layout_kind k)
{
	return kind_names[k];
}

int layout_parse(const char *value, enum layout_kind *kind, char **glob, const char **why)
{
	*glob = NULL;
	if (strcmp(value, "pad") == 0) {
		*kind = LAYOUT_PAD;
	} else if (strcmp(value, "reverse") == 0) {
		*kind = LAYOUT_REVERSE;
	} else if (strcmp(value, "shuffle") == 0 || starts_with(value, "shuffle:")) {
		*kind = LAYOUT_SHUFFLE;
		if (value[7] == ':') {
			if (!value[8] || glob_check(value + 8, why) < 0) {
				if (!value[8])
					*why = "empty pattern after 'shuffle:'";
				return -1;
			}
			*glob = xstrdup(value + 8);
		}
	} else {
		*why = "expected pad, shuffle, shuffle:GLOB or reverse";
		return -1;
	}
	return 0;
}

int layout_seed(const char *value, const char *origin, uint64_t *seed)
{
	*seed = 0;
	if (!value || !*value)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(value, &end, 10);
	if (errno || *end || value[0] == '-' || value[0] == '+' || value[0] == ' ' || n > LAYOUT_SEED_MAX)
		return error("%s: seed '%s' is not a decimal number from 0 to %llu", origin, value, LAYOUT_SEED_MAX);
	*seed = n;
	return 0;
}

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, and fully specified here. */
uint64_t layout_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- padding objects -------------------------------------------------------- */

static const char *const pad_section_names[4] = { ".text", ".data", ".rodata", ".bss" };

/*
 * pad-v1: a gap gets an object with probability 1/2; each of its sections
 * is empty with probability 1/4, else 1..64 units (16 bytes of .text, 8 of
 * the others). Returns 0 when the gap gets nothing.
 */
static int pad_sizes(uint64_t *state, size_t sizes[4])
{
	if (layout_rand(state) & 1) {
		memset(sizes, 0, 4 * sizeof(*sizes));
		return 0;
	}
	int any = 0;
	for (int s = 0; s < 4; s++) {
		uint64_t r = layout_rand(state);
		sizes[s] = (r & 3) == 0 ? 0 : (size_t)(1 + (r >> 8) % 64) * (s == 0 ? 16 : 8);
		any |= sizes[s] != 0;
	}
	if (!any)
		sizes[1] = 8;	/* an object that pads nothing would only cost time */
	return 1;
}

/* The forced pad: drawn like the others, minus the coin. */
static int pad_force(uint64_t *state, size_t sizes[4])
{
	while (!pad_sizes(state, sizes))
		;
	return 1;
}

/* ---- head objects ----------------------------------------------------------- */

/* scripts/head-object-list.txt of the kernel source: the objects kbuild links first. */
static void head_objects(const char *srcdir, struct strvec *out)
{
	char *dir = NULL;
	if (srcdir && *srcdir) {
		dir = xstrdup(srcdir);
	} else {
		char link[4096];
		ssize_t n = readlink("source", link, sizeof(link) - 1);	/* O= build: kbuild's link to the source */
		if (n > 0) {
			link[n] = '\0';
			dir = xstrdup(link);
		} else {
			dir = xstrdup(".");
		}
	}
	char *path = xasprintf("%s/scripts/head-object-list.txt", dir);
	char *buf;
	size_t len;
	if (read_file(path, &buf, &len) == 0) {
		for (char *line = buf, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			line += strspn(line, " \t");
			size_t n = strcspn(line, " \t#");
			if (n && line[0] != '#') {
				line[n] = '\0';
				strvec_push(out, line);
			}
		}
		free(buf);
	}
	free(path);
	free(dir);
}

static int in_list(const struct strvec *l, const char *p)
{
	if (starts_with(p, "./"))
		p += 2;
	for (size_t i = 0; i < l->nr; i++)
		if (strcmp(l->v[i], p) == 0)
			return 1;
	return 0;
}

/* ---- rewriting the call ----------------------------------------------------- */

enum linker { LD_GNU, LD_LLD, LD_MOLD };

static enum linker linker_of(const char *path)
{
	const char *b = path_basename(path);
	if (strstr(b, "mold"))
		return LD_MOLD;
	if (strstr(b, "lld"))
		return LD_LLD;
	return LD_GNU;
}

static const char *const linker_names[] = { "GNU ld", "ld.lld", "mold" };

/* A final link: the linker's own option, if it has one. */
static int layout_by_linker(const struct layout_req *req, uint64_t seed, struct strvec *argv, json_t *rec)
{
	enum linker ld = linker_of(argv->v[0]);
	char *opt = NULL;
	int v[3] = { 0, 0, 0 };
	switch (req->kind) {
	case LAYOUT_PAD:
		if (ld == LD_LLD && tool_version(argv->v[0], v) == 0 && v[0] >= 20)
			opt = xasprintf("--randomize-section-padding=%llu", (unsigned long long)seed);
		else
			return error("%s: rule '%s': layout = pad: %s %s has no --randomize-section-padding (lld >= 20); "
				     "kshim pads by itself only at 'ld -r' steps and links of a thin archive (kbuild's vmlinux.a)",
				     req->at, req->rule, argv->v[0], ld == LD_LLD ? "(lld < 20)" : "");
		break;
	case LAYOUT_SHUFFLE:
	case LAYOUT_REVERSE:
		if (ld == LD_LLD) {
			opt = req->kind == LAYOUT_REVERSE ? xasprintf("--shuffle-sections=%s=-1", req->glob ? req->glob : "*")
				: xasprintf("--shuffle-sections=%s=%llu", req->glob ? req->glob : "*", (unsigned long long)seed);
		} else if (ld == LD_MOLD && !req->glob) {
			opt = req->kind == LAYOUT_REVERSE ? xstrdup("--reverse-sections")
				: xasprintf("--shuffle-sections=%llu", (unsigned long long)seed);
		} else {
			return error("%s: rule '%s': layout = %s%s%s: %s cannot do that in a final link%s", req->at, req->rule,
				     layout_kind_str(req->kind), req->glob ? ":" : "", req->glob ? req->glob : "",
				     linker_names[ld], ld == LD_MOLD ? " (mold shuffles all sections: no GLOB)" : "");
		}
		break;
	}
	strvec_push(argv, opt);
	json_object_set_new(rec, "method", json_string("linker"));
	json_object_set_new(rec, "option", json_string(opt));
	free(opt);
	return 0;
}

static int remove_stale_pads(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));)
		if (starts_with(de->d_name, "pad-") && ends_with(de->d_name, ".o"))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return 0;
}

/* Is el --whole-archive or --no-whole-archive? Then *whole follows it. */
static int whole_archive_option(const char *el, int *whole)
{
	if (strcmp(el, "--whole-archive") == 0 || strcmp(el, "-whole-archive") == 0)
		*whole = 1;
	else if (strcmp(el, "--no-whole-archive") == 0 || strcmp(el, "-no-whole-archive") == 0)
		*whole = 0;
	else
		return 0;
	return 1;
}

/*
 * A link of thin archives under --whole-archive, as kshim rewrites it:
 * members[] are what the seed links in their place (for an LTO link, the
 * native object of each bitcode member, from lto.h), and each element of
 * the parsed argv keeps, replaces or expands.
 */
struct plan {
	struct cmdline cl;
	struct strvec members;	/* of the --whole-archive thin archives, in order: what is linked */
	struct strvec names;	/* the same members as the archives name them (a native's bitcode member) */
	size_t *first, *count;	/* per element of cl.argv: its members are members[first-1 .. +count), first 0: none */
	struct strvec *repl;	/* per element (LTO): what replaces it (a lazy archive's loaded objects, a native) */
	size_t narchives, nhead, omitted;
	int lto;
	struct lto_natives nat;
	/* the seed's choices */
	size_t *order;		/* members[order[k]] goes to place k */
	char **pad_before;	/* pad_before[k]: a padding object before place k, or NULL */
	size_t npads, bytes[4];
};

static void plan_release(struct plan *pl)
{
	for (size_t i = 0; pl->repl && i <= pl->cl.argv.nr; i++)
		strvec_clear(&pl->repl[i]);
	free(pl->repl);
	for (size_t i = 0; pl->pad_before && i <= pl->members.nr; i++)
		free(pl->pad_before[i]);
	free(pl->pad_before);
	free(pl->order);
	free(pl->first);
	free(pl->count);
	strvec_clear(&pl->members);
	strvec_clear(&pl->names);
	if (pl->lto)
		lto_natives_release(&pl->nat);
	cmdline_release(&pl->cl);
}

/* An LTO link: what replaces an operand that is not a --whole-archive archive. */
static void plan_replace(struct plan *pl, const struct arg *a)
{
	struct strvec *r = &pl->repl[a->index];
	enum file_kind k = file_kind(a->value);
	if (k == FILE_THIN_ARCHIVE) {
		lto_loaded_from(&pl->nat, a->value, r);
		strvec_push(r, "");	/* marks "replaced", even by nothing: dropped when written */
	} else if (k == FILE_BITCODE) {
		const char *n = lto_native_of(&pl->nat, a->value);
		if (n)
			strvec_push(r, n);
		strvec_push(r, "");
	}
}

/* Collect the members and, for an LTO link, the natives. 1: no such archive here; -1: error. */
static int plan_collect(struct plan *pl, const struct strvec *argv, const char *srcdir, json_t *rec)
{
	memset(pl, 0, sizeof(*pl));
	cmdline_parse(&pl->cl, FAM_GNULD, argv->v);
	pl->members = (struct strvec)STRVEC_INIT;
	pl->names = (struct strvec)STRVEC_INIT;
	pl->first = xcalloc(pl->cl.argv.nr + 1, sizeof(*pl->first));
	pl->count = xcalloc(pl->cl.argv.nr + 1, sizeof(*pl->count));
	int whole = 0;
	for (size_t i = 1; i < pl->cl.nr; i++) {
		const struct arg *a = &pl->cl.args[i];
		if (a->is_option)
			whole_archive_option(pl->cl.argv.v[a->index], &whole);
		else if (whole && a->value && file_kind(a->value) == FILE_THIN_ARCHIVE)
			pl->narchives++;
	}
	if (!pl->narchives)
		return 1;	/* nothing for kshim to do here: the caller decides */
	if (lto_reads_bitcode(pl->cl.argv.v)) {
		if (lto_natives_get(&pl->nat, pl->cl.argv.v, rec) < 0)
			return -1;
		pl->lto = 1;
		pl->repl = xcalloc(pl->cl.argv.nr + 1, sizeof(*pl->repl));
	}
	whole = 0;
	for (size_t i = 1; i < pl->cl.nr; i++) {
		const struct arg *a = &pl->cl.args[i];
		if (a->is_option) {
			whole_archive_option(pl->cl.argv.v[a->index], &whole);
			continue;
		}
		if (!a->value)
			continue;
		struct strvec m = STRVEC_INIT;
		if (!whole || !thin_archive_members(a->value, &m)) {
			if (pl->lto)
				plan_replace(pl, a);
			strvec_clear(&m);
			continue;
		}
		size_t before = pl->members.nr;
		for (size_t k = 0; k < m.nr; k++) {
			const char *use = pl->lto ? lto_native_of(&pl->nat, m.v[k]) : m.v[k];
			if (use) {
				strvec_push(&pl->members, use);
				strvec_push(&pl->names, m.v[k]);
			} else
				pl->omitted++;	/* a bitcode module LTO made no code of */
		}
		strvec_clear(&m);
		pl->first[a->index] = before + 1;
		pl->count[a->index] = pl->members.nr - before;
	}
	if (!pl->members.nr)
		return 1;
	struct strvec heads = STRVEC_INIT;
	head_objects(srcdir, &heads);
	while (pl->nhead < pl->names.nr && in_list(&heads, pl->names.v[pl->nhead]))
		pl->nhead++;
	strvec_clear(&heads);
	return 0;
}

/* pad: seeded padding objects before some members. */
static int plan_pads(struct plan *pl, const struct layout_req *req, uint64_t seed, const char *output,
		     const char *log_dir)
{
	size_t n = pl->members.nr;
	uint64_t state = seed;
	char hex[SHA256_HEX_LEN + 1], cwd[4096];
	char *abs = output[0] == '/' || !getcwd(cwd, sizeof(cwd)) ? xstrdup(output) : xasprintf("%s/%s", cwd, output);
	sha256_hex(abs, strlen(abs), hex);
	free(abs);
	hex[16] = '\0';
	char *dir = xasprintf("%s/layout/%s", log_dir, hex);
	if (mkdir_p(dir, 0755) < 0) {
		error("%s: rule '%s': cannot create '%s' for padding objects: %s", req->at, req->rule, dir,
		      strerror(errno));
		free(dir);
		return -1;
	}
	remove_stale_pads(dir);
	/* shaped like the first member that is ELF */
	const char *like = pl->members.v[0];
	for (size_t k = 0; k < n; k++)
		if (file_kind(pl->members.v[k]) == FILE_ELF) {
			like = pl->members.v[k];
			break;
		}
	size_t g0 = pl->nhead > 0 ? pl->nhead : 1;
	/* a seed always changes something: if no gap before the drawn one got a pad, it gets one */
	size_t forced = g0 < n ? g0 + (size_t)(layout_rand(&state) % (n - g0)) : n;
	int ret = 0;
	for (size_t g = g0; g < n && !ret; g++) {
		size_t sizes[4];
		if (!pad_sizes(&state, sizes) && !(g == forced && pl->npads == 0 && pad_force(&state, sizes)))
			continue;
		char *p = xasprintf("%s/pad-%05zu.o", dir, g);
		/* LTO's native code is in function and data sections: pads of their own name go between them */
		char suffix[32];
		snprintf(suffix, sizeof(suffix), "kshim_pad_%05zu", g);
		if (elfobj_write_pad(p, like, sizes, pl->lto ? suffix : NULL) < 0) {
			ret = error("%s: rule '%s': not linking with a partial layout", req->at, req->rule);
			free(p);
			break;
		}
		pl->pad_before[g] = p;
		pl->npads++;
		for (int s = 0; s < 4; s++)
			pl->bytes[s] += sizes[s];
	}
	free(dir);
	return ret;
}

/* shuffle, reverse: the members that move (after the heads, matching the glob) change places. */
static void plan_order(struct plan *pl, const struct layout_req *req, uint64_t seed, json_t *rec)
{
	size_t n = pl->members.nr, m = 0;
	uint64_t state = seed;
	size_t *movable = xmalloc(n * sizeof(*movable));
	for (size_t i = pl->nhead; i < n; i++)
		if (!req->glob || glob_match(req->glob, pl->names.v[i]))
			movable[m++] = i;
	size_t *perm = xmalloc((m ? m : 1) * sizeof(*perm));
	for (size_t i = 0; i < m; i++)
		perm[i] = movable[req->kind == LAYOUT_REVERSE ? m - 1 - i : i];
	if (req->kind == LAYOUT_SHUFFLE)
		for (size_t i = m; i > 1; i--) {	/* Fisher-Yates */
			size_t j = (size_t)(layout_rand(&state) % i);
			size_t t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
	for (size_t i = 0; i < m; i++)
		pl->order[movable[i]] = perm[i];
	json_object_set_new(rec, "moved", json_integer((json_int_t)m));
	free(movable);
	free(perm);
}

/* The rewritten argv: members in their places with the pads, replacements written out. */
static void plan_write(const struct plan *pl, struct strvec *argv)
{
	struct strvec out = STRVEC_INIT;
	const struct strvec *src = &pl->cl.argv;	/* an @file's contents, expanded */
	strvec_push(&out, src->v[0]);
	for (size_t i = 1; i < src->nr; i++) {
		if (pl->repl && pl->repl[i].nr) {
			for (size_t k = 0; k < pl->repl[i].nr; k++)
				if (pl->repl[i].v[k][0])
					strvec_push(&out, pl->repl[i].v[k]);
			continue;
		}
		if (!pl->first[i]) {
			strvec_push(&out, src->v[i]);
			continue;
		}
		for (size_t k = pl->first[i] - 1; k < pl->first[i] - 1 + pl->count[i]; k++) {
			if (pl->pad_before[k])
				strvec_push(&out, pl->pad_before[k]);
			strvec_push(&out, pl->members.v[pl->order[k]]);
		}
	}
	strvec_clear(argv);
	strvec_move(argv, &out);
}

static void plan_record(const struct plan *pl, const struct layout_req *req, json_t *rec)
{
	json_object_set_new(rec, "method", json_string(req->kind == LAYOUT_PAD ? PAD_METHOD : "order-v1"));
	json_object_set_new(rec, "members", json_integer((json_int_t)pl->members.nr));
	json_object_set_new(rec, "heads", json_integer((json_int_t)pl->nhead));
	if (req->kind == LAYOUT_PAD) {
		json_object_set_new(rec, "pads", json_integer((json_int_t)pl->npads));
		json_t *b = json_object();
		for (int s = 0; s < 4; s++)
			json_object_set_new(b, pad_section_names[s], json_integer((json_int_t)pl->bytes[s]));
		json_object_set_new(rec, "pad_bytes", b);
	}
	json_t *lr = json_object_get(rec, "lto");
	if (pl->lto && lr) {
		/* what stays where the kernel puts it */
		json_t *kept = json_array();
		json_array_append_new(kept, json_string("the head objects, first"));
		json_array_append_new(kept, json_string("sections other than .text, .data, .rodata and .bss "
							"(initcalls, .init.*, tables, CFI and IBT data): pads add none"));
		json_array_append_new(kept, json_string("what the link's -T scripts place"));
		json_array_append_new(kept, json_string("members of archives not under --whole-archive, after the rest"));
		json_object_set_new(lr, "unmoved", kept);
		json_object_set_new(lr, "empty_modules", json_integer((json_int_t)pl->omitted));
	}
}

/*
 * The seed's choices at a link of thin archives under --whole-archive, done
 * by kshim: any linker. 1 (argv untouched, nothing printed) when the call
 * has no such archive.
 */
static int layout_by_kshim(const struct layout_req *req, uint64_t seed, const char *output, const char *log_dir,
			   const char *srcdir, struct strvec *argv, json_t *rec)
{
	struct plan pl;
	int ret = plan_collect(&pl, argv, srcdir, rec);
	if (ret != 0)
		goto out;
	size_t n = pl.members.nr;
	pl.order = xmalloc(n * sizeof(*pl.order));
	for (size_t i = 0; i < n; i++)
		pl.order[i] = i;
	pl.pad_before = xcalloc(n + 1, sizeof(*pl.pad_before));
	if (req->kind == LAYOUT_PAD)
		ret = plan_pads(&pl, req, seed, output, log_dir);
	else
		plan_order(&pl, req, seed, rec);
	if (ret == 0) {
		plan_write(&pl, argv);
		plan_record(&pl, req, rec);
	}
out:
	plan_release(&pl);
	return ret;
}

struct layout_after {
	struct lto_capture *cap;
};

int layout_apply(const struct layout_req *req, uint64_t seed, int relocatable, const char *output,
		 const char *log_dir, const char *srcdir, struct strvec *argv, json_t **rec, struct layout_after **after)
{
	json_t *r = json_object();
	json_object_set_new(r, "seed", json_integer((json_int_t)seed));
	json_object_set_new(r, "kind", json_string(layout_kind_str(req->kind)));
	if (req->glob)
		json_object_set_new(r, "glob", json_bytes(req->glob));
	json_object_set_new(r, "rule", json_string(req->rule));
	json_object_set_new(r, "at", json_bytes(req->at));
	int ret = 0;
	*after = NULL;
	if (seed == 0) {
		json_object_set_new(r, "method", json_string("none"));
		/* the reference of an LTO link: keep the native code its LTO makes, for the seeds */
		struct lto_capture *cap = NULL;
		if (relocatable)
			lto_capture_begin(&cap, argv->v, argv, r);
		if (cap) {
			*after = xmalloc(sizeof(**after));
			(*after)->cap = cap;
		}
	} else if ((ret = layout_by_kshim(req, seed, output ? output : "a.out", log_dir, srcdir, argv, r)) == 1 &&
		   relocatable) {
		ret = error("%s: rule '%s': layout = %s at 'ld -r' needs a thin archive under --whole-archive "
			    "(kbuild's vmlinux.a); this call has none", req->at, req->rule, layout_kind_str(req->kind));
	} else if (ret == 1) {
		ret = layout_by_linker(req, seed, argv, r);
	}
	if (ret < 0) {
		json_decref(r);
		r = NULL;
	}
	*rec = r;
	return ret;
}

void layout_finish(struct layout_after *after, int link_ok, json_t *rec)
{
	if (!after)
		return;
	lto_capture_end(after->cap, link_ok, rec);
	free(after);
}
