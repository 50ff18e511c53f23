/*
 * rules-cache: parsed rule sets kept between calls.
 *
 * A call that loads 200 rules spent more than half its instructions in the
 * INI parser (callgrind: 2.6M of 4.9M). The parsed set is written once to
 * ${XDG_CACHE_HOME:-~/.cache}/kshim/rules/<crc>, keyed by every source's
 * path, device, inode, size, mtime, ctime, mode and owner (a chmod or chown
 * changes ctime, so a file made unsafe misses the cache and is refused by
 * the parser), by the trust store's identity when project-local files take
 * part, and by this format's version. Any mismatch, short read or check
 * failure is a miss: the caller parses as if there were no cache.
 *
 * A source modified within RACY_SECONDS of now is not cached: two edits in
 * the same timestamp tick with the same size would otherwise look alike.
 */
#include "rules.h"
#include "config.h"
#include "trust.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define CACHE_MAGIC "KSHIMRC\n"
#define CACHE_VERSION 3u
#define RACY_SECONDS 2
#define NO_STRING UINT32_MAX

/*
 * The payload's check: a 64-bit multiply-xorshift hash, 8 bytes a step. Not
 * cryptographic (the cache is the user's own file); it catches damaged bytes
 * at a tenth of zlib's crc32 cost here (32 KB for 200 rules).
 */
static uint64_t payload_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	return h * 0xc4ceb9fe1a85ec53ull;
}

struct buf {
	unsigned char *p;
	size_t len, alloc;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->alloc) {
		b->alloc = (b->len + n) * 2 + 256;
		b->p = xrealloc(b->p, b->alloc);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_str(struct buf *b, const char *s)
{
	if (!s) {
		put_u32(b, NO_STRING);
		return;
	}
	size_t n = strlen(s);
	put_u32(b, (uint32_t)n);
	put(b, s, n + 1);	/* with its NUL: read back in place */
}

static void put_strvec(struct buf *b, const struct strvec *sv)
{
	put_u32(b, (uint32_t)sv->nr);
	for (size_t i = 0; i < sv->nr; i++)
		put_str(b, sv->v[i]);
}

struct cursor {
	const unsigned char *p, *end;
	int bad;
	char *arena;		/* zeroed; every array of the ruleset, one allocation */
	size_t used, size;
};

static void *arena_get(struct cursor *c, size_t n)
{
	size_t off = (c->used + 15) & ~(size_t)15;
	if (c->bad || n > c->size || off > c->size - n) {
		c->bad = 1;
		return NULL;
	}
	c->used = off + n;
	return c->arena + off;
}

static int get(struct cursor *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		memset(out, 0, n);
		return -1;
	}
	memcpy(out, c->p, n);
	c->p += n;
	return 0;
}

static uint32_t get_u32(struct cursor *c)
{
	uint32_t v;
	get(c, &v, sizeof(v));
	return v;
}

/* A count of things each at least `min` bytes long: bounded by what is left. */
static uint32_t get_count(struct cursor *c, size_t min)
{
	uint32_t n = get_u32(c);
	if (!c->bad && (size_t)n * min > (size_t)(c->end - c->p))
		c->bad = 1;
	return c->bad ? 0 : n;
}

/* A string of the blob, in place (the ruleset keeps the blob: no copy, no malloc). */
static char *get_str(struct cursor *c)
{
	uint32_t n = get_u32(c);
	if (c->bad || n == NO_STRING)
		return NULL;
	if ((size_t)(c->end - c->p) <= n || c->p[n] != '\0') {
		c->bad = 1;
		return NULL;
	}
	char *s = (char *)c->p;
	c->p += n + 1;
	return s;
}

static void get_strvec(struct cursor *c, struct strvec *sv)
{
	strvec_init(sv);
	uint32_t n = get_count(c, sizeof(uint32_t) + 1);
	if (n == 0)
		return;
	sv->v = arena_get(c, (n + 1) * sizeof(*sv->v));
	if (!sv->v) {
		strvec_init(sv);
		return;
	}
	sv->alloc = 0;	/* not the heap's: never grown or freed (see ruleset_own) */
	for (uint32_t i = 0; i < n; i++) {
		char *s = get_str(c);
		if (!s) {
			c->bad = 1;
			break;
		}
		sv->v[sv->nr++] = s;
	}
	sv->v[sv->nr] = NULL;
}

static void put_stat(struct buf *b, const struct stat *st)
{
	put_u64(b, (uint64_t)st->st_dev);
	put_u64(b, (uint64_t)st->st_ino);
	put_u64(b, (uint64_t)st->st_size);
	put_u64(b, (uint64_t)st->st_mtim.tv_sec);
	put_u64(b, (uint64_t)st->st_mtim.tv_nsec);
	put_u64(b, (uint64_t)st->st_ctim.tv_sec);
	put_u64(b, (uint64_t)st->st_ctim.tv_nsec);
	put_u32(b, (uint32_t)st->st_mode);
	put_u32(b, (uint32_t)st->st_uid);
}

static int is_racy(const struct stat *st, time_t now)
{
	return st->st_mtim.tv_sec >= now - RACY_SECONDS || st->st_ctim.tv_sec >= now - RACY_SECONDS;
}

/* The key: what the cached set was parsed from. *racy: some part is too fresh to cache. */
static void make_key(struct buf *k, const struct rule_sources *s, int *racy)
{
	time_t now = time(NULL);
	int local = 0;
	*racy = 0;
	put(k, CACHE_MAGIC, 8);
	put_u32(k, CACHE_VERSION);
	put_u32(k, (uint32_t)sizeof(struct rule));
	put_u32(k, (uint32_t)geteuid());
	put_u32(k, (uint32_t)s->nr);
	for (size_t i = 0; i < s->nr; i++) {
		put_str(k, s->v[i].path);
		put_u32(k, (uint32_t)s->v[i].local);
		put_stat(k, &s->v[i].st);
		*racy |= is_racy(&s->v[i].st, now);
		local |= s->v[i].local;
	}
	if (local) {
		struct trust t;
		struct stat st;
		trust_init(&t);
		put_str(k, t.store);
		if (t.store && stat(t.store, &st) == 0) {
			put_stat(k, &st);
			*racy |= is_racy(&st, now);
		} else {
			put_u32(k, 0);	/* no store */
		}
		trust_release(&t);
	}
}

static char *cache_path(const struct buf *k)
{
	uLong h = crc32(0L, k->p, (uInt)k->len);
	char rel[64];
	snprintf(rel, sizeof(rel), "kshim/rules/%08lx-%zu", (unsigned long)h, k->len);
	return user_cache_path(rel);
}

static void put_rule(struct buf *b, const struct rule *r)
{
	put_str(b, r->name);
	put_str(b, r->file);
	put_u32(b, (uint32_t)r->line);
	put_str(b, r->why);
	put_u32(b, r->roles);
	put_u32(b, r->modes);
	put_u32(b, (uint32_t)r->probes);
	put_str(b, r->tool_name);
	put_u32(b, (uint32_t)r->nver);
	for (int i = 0; i < r->nver; i++) {
		put_u32(b, (uint32_t)r->ver[i].op);
		for (int j = 0; j < 3; j++)
			put_u32(b, (uint32_t)r->ver[i].v[j]);
	}
	put_u32(b, (uint32_t)r->nconds);
	for (size_t i = 0; i < r->nconds; i++) {
		put_str(b, r->conds[i].key);
		put_strvec(b, &r->conds[i].words);
		put_u32(b, (uint32_t)r->conds[i].line);
	}
	put_u32(b, (uint32_t)r->nacts);
	for (size_t i = 0; i < r->nacts; i++) {
		put_u32(b, (uint32_t)r->acts[i].kind);
		put_strvec(b, &r->acts[i].words);
		put_strvec(b, &r->acts[i].to);
		put_u32(b, (uint32_t)r->acts[i].line);
	}
	put_u32(b, (uint32_t)r->role_line);
	put_u32(b, (uint32_t)r->mode_line);
	put_u32(b, (uint32_t)r->probes_line);
	put_u32(b, (uint32_t)r->needs_args);
}

static void get_rule(struct cursor *c, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	r->name = get_str(c);
	r->file = get_str(c);
	r->line = (int)get_u32(c);
	r->why = get_str(c);
	r->roles = get_u32(c);
	r->modes = get_u32(c);
	r->probes = (int)get_u32(c);
	r->tool_name = get_str(c);
	uint32_t nver = get_u32(c);
	if (nver > ARRAY_SIZE(r->ver) || !r->name || !r->file) {
		c->bad = 1;
		return;
	}
	r->nver = (int)nver;
	for (uint32_t i = 0; i < nver; i++) {
		uint32_t op = get_u32(c);
		if (op > VER_GE)
			c->bad = 1;
		r->ver[i].op = (enum ver_op)op;
		for (int j = 0; j < 3; j++)
			r->ver[i].v[j] = (int)get_u32(c);
	}
	uint32_t n = get_count(c, 3 * sizeof(uint32_t));
	r->conds = n ? arena_get(c, n * sizeof(*r->conds)) : NULL;
	if (c->bad)
		return;
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		char *key = get_str(c);
		r->conds[i].key = key ? rule_cond_key(key) : NULL;
		get_strvec(c, &r->conds[i].words);
		r->conds[i].line = (int)get_u32(c);
		r->nconds = i + 1;
		if (!r->conds[i].key)
			c->bad = 1;
	}
	n = get_count(c, 4 * sizeof(uint32_t));
	r->acts = n ? arena_get(c, n * sizeof(*r->acts)) : NULL;
	if (c->bad)
		return;
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		uint32_t kind = get_u32(c);
		if (kind > ACT_LAYOUT)
			c->bad = 1;
		r->acts[i].kind = (enum action_kind)kind;
		get_strvec(c, &r->acts[i].words);
		get_strvec(c, &r->acts[i].to);
		r->acts[i].line = (int)get_u32(c);
		r->nacts = i + 1;
	}
	r->role_line = (int)get_u32(c);
	r->mode_line = (int)get_u32(c);
	r->probes_line = (int)get_u32(c);
	r->needs_args = (int)get_u32(c);
}

int rules_cache_read(struct ruleset *rs, const struct rule_sources *s)
{
	if (getenv("KSHIM_NO_RULES_CACHE"))
		return -1;
	struct buf k = { 0 };
	int racy;
	make_key(&k, s, &racy);
	char *path = cache_path(&k);
	char *data = NULL;
	size_t len = 0;
	int ret = -1, fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	const char *why;
	if (fd >= 0 && file_is_safe(fd, &why) == 0 && read_fd(fd, &data, &len) == 0 && len >= k.len + 12 &&
	    memcmp(data, k.p, k.len) == 0) {
		struct cursor c = { .p = (unsigned char *)data + k.len, .end = (unsigned char *)data + len };
		uint64_t sum;
		get(&c, &sum, sizeof(sum));
		uint32_t plen = get_u32(&c);
		if (plen == (size_t)(c.end - c.p) && sum == payload_hash(c.p, plen)) {
			/*
			 * Arrays take at most 4x the bytes of what they were read from (a
			 * condition is >= 12 bytes in the blob and 40 in memory, a word 5 and 8).
			 */
			c.size = 4 * (size_t)plen + 4096;
			c.arena = xcalloc(1, c.size);
			struct ruleset got = { .blob = data, .arena = c.arena, .from_cache = 1 };
			data = NULL;	/* the ruleset owns it now */
			get_strvec(&c, &got.files);
			get_strvec(&c, &got.untrusted);
			uint32_t n = get_count(&c, 16 * sizeof(uint32_t));
			got.v = n ? arena_get(&c, n * sizeof(*got.v)) : NULL;
			for (uint32_t i = 0; i < n && !c.bad; i++) {
				get_rule(&c, &got.v[i]);
				got.nr = i + 1;
			}
			if (!c.bad && c.p == c.end) {
				ruleset_release(rs);
				*rs = got;
				ret = 0;
			} else {
				ruleset_release(&got);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	free(data);
	free(path);
	free(k.p);
	return ret;
}

void rules_cache_write(const struct ruleset *rs, const struct rule_sources *s)
{
	if (getenv("KSHIM_NO_RULES_CACHE") || s->nr == 0)
		return;
	struct buf k = { 0 }, p = { 0 };
	int racy;
	make_key(&k, s, &racy);
	char *path = racy ? NULL : cache_path(&k);
	if (!path)
		goto out;
	put_strvec(&p, &rs->files);
	put_strvec(&p, &rs->untrusted);
	put_u32(&p, (uint32_t)rs->nr);
	for (size_t i = 0; i < rs->nr; i++)
		put_rule(&p, &rs->v[i]);
	put_u64(&k, payload_hash(p.p, p.len));
	put_u32(&k, (uint32_t)p.len);
	put(&k, p.p, p.len);

	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int ok = mkdir_p(dir, 0700) == 0;
	free(dir);
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = ok ? mkstemp(tmp) : -1;
	if (fd >= 0) {
		/* the cache is an optimisation: any failure leaves no file and costs a parse */
		int good = write_all(fd, k.p, k.len) == (ssize_t)k.len;
		if (close(fd) < 0)
			good = 0;
		if (!good || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(tmp);
out:
	free(path);
	free(k.p);
	free(p.p);
}
