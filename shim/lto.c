#include "lto.h"
#include "argmodel.h"
#include "digest.h"
#include "elfobj.h"
#include "fingerprint.h"
#include "log.h"
#include "run.h"
#include "thinar.h"
#include "toolid.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MANIFEST "manifest.json"
#define STORE_MAX ((unsigned long long)4 << 30)	/* bytes kept in the store before the oldest go */
#define LLD_MIN 17	/* --save-temps=prelink */

/* ---- the link's inputs ------------------------------------------------------------ */

struct input {
	const char *path;	/* as given (points into cl.argv) */
	int whole;		/* under --whole-archive */
	enum file_kind kind;
	struct thinar ar;	/* kind == FILE_THIN_ARCHIVE */
};

struct link {
	struct cmdline cl;
	struct input *in;
	size_t nin;
	const char *output;	/* -o */
	size_t out_arg;		/* args[] index of -o, 0 if none */
	int bitcode;		/* some input is bitcode */
	const char *unsupported;	/* why kshim cannot keep this link's natives, or NULL */
	char *unsupported_path;
};

static int is_cache_option(const char *el)
{
	return starts_with(el, "--thinlto-cache-dir") || starts_with(el, "--thinlto-cache-policy") ||
	       starts_with(el, "-thinlto-cache-dir") || starts_with(el, "--plugin-opt=cache-dir") ||
	       starts_with(el, "-plugin-opt=cache-dir");
}

static void link_scan(struct link *l, char *const *argv)
{
	memset(l, 0, sizeof(*l));
	cmdline_parse(&l->cl, FAM_GNULD, argv);
	l->in = xcalloc(l->cl.nr + 1, sizeof(*l->in));
	int whole = 0;
	for (size_t i = 1; i < l->cl.nr; i++) {
		const struct arg *a = &l->cl.args[i];
		const char *el = l->cl.argv.v[a->index];
		if (a->is_option) {
			if (!strcmp(el, "--whole-archive") || !strcmp(el, "-whole-archive"))
				whole = 1;
			else if (!strcmp(el, "--no-whole-archive") || !strcmp(el, "-no-whole-archive"))
				whole = 0;
			else if (a->spec && !strcmp(a->spec->name, "-o") && a->value) {
				l->output = a->value;
				l->out_arg = i;
			}
			continue;
		}
		if (!a->value)
			continue;
		struct input *in = &l->in[l->nin++];
		in->path = a->value;
		in->whole = whole;
		in->kind = file_kind(a->value);
		if (in->kind == FILE_BITCODE)
			l->bitcode = 1;
		if (in->kind == FILE_THIN_ARCHIVE && thinar_read(a->value, &in->ar))
			for (size_t m = 0; m < in->ar.nr; m++)
				if (file_kind(in->ar.m[m].path) == FILE_BITCODE)
					l->bitcode = 1;
		if (in->kind == FILE_ARCHIVE && !l->unsupported) {
			/* members stored inside: kshim could not link one alone; say so only if LTO is in play */
			l->unsupported = "a regular (not thin) archive: its members are not files a seed can link alone";
			l->unsupported_path = xstrdup(a->value);
		}
	}
	if (!l->bitcode) {
		free(l->unsupported_path);
		l->unsupported = NULL;
		l->unsupported_path = NULL;
	}
}

static void link_release(struct link *l)
{
	for (size_t i = 0; i < l->nin; i++)
		thinar_release(&l->in[i].ar);
	free(l->in);
	free(l->unsupported_path);
	cmdline_release(&l->cl);
}

int lto_reads_bitcode(char *const *argv)
{
	struct link l;
	link_scan(&l, argv);
	int b = l.bitcode;
	link_release(&l);
	return b;
}

/* ---- names ------------------------------------------------------------------------ */

/* lld's name for the native object of a bitcode module (lld/ELF/LTO.cpp, --save-temps=prelink). */
static char *native_name(const char *outbase, const char *archive, const struct thin_member *m, const char *path)
{
	const char *src = archive ? archive : path;
	size_t dl = (size_t)(path_basename(src) - src);
	char *dir = xstrndup(src, dl), *name;
	if (archive) {
		name = xasprintf("%s.lto.%s(%s at %zu).o", outbase, path_basename(archive), path_basename(m->name),
				 m->offset);
	} else {
		const char *b = path_basename(path), *dot = strrchr(b, '.');
		name = xasprintf("%s.lto.%.*s.o", outbase, (int)(dot && dot != b ? (size_t)(dot - b) : strlen(b)), b);
	}
	char *full = (!dir[0] || !strcmp(dir, "./")) ? xstrdup(name) : xasprintf("%s%s", dir, name);
	while (starts_with(full, "./"))
		memmove(full, full + 2, strlen(full + 2) + 1);
	free(dir);
	free(name);
	return full;
}

/* "ARCHIVE(MEMBER)" as lld prints an archive member; else the path itself. */
static void split_member(const char *s, char **archive, char **member)
{
	size_t n = strlen(s);
	const char *open = n && s[n - 1] == ')' ? strrchr(s, '(') : NULL;
	if (open && open != s) {
		*archive = xstrndup(s, (size_t)(open - s));
		*member = xstrndup(open + 1, (size_t)(s + n - 1 - open - 1));
	} else {
		*archive = NULL;
		*member = xstrdup(s);
	}
}

/* ---- the objects the reference link loaded, in lld's order -------------------------- */

struct obj {
	char *path;		/* as the linker opened it */
	const char *archive;	/* the archive given on the command line, or NULL */
	const struct thin_member *m;	/* its member entry, or NULL */
	int bitcode;
	int post;		/* loaded after LTO, because the native code of `trigger` referred to it */
	long trigger;		/* post: index of the object whose code pulled it in (-1: the regular-LTO module) */
	size_t item;		/* pre: the command-line item during which it was loaded */
	char *expect;		/* bitcode: lld's name for its native object */
	char *native;		/* bitcode: the native's file name in the store, once kept */
};

struct objs {
	struct obj *v;
	size_t nr, alloc;
};

static struct obj *objs_add(struct objs *o)
{
	if (o->nr == o->alloc) {
		o->alloc = o->alloc ? 2 * o->alloc : 256;
		o->v = xrealloc(o->v, o->alloc * sizeof(*o->v));
	}
	struct obj *x = &o->v[o->nr++];
	memset(x, 0, sizeof(*x));
	x->trigger = -1;
	return x;
}

static void objs_release(struct objs *o)
{
	for (size_t i = 0; i < o->nr; i++) {
		free(o->v[i].path);
		free(o->v[i].expect);
		free(o->v[i].native);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static long objs_find(const struct objs *o, const char *archive, const char *member_or_path)
{
	for (size_t i = 0; i < o->nr; i++) {
		const struct obj *x = &o->v[i];
		if (archive ? (x->archive && x->m && !strcmp(x->archive, archive) && !strcmp(x->m->name, member_or_path))
			    : (!x->archive && !strcmp(x->path, member_or_path)))
			return (long)i;
	}
	return -1;
}

/* The thin member of the input archive named archive that lld printed as member. */
static const struct thin_member *member_of(const struct link *l, const char *archive, const char *member,
					   const char **given)
{
	for (size_t i = 0; i < l->nin; i++) {
		const struct input *in = &l->in[i];
		if (in->kind != FILE_THIN_ARCHIVE)
			continue;
		for (size_t k = 0; k < in->ar.nr; k++)
			if (!strcmp(in->ar.m[k].archive, archive) && !strcmp(in->ar.m[k].name, member)) {
				*given = in->ar.m[k].archive;
				return &in->ar.m[k];
			}
	}
	return NULL;
}

static void add_obj(struct objs *o, const char *outbase, const char *archive, const struct thin_member *m,
		    const char *path, size_t item, int post, long trigger)
{
	struct obj *x = objs_add(o);
	x->path = xstrdup(m ? m->path : path);
	x->archive = archive;
	x->m = m;
	x->bitcode = file_kind(x->path) == FILE_BITCODE;
	x->post = post;
	x->trigger = trigger;
	x->item = item;
	if (x->bitcode)
		x->expect = native_name(outbase, archive, m, x->path);
}

struct why {
	char *ref;		/* who wanted it, as lld names it */
	char *archive, *member;	/* what was extracted */
};

/* lld's --why-extract file: "reference\textracted\tsymbol" lines, in the order of the extractions. */
static int read_why(const char *path, struct why **out, size_t *n, char **err)
{
	char *text;
	*out = NULL;
	*n = 0;
	if (read_file(path, &text, NULL) < 0) {
		*err = xasprintf("cannot read lld's --why-extract file '%s': %s", path, strerror(errno));
		return -1;
	}
	char *line = strchr(text, '\n');	/* after the header */
	for (line = line ? line + 1 : NULL; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t1 && t2) {
			*t1 = *t2 = '\0';
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			struct why *w = &(*out)[(*n)++];
			w->ref = xstrdup(line);
			split_member(t1 + 1, &w->archive, &w->member);
		}
		line = next;
	}
	free(text);
	return 0;
}

static void why_release(struct why *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].ref);
		free(w[i].archive);
		free(w[i].member);
	}
	free(w);
}

/* The object lld calls name: a member "ARCHIVE(MEMBER)", a path, or a native's name (*native set). */
static long obj_named(const struct objs *o, const char *name, int *native)
{
	*native = 0;
	for (size_t k = 0; k < o->nr; k++)
		if (o->v[k].expect && !strcmp(o->v[k].expect, name)) {
			*native = 1;
			return (long)k;
		}
	char *ra, *rm;
	split_member(name, &ra, &rm);
	long k = objs_find(o, ra, rm);
	free(ra);
	free(rm);
	return k;
}

/* An archive member lld extracted before LTO, as the --why-extract file tells. */
struct node {
	const char *given;		/* its archive, as given */
	const struct thin_member *m;
	const char *ref;		/* what wanted it */
	size_t archive_item;		/* when its archive was read */
	size_t item;			/* when it was loaded (0: not worked out yet) */
	long parent;			/* the extracted member during whose loading it was loaded, or -1 */
};

static long node_named(const struct node *nd, size_t n, const char *name)
{
	char *ra, *rm;
	split_member(name, &ra, &rm);
	long found = -1;
	for (size_t j = 0; ra && j < n && found < 0; j++)
		if (!strcmp(nd[j].given, ra) && !strcmp(nd[j].m->name, rm))
			found = (long)j;
	free(ra);
	free(rm);
	return found;
}

/*
 * When node i was loaded: lld loads a member as soon as both its archive has
 * been read and the object that wants it has been loaded. lld records an
 * extraction once the member is loaded, so the members loaded while loading
 * another one (which lld adds before what they pull in) are recorded before
 * it: that is how a record tells "during" from "after".
 */
static size_t node_item(struct node *nd, size_t n, size_t i, const struct objs *fixed)
{
	if (nd[i].item)
		return nd[i].item;
	nd[i].item = nd[i].archive_item;	/* also stops a cycle, which lld cannot produce */
	long j = node_named(nd, n, nd[i].ref);
	if (j >= 0 && (size_t)j != i) {
		size_t ji = node_item(nd, n, (size_t)j, fixed);
		if ((size_t)j > i)
			nd[i].parent = j;	/* recorded before j: loaded while j was being loaded */
		nd[i].item = ji > nd[i].archive_item ? ji : nd[i].archive_item;
	} else {
		char *ra, *rm;
		split_member(nd[i].ref, &ra, &rm);
		long k = objs_find(fixed, ra, rm);
		if (k >= 0 && fixed->v[k].item > nd[i].item)
			nd[i].item = fixed->v[k].item;
		free(ra);
		free(rm);
	}
	return nd[i].item;
}

/* Node i and what was loaded while it was, depth first (lld adds a member before what it pulls in). */
static void emit_node(struct objs *o, const struct node *nd, size_t n, size_t i, const char *outbase, int depth)
{
	add_obj(o, outbase, nd[i].given, nd[i].m, NULL, nd[i].item, 0, -1);
	for (size_t c = 0; c < n && depth < 64; c++)
		if (nd[c].parent == (long)i)
			emit_node(o, nd, n, c, outbase, depth + 1);
}

/*
 * What the reference link loaded, in lld's order: the command line's objects
 * and --whole-archive members in place, each member that --why-extract says
 * was extracted where node_item() puts it; then, as "post", the members that
 * only LTO's native code asked for, each with the object that wanted it.
 * lld writes --why-extract records after loading the member, so a member's
 * record follows those of what it pulled in.
 */
static int loaded_objects(const struct link *l, const char *outbase, const char *why_path, struct objs *o,
			  char **err)
{
	struct why *w;
	size_t nw, item = 0;
	if (read_why(why_path, &w, &nw, err) < 0)
		return -1;
	struct objs fixed = { 0 };
	size_t *archive_item = xcalloc(l->nin + 1, sizeof(*archive_item));
	for (size_t i = 0; i < l->nin; i++) {
		const struct input *in = &l->in[i];
		item++;
		if (in->kind == FILE_THIN_ARCHIVE && in->whole) {
			for (size_t k = 0; k < in->ar.nr; k++)
				add_obj(&fixed, outbase, in->ar.m[k].archive, &in->ar.m[k], NULL, item++, 0, -1);
		} else if (in->kind == FILE_THIN_ARCHIVE) {
			archive_item[i] = item;
		} else if (in->kind == FILE_ELF || in->kind == FILE_BITCODE) {
			add_obj(&fixed, outbase, NULL, NULL, in->path, item, 0, -1);
		}
	}
	int ret = 0;
	struct node *nd = xcalloc(nw + 1, sizeof(*nd));
	size_t nn = 0;
	unsigned char *post = xcalloc(nw + 1, 1);
	for (size_t i = 0; i < nw; i++) {
		const char *given = NULL;
		const struct thin_member *m = w[i].archive ? member_of(l, w[i].archive, w[i].member, &given) : NULL;
		if (!m) {
			*err = xasprintf("lld extracted '%s(%s)', which is not a member of a thin archive of the link",
					 w[i].archive ? w[i].archive : "", w[i].member);
			ret = -1;
			goto out;
		}
		int native;
		obj_named(&fixed, w[i].ref, &native);
		if (native || ends_with(w[i].ref, ".lto.o")) {
			post[i] = 1;	/* after LTO: below */
			continue;
		}
		struct node *x = &nd[nn++];
		x->given = given;
		x->m = m;
		x->ref = w[i].ref;
		x->parent = -1;
		for (size_t k = 0; k < l->nin; k++)
			if (!strcmp(l->in[k].path, given))
				x->archive_item = archive_item[k];
	}
	for (size_t i = 0; i < nn; i++)
		node_item(nd, nn, i, &fixed);
	/* merge: each item's own object first, then the members loaded then, in the order they came */
	size_t f = 0;
	for (;;) {
		long best = -1;	/* the first top-level member of the earliest item, not yet written */
		for (size_t u = 0; u < nn; u++)
			if (nd[u].parent == -1 && (best < 0 || nd[u].item < nd[best].item))
				best = (long)u;
		if (f < fixed.nr && (best < 0 || fixed.v[f].item <= nd[best].item)) {
			add_obj(o, outbase, fixed.v[f].archive, fixed.v[f].m, fixed.v[f].m ? NULL : fixed.v[f].path,
				fixed.v[f].item, 0, -1);
			f++;
			continue;
		}
		if (best < 0)
			break;
		emit_node(o, nd, nn, (size_t)best, outbase, 0);
		nd[best].parent = -2;	/* written */
	}
	/* after LTO: what a native's code pulled in, with the object (native or member) that wanted it */
	for (size_t i = 0; i < nw; i++) {
		if (!post[i])
			continue;
		const char *given = NULL;
		const struct thin_member *m = member_of(l, w[i].archive, w[i].member, &given);
		int native;
		long by = obj_named(o, w[i].ref, &native);
		add_obj(o, outbase, given, m, NULL, 0, 1, by);	/* by < 0: the regular-LTO module */
	}
out:
	free(post);
	free(nd);
	free(archive_item);
	objs_release(&fixed);
	why_release(w, nw);
	return ret;
}

/* ---- the store ----------------------------------------------------------------------- */

static char *store_root(void)
{
	return user_cache_path("kshim/lto");
}

static int link_key(const struct link *l, char out[SHA256_HEX_LEN + 1], char **err)
{
	struct tool_id id;
	memset(&id, 0, sizeof(id));
	if (tool_identity(l->cl.argv.v[0], &id, 0) < 0) {
		*err = xasprintf("cannot read the linker '%s': %s", l->cl.argv.v[0], strerror(errno));
		return -1;
	}
	struct strvec parts = STRVEC_INIT;
	strvec_push(&parts, "kshim-lto-v1");
	strvec_push(&parts, id.sha256);
	tool_id_release(&id);
	for (size_t i = 1; i < l->cl.nr; i++) {
		const struct arg *a = &l->cl.args[i];
		if (i == l->out_arg)
			continue;
		for (size_t k = 0; k < a->count; k++)
			strvec_push(&parts, l->cl.argv.v[a->index + k]);
	}
	struct strvec files = STRVEC_INIT;
	for (size_t i = 1; i < l->cl.nr; i++) {
		const struct arg *a = &l->cl.args[i];
		if (a->value && (!a->is_option || (a->spec && (a->spec->flags & OPT_IN))))
			strvec_push(&files, a->value);
	}
	for (size_t i = 0; i < l->nin; i++)
		for (size_t k = 0; k < l->in[i].ar.nr; k++)
			strvec_push(&files, l->in[i].ar.m[k].path);
	int ret = 0;
	for (size_t i = 0; i < files.nr; i++) {
		char hex[SHA256_HEX_LEN + 1];
		if (sha256_file_hex(files.v[i], hex) < 0)
			snprintf(hex, sizeof(hex), "unreadable");
		strvec_push_nodup(&parts, xasprintf("%s\t%s", files.v[i], hex));
	}
	size_t total = 0;
	for (size_t i = 0; i < parts.nr; i++)
		total += strlen(parts.v[i]) + 1;
	char *buf = xmalloc(total + 1), *p = buf;
	for (size_t i = 0; i < parts.nr; i++)
		p = stpcpy(p, parts.v[i]) + 1;
	sha256_hex(buf, total, out);
	free(buf);
	strvec_clear(&parts);
	strvec_clear(&files);
	return ret;
}

/* A store entry whose manifest reads and whose every native is there; else NULL (a miss). */
static json_t *store_load(const char *dir)
{
	char *path = path_join(dir, MANIFEST);
	json_t *m = json_load_file(path, 0, NULL);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(m, "objects"), i, e) {
		const char *nat = json_string_value(json_object_get(e, "native"));
		char *np = nat ? path_join(dir, nat) : NULL;
		int gone = np && access(np, R_OK) != 0;
		free(np);
		if (gone) {
			json_decref(m);
			m = NULL;
			break;
		}
	}
	if (m && (!json_is_object(m) || !json_is_array(json_object_get(m, "objects")))) {
		json_decref(m);
		m = NULL;
	}
	if (m)
		utimensat(AT_FDCWD, path, NULL, 0);	/* used now: the least recently used go first */
	free(path);
	return m;
}

static unsigned long long dir_bytes(const char *dir)
{
	unsigned long long n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		struct stat st;
		if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			n += (unsigned long long)st.st_blocks * 512;
	}
	if (d)
		closedir(d);
	return n;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Drop the least recently used stores while the whole is over STORE_MAX (keep is never dropped). */
static void store_evict(const char *root, const char *keep)
{
	struct entry {
		char *dir;
		struct timespec used;
		unsigned long long bytes;
	} *v = NULL;
	size_t n = 0;
	unsigned long long total = 0;
	DIR *d = opendir(root);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (strlen(de->d_name) != SHA256_HEX_LEN)
			continue;
		char *dir = path_join(root, de->d_name), *man = path_join(dir, MANIFEST);
		struct stat st;
		if (stat(man, &st) == 0) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n] = (struct entry){ dir, st.st_mtim, dir_bytes(dir) };
			total += v[n++].bytes;
		} else {
			free(dir);
		}
		free(man);
	}
	if (d)
		closedir(d);
	while (total > STORE_MAX) {
		size_t old = n;
		for (size_t i = 0; i < n; i++)
			if (v[i].dir && strcmp(path_basename(v[i].dir), keep) &&
			    (old == n || v[i].used.tv_sec < v[old].used.tv_sec ||
			     (v[i].used.tv_sec == v[old].used.tv_sec && v[i].used.tv_nsec < v[old].used.tv_nsec)))
				old = i;
		if (old == n)
			break;
		remove_dir(v[old].dir);
		total -= v[old].bytes;
		free(v[old].dir);
		v[old].dir = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].dir);
	free(v);
}

/* Move (or copy, across file systems) from to to. */
static int move_file(const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	if (errno != EXDEV)
		return -1;
	char *buf;
	size_t len;
	if (read_file(from, &buf, &len) < 0)
		return -1;
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ok = fd >= 0 && write_all(fd, buf, len) == (ssize_t)len;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	free(buf);
	if (!ok)
		return -1;
	unlink(from);
	return 0;
}

/* ---- capture: keep the natives, prove them, store them -------------------------------- */

struct lto_capture {
	struct link l;
	char key[SHA256_HEX_LEN + 1];
	char *root, *tmp;	/* the store, and this capture's directory in it */
	char *why;		/* --why-extract file */
	char *outbase;		/* what lld names natives after */
	const char *output;	/* the link's output, which the relinked natives must equal */
	char *regular;		/* lld's name for the regular-LTO module's native */
};

static const char *lld_problem(const char *linker)
{
	const char *b = path_basename(linker);
	if (!strstr(b, "lld"))
		return "kshim keeps LTO's native objects with ld.lld only";
	int v[3] = { 0, 0, 0 };
	if (tool_version(linker, v) < 0 || v[0] < LLD_MIN)
		return "ld.lld older than 17 cannot write LTO's native objects alone (--save-temps=prelink)";
	return NULL;
}

static void remove_natives_in_tree(struct lto_capture *c, const struct objs *o)
{
	for (size_t i = 0; i < o->nr; i++)
		if (o->v[i].expect)
			unlink(o->v[i].expect);
	unlink(c->regular);
}

/* Expected native names of every bitcode input, whether loaded or not: to clear stale ones. */
static void clear_stale(struct lto_capture *c)
{
	for (size_t i = 0; i < c->l.nin; i++) {
		const struct input *in = &c->l.in[i];
		if (in->kind == FILE_BITCODE) {
			char *n = native_name(c->outbase, NULL, NULL, in->path);
			unlink(n);
			free(n);
		}
		for (size_t k = 0; k < in->ar.nr; k++) {
			char *n = native_name(c->outbase, in->ar.m[k].archive, &in->ar.m[k], in->ar.m[k].path);
			unlink(n);
			free(n);
		}
	}
	unlink(c->regular);
}

static int capture_init(struct lto_capture *c, char *const *argv, const char *outbase, char **err)
{
	memset(c, 0, sizeof(*c));
	link_scan(&c->l, argv);
	if (c->l.unsupported) {
		*err = xasprintf("%s ('%s')", c->l.unsupported, c->l.unsupported_path);
		return -1;
	}
	const char *p = lld_problem(argv[0]);
	if (p) {
		*err = xstrdup(p);
		return -1;
	}
	if (!c->l.output) {
		*err = xstrdup("the link has no -o");
		return -1;
	}
	if (link_key(&c->l, c->key, err) < 0)
		return -1;
	c->root = store_root();
	if (!c->root) {
		*err = xstrdup("neither XDG_CACHE_HOME nor HOME is set: no place for the store");
		return -1;
	}
	c->outbase = xstrdup(outbase);
	c->regular = xasprintf("%s.lto.o", c->l.output);
	return 0;
}

static void capture_release(struct lto_capture *c)
{
	if (c->tmp)
		remove_dir(c->tmp);
	free(c->tmp);
	free(c->root);
	free(c->why);
	free(c->outbase);
	free(c->regular);
	link_release(&c->l);
}

static int make_tmp(struct lto_capture *c, char **err)
{
	c->tmp = xasprintf("%s/%s.tmp.%d", c->root, c->key, (int)getpid());
	remove_dir(c->tmp);
	if (mkdir_p(c->tmp, 0755) < 0) {
		*err = xasprintf("cannot create '%s': %s", c->tmp, strerror(errno));
		free(c->tmp);
		c->tmp = NULL;
		return -1;
	}
	c->why = path_join(c->tmp, "why-extract.tsv");
	return 0;
}

static void add_capture_options(const struct lto_capture *c, struct strvec *argv)
{
	strvec_push(argv, "--save-temps=prelink");
	strvec_push_nodup(argv, xasprintf("--why-extract=%s", c->why));
}

/* The relink of the natives in lld's own order, into out. */
static void relink_argv(const struct lto_capture *c, const struct objs *o, const char *out, struct strvec *argv)
{
	strvec_push(argv, c->l.cl.argv.v[0]);
	for (size_t i = 1; i < c->l.cl.nr; i++) {
		const struct arg *a = &c->l.cl.args[i];
		if (!a->is_option || i == c->l.out_arg || is_cache_option(c->l.cl.argv.v[a->index]))
			continue;
		for (size_t k = 0; k < a->count; k++)
			strvec_push(argv, c->l.cl.argv.v[a->index + k]);
	}
	strvec_push(argv, "-o");
	strvec_push(argv, out);
	for (size_t i = 0; i < o->nr; i++)
		if (!o->v[i].post && !o->v[i].bitcode)
			strvec_push(argv, o->v[i].path);
	/* LTO's objects: the regular-LTO module, then one per ThinLTO module in load order, each after the
	 * archive members its code pulled in (which lld loads while it reads that native object) */
	long n = (long)o->nr;
	for (long t = -1; t < n; t++) {
		if (t >= 0 && (!o->v[t].bitcode || o->v[t].post || !o->v[t].native))
			continue;
		/* a depth-first walk: a member is added, then what it pulled in */
		long stack[64];
		int sp = 0;
		for (long k = n - 1; k >= 0; k--)
			if (o->v[k].post && o->v[k].trigger == t && sp < 64)
				stack[sp++] = k;
		while (sp) {
			long k = stack[--sp];
			strvec_push(argv, o->v[k].path);
			for (long j = n - 1; j >= 0; j--)
				if (o->v[j].post && o->v[j].trigger == k && sp < 64)
					stack[sp++] = j;
		}
		if (t < 0) {
			char *r = path_join(c->tmp, "regular-lto.o");
			if (access(r, F_OK) == 0)
				strvec_push(argv, r);
			free(r);
		} else {
			strvec_push_nodup(argv, path_join(c->tmp, o->v[t].native));
		}
	}
}

static json_t *manifest_of(const struct lto_capture *c, const struct objs *o, size_t natives, int full,
			   const char *out_sha)
{
	json_t *m = json_object(), *objs = json_array();
	json_object_set_new(m, "kshim_lto", json_integer(1));
	json_object_set_new(m, "key", json_string(c->key));
	json_object_set_new(m, "linker", json_bytes(c->l.cl.argv.v[0]));
	json_object_set_new(m, "output_sha256", json_string(out_sha));
	json_object_set_new(m, "natives", json_integer((json_int_t)natives));
	json_object_set_new(m, "full_lto", json_boolean(full));
	for (size_t i = 0; i < o->nr; i++) {
		const struct obj *x = &o->v[i];
		json_t *e = json_object();
		json_object_set_new(e, "path", json_bytes(x->path));
		if (x->archive)
			json_object_set_new(e, "archive", json_bytes(x->archive));
		if (x->bitcode)
			json_object_set_new(e, "bitcode", json_true());
		if (x->native)
			json_object_set_new(e, "native", json_string(x->native));
		if (x->post)
			json_object_set_new(e, "post_lto", json_true());
		json_array_append_new(objs, e);
	}
	json_object_set_new(m, "objects", objs);
	return m;
}

/*
 * After the link that wrote the natives (its output at c->output): move them
 * into c->tmp, relink them in lld's order and compare, write the manifest,
 * and make the store entry. 0, or -1 with *err.
 */
static int capture_keep(struct lto_capture *c, json_t *rec, char **err)
{
	struct objs o = { 0 };
	int ret = -1;
	double t0 = now_mono();
	if (loaded_objects(&c->l, c->outbase, c->why, &o, err) < 0)
		goto out;
	size_t natives = 0;
	for (size_t i = 0; i < o.nr; i++) {
		struct obj *x = &o.v[i];
		if (!x->bitcode)
			continue;
		struct stat st;
		if (stat(x->expect, &st) < 0)
			continue;	/* LTO made no code of it: lld writes no file for an empty module */
		x->native = xasprintf("n%05zu.o", i);
		char *to = path_join(c->tmp, x->native);
		if (move_file(x->expect, to) < 0) {
			*err = xasprintf("cannot move '%s' to '%s': %s", x->expect, to, strerror(errno));
			free(to);
			goto out;
		}
		free(to);
		natives++;
	}
	int full = 0;
	struct stat st;
	if (stat(c->regular, &st) == 0) {
		char *to = path_join(c->tmp, "regular-lto.o");
		full = 1;	/* code of full-LTO modules: one object for all of them */
		if (move_file(c->regular, to) < 0) {
			*err = xasprintf("cannot move '%s' to '%s': %s", c->regular, to, strerror(errno));
			free(to);
			goto out;
		}
		free(to);
	}
	if (!natives && !full) {
		*err = xstrdup("lld wrote no native object (is this lld too old for --save-temps=prelink?)");
		goto out;
	}

	/* the proof: the natives, relinked in lld's order, are the link's output but for symbol order */
	char *vout = path_join(c->tmp, "relinked.o"), *vlog = path_join(c->tmp, "relink.log");
	struct strvec av = STRVEC_INIT;
	relink_argv(c, &o, vout, &av);
	struct run_result res;
	char *why = NULL;
	int same = -1;
	if (run_child(av.v[0], av.v, NULL, &(struct run_opts){ .log_path = vlog }, &res) == 0 && res.exited &&
	    res.exit_code == 0)
		same = elfobj_same_code(vout, c->output, &why);
	else
		why = xasprintf("the relink of the natives failed (see %s)", vlog);
	if (same == 1)
		unlink(vout);
	free(vout);
	free(vlog);
	if (same != 1) {
		/* kept for a look: the natives, the relink's argv and log */
		char *failed = xasprintf("%s/%s.failed", c->root, c->key), *argf = path_join(c->tmp, "relink.argv");
		FILE *f = fopen(argf, "w");
		for (size_t i = 0; f && i < av.nr; i++)
			fprintf(f, "%s\n", av.v[i]);
		if (f)
			fclose(f);
		remove_dir(failed);
		if (rename(c->tmp, failed) == 0) {
			free(c->tmp);
			c->tmp = NULL;
		}
		*err = xasprintf("the natives relinked in lld's order are not the link's output: %s (see %s)",
				 why ? why : "cannot compare", failed);
		free(why);
		free(failed);
		free(argf);
		strvec_clear(&av);
		goto out;
	}
	strvec_clear(&av);
	char out_sha[SHA256_HEX_LEN + 1];
	if (sha256_file_hex(c->output, out_sha) < 0)
		snprintf(out_sha, sizeof(out_sha), "-");
	json_t *m = manifest_of(c, &o, natives, full, out_sha);
	char *mp = path_join(c->tmp, MANIFEST);
	int wrote = json_dump_file(m, mp, JSON_COMPACT) == 0;
	free(mp);
	json_decref(m);
	m = NULL;	/* below: an entry of another capture of the same key, which stays */
	char *dst = path_join(c->root, c->key);
	unlink(c->why);
	if (!wrote) {
		*err = xasprintf("cannot write the manifest in '%s'", c->tmp);
	} else if (!(m = store_load(dst)) && (remove_dir(dst), rename(c->tmp, dst) < 0)) {
		*err = xasprintf("cannot rename '%s' to '%s': %s", c->tmp, dst, strerror(errno));
	} else {
		ret = 0;
		store_evict(c->root, c->key);
	}
	json_decref(m);
	free(dst);
	json_t *lr = json_object();
	json_object_set_new(lr, "store", json_string(c->key));
	json_object_set_new(lr, "natives", json_integer((json_int_t)natives));
	json_object_set_new(lr, "full_lto", json_boolean(full));
	json_object_set_new(lr, "captured", json_true());
	json_object_set_new(lr, "proved", json_true());
	json_object_set_new(lr, "keep_seconds", json_real(now_mono() - t0));	/* move, relink, compare */
	json_object_set_new(rec, "lto", lr);
out:
	remove_natives_in_tree(c, &o);
	objs_release(&o);
	return ret;
}

void lto_capture_begin(struct lto_capture **cap, char *const *argv, struct strvec *run_argv, json_t *rec)
{
	*cap = NULL;
	if (!lto_reads_bitcode(argv))
		return;
	struct lto_capture *c = xmalloc(sizeof(*c));
	char *err = NULL;
	const char *out = NULL;
	for (size_t i = 1; argv[i]; i++)
		if (!strcmp(argv[i], "-o") && argv[i + 1])
			out = argv[i + 1];
	if (capture_init(c, argv, path_basename(out ? out : "a.out"), &err) < 0)
		goto skip;
	for (size_t i = 1; i < c->l.cl.nr; i++)
		if (c->l.cl.args[i].is_option && is_cache_option(c->l.cl.argv.v[c->l.cl.args[i].index])) {
			err = xstrdup("the link uses a ThinLTO cache, whose hits lld would not write out: the first seed "
				      "captures the natives");
			goto skip;
		}
	char *dir = path_join(c->root, c->key);
	json_t *m = store_load(dir);
	free(dir);
	if (m) {
		json_decref(m);
		json_t *lr = json_object();
		json_object_set_new(lr, "store", json_string(c->key));
		json_object_set_new(lr, "captured", json_false());
		json_object_set_new(rec, "lto", lr);
		capture_release(c);
		free(c);
		return;	/* stored by an earlier build of the same inputs */
	}
	if (make_tmp(c, &err) < 0)
		goto skip;
	c->output = c->l.output;
	clear_stale(c);
	add_capture_options(c, run_argv);
	*cap = c;
	return;
skip:
	if (c->root || c->l.cl.nr) {
		json_t *lr = json_object();
		json_object_set_new(lr, "captured", json_false());
		json_object_set_new(lr, "why", json_string(err ? err : "?"));
		json_object_set_new(rec, "lto", lr);
	}
	free(err);
	capture_release(c);
	free(c);
}

void lto_capture_end(struct lto_capture *c, int link_ok, json_t *rec)
{
	if (!c)
		return;
	char *err = NULL;
	if (!link_ok) {
		struct objs none = { 0 };
		remove_natives_in_tree(c, &none);
		clear_stale(c);
		json_t *lr = json_object();
		json_object_set_new(lr, "captured", json_false());
		json_object_set_new(lr, "why", json_string("the link failed"));
		json_object_set_new(rec, "lto", lr);
	} else if (capture_keep(c, rec, &err) < 0) {
		warning("layout: LTO: the native objects of '%s' were not kept: %s; a seed will capture them again",
			c->output, err);
		json_t *lr = json_object();
		json_object_set_new(lr, "captured", json_false());
		json_object_set_new(lr, "why", json_string(err));
		json_object_set_new(rec, "lto", lr);
		clear_stale(c);
	}
	free(err);
	capture_release(c);
	free(c);
}

/* ---- a seed ------------------------------------------------------------------------------- */

/* The link run by kshim to capture: the argv without cache options, into a scratch output. */
static int capture_now(struct lto_capture *c, char **err)
{
	if (make_tmp(c, err) < 0)
		return -1;
	char *out = xasprintf("%s/%s", c->tmp, c->outbase);
	char *log = path_join(c->tmp, "capture.log");
	struct strvec av = STRVEC_INIT;
	strvec_push(&av, c->l.cl.argv.v[0]);
	for (size_t i = 1; i < c->l.cl.nr; i++) {
		const struct arg *a = &c->l.cl.args[i];
		if (i == c->l.out_arg || (a->is_option && is_cache_option(c->l.cl.argv.v[a->index])))
			continue;
		for (size_t k = 0; k < a->count; k++)
			strvec_push(&av, c->l.cl.argv.v[a->index + k]);
	}
	strvec_push(&av, "-o");
	strvec_push(&av, out);
	add_capture_options(c, &av);
	free(c->regular);
	c->regular = xasprintf("%s.lto.o", out);
	clear_stale(c);
	struct run_result res;
	int ok = run_child(av.v[0], av.v, NULL, &(struct run_opts){ .log_path = log }, &res) == 0 && res.exited &&
		 res.exit_code == 0;
	strvec_clear(&av);
	int ret = 0;
	if (!ok) {
		*err = xasprintf("the capture link failed (its output: %s)", log);
		struct objs none = { 0 };
		remove_natives_in_tree(c, &none);
		clear_stale(c);
		ret = -1;
	} else {
		c->output = out;
		json_t *tmp = json_object();
		ret = capture_keep(c, tmp, err);
		json_decref(tmp);
	}
	free(log);
	free(out);
	c->output = NULL;
	return ret;
}

static int index_manifest(struct lto_natives *n, char **err)
{
	n->by_path = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(n->manifest, "objects"), i, e) {
		const char *p = json_string_value(json_object_get(e, "path"));
		const char *nat = json_string_value(json_object_get(e, "native"));
		if (!p) {
			*err = xstrdup("a manifest entry has no path");
			return -1;
		}
		if (nat) {
			char *full = path_join(n->dir, nat);
			json_object_set_new(e, "native_path", json_string(full));
			free(full);
		}
		json_object_set(n->by_path, p, e);
	}
	return 0;
}

int lto_natives_get(struct lto_natives *n, char *const *argv, json_t *rec)
{
	memset(n, 0, sizeof(*n));
	struct lto_capture c;
	char *err = NULL;
	int captured = 0, ret = -1, lockfd = -1;
	double t0 = now_mono();
	if (capture_init(&c, argv, ".kshim-lto-capture.o", &err) < 0)
		goto out;
	n->dir = path_join(c.root, c.key);
	n->manifest = store_load(n->dir);
	if (!n->manifest) {
		/* one capture per key at a time: the trees of a sweep --jobs share the store */
		char *lock = xasprintf("%s/%s.lock", c.root, c.key);
		mkdir_p(c.root, 0755);
		lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(lock);
		if (lockfd >= 0)
			while (flock(lockfd, LOCK_EX) < 0 && errno == EINTR)
				;
		n->manifest = store_load(n->dir);
	}
	if (!n->manifest) {
		if (capture_now(&c, &err) < 0)
			goto out;
		captured = 1;
		n->manifest = store_load(n->dir);
		if (!n->manifest) {
			err = xasprintf("the store entry '%s' cannot be read after the capture", n->dir);
			goto out;
		}
	}
	if (json_is_true(json_object_get(n->manifest, "full_lto"))) {
		err = xstrdup("this link is full LTO (CONFIG_LTO_CLANG_FULL): LTO made one native object of all its "
			      "bitcode, so there are no objects to pad between; use CONFIG_LTO_CLANG_THIN for layout seeds");
		goto out;
	}
	if (index_manifest(n, &err) < 0)
		goto out;
	json_t *lr = json_object();
	json_object_set_new(lr, "store", json_string(c.key));
	json_object_set(lr, "natives", json_object_get(n->manifest, "natives"));
	json_object_set_new(lr, "captured", json_boolean(captured));
	json_object_set_new(lr, "backend_runs", json_integer(captured));
	json_object_set_new(lr, "seconds", json_real(now_mono() - t0));
	json_object_set_new(rec, "lto", lr);
	ret = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (ret < 0) {
		error("layout: LTO: %s", err ? err : "?");
		lto_natives_release(n);
	}
	free(err);
	capture_release(&c);
	return ret;
}

void lto_natives_release(struct lto_natives *n)
{
	free(n->dir);
	json_decref(n->manifest);
	json_decref(n->by_path);
	memset(n, 0, sizeof(*n));
}

const char *lto_native_of(const struct lto_natives *n, const char *path)
{
	const json_t *e = json_object_get(n->by_path, path);
	if (!e || !json_is_true(json_object_get(e, "bitcode")))
		return path;
	return json_string_value(json_object_get(e, "native_path"));
}

size_t lto_loaded_from(const struct lto_natives *n, const char *path, struct strvec *out)
{
	size_t i, got = 0;
	json_t *e;
	for (int post = 0; post < 2; post++)
		json_array_foreach(json_object_get(n->manifest, "objects"), i, e) {
			const char *a = json_string_value(json_object_get(e, "archive"));
			if (!a || strcmp(a, path) || json_is_true(json_object_get(e, "post_lto")) != post)
				continue;
			const char *p = json_is_true(json_object_get(e, "bitcode"))
						? json_string_value(json_object_get(e, "native_path"))
						: json_string_value(json_object_get(e, "path"));
			if (p) {
				strvec_push(out, p);
				got++;
			}
		}
	return got;
}
