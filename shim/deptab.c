#include "deptab.h"
#include "fingerprint.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEPTAB_MAGIC 0x32544450494d48b4ULL	/* changes whenever the layout below does */
#define DEPTAB_SLOTS 32768u			/* a kernel allmodconfig build names ~20k files */
#define DEPTAB_STRCAP (3u << 20)		/* entries: digest, length and key */
#define DEPTAB_SPIN 2000			/* yields to wait for a slot another call is hashing */

enum { SLOT_CLAIMED = 0, SLOT_READY = 1, SLOT_UNREADABLE = 2 };

struct deptab_head {
	uint64_t magic;
	uint32_t strused;	/* atomic: bump allocator of the string area */
	uint32_t reserved[5];
};

/*
 * Slots are small and the digest and key live in an entry in the data area,
 * written in the order calls first see files: a call touches few pages (page
 * faults were half of the cost with 56-byte slots holding the digest).
 */
struct deptab_slot {
	uint64_t key;		/* atomic: hash of the key string; 0 = free */
	uint32_t state;		/* atomic: SLOT_*, valid once key is set */
	uint32_t off;		/* its entry in the data area */
};

struct deptab_entry {
	uint8_t sha[SHA256_DIGEST_SIZE];
	uint32_t len;
	char key[];
};

struct deptab {
	int fd;
	unsigned char *map;	/* the table, mapped shared */
	int writable;
};

#define SLOTS_END (sizeof(struct deptab_head) + DEPTAB_SLOTS * sizeof(struct deptab_slot))
#define TAB_SIZE (SLOTS_END + DEPTAB_STRCAP)

static struct deptab_head *head(unsigned char *base)
{
	return (struct deptab_head *)base;
}

static struct deptab_slot *slot(unsigned char *base, uint32_t i)
{
	return (struct deptab_slot *)(base + sizeof(struct deptab_head)) + i;
}

static struct deptab_entry *entry(unsigned char *base, uint32_t off)
{
	return (struct deptab_entry *)(base + SLOTS_END + off);
}

static char *tab_path(const char *log_dir, const char *build)
{
	char *b = xstrdup(build);
	for (char *p = b; *p; p++)
		if (*p == '/')
			*p = '_';
	char *path = xasprintf("%s/deps/%s.tab", log_dir, b);
	free(b);
	return path;
}

/*
 * Measured on init/main.o (859 headers): lookups cost ~0.45 ms, half of it
 * page faults and cache misses on the table. A private pread copy of the
 * used part was slower (0.66 ms: fresh anonymous pages cost more than
 * fault-around on the page cache), MAP_POPULATE too (0.8 ms).
 */
static int tab_map(struct deptab *t)
{
	if (t->map)
		return 0;
	void *m = mmap(NULL, TAB_SIZE, t->writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, t->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	t->map = m;
	return 0;
}

static struct deptab *tab_open(const char *log_dir, const char *build, int writable)
{
	char *path = tab_path(log_dir, build);
	struct deptab *t = xcalloc(1, sizeof(*t));
	t->writable = writable;
	t->fd = open(path, writable ? O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW : O_RDONLY | O_CLOEXEC, 0644);
	if (t->fd < 0 && writable && errno == ENOENT) {
		char *dir = xasprintf("%s/deps", log_dir);
		if (mkdir_p(dir, 0755) == 0)
			t->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		free(dir);
	}
	free(path);
	struct stat st;
	uint64_t magic = 0;
	if (t->fd < 0 || fstat(t->fd, &st) < 0)
		goto fail;
	if ((size_t)st.st_size < TAB_SIZE) {
		/* every call allocates the same size: a racing second call changes nothing */
		if (!writable || (errno = posix_fallocate(t->fd, 0, (off_t)TAB_SIZE)) != 0)
			goto fail;
	}
	if (pread(t->fd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		goto fail;
	if (tab_map(t) < 0)
		goto fail;
	if (magic == 0 && writable)	/* read first: a write fault on every call costs */
		__atomic_compare_exchange_n(&head(t->map)->magic, &magic, DEPTAB_MAGIC, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&head(t->map)->magic, __ATOMIC_ACQUIRE) == DEPTAB_MAGIC)
		return t;
	errno = EINVAL;
fail:;
	int err = errno;
	deptab_close(t);
	errno = err;
	return NULL;
}

struct deptab *deptab_open(const char *log_dir, const char *build)
{
	return tab_open(log_dir, build, 1);
}

struct deptab *deptab_open_ro(const char *log_dir, const char *build)
{
	return tab_open(log_dir, build, 0);
}

void deptab_close(struct deptab *t)
{
	if (!t)
		return;
	if (t->map)
		munmap(t->map, TAB_SIZE);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/* 8 bytes at a time (FNV-1a's byte loop was a third of a lookup); never 0 (0 marks a free slot) */
static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h ? h : 1;
}

static int hash_file(const char *path, uint8_t sha[SHA256_DIGEST_SIZE])
{
	return sha256_file_raw(path, sha);
}

/*
 * The digest of the file path (key: its table key). *index: its slot, or
 * UINT32_MAX when it is not in the table (table full, or another call is
 * still hashing it). Returns 0, or -1 when the file cannot be read.
 */
static int dep_digest(struct deptab *t, const char *key, size_t klen, uint64_t h, const char *path, uint8_t sha[32],
		      uint32_t *index)
{
	*index = UINT32_MAX;
	if (!t)
		return hash_file(path, sha);
	/* one walk: find it, or claim a free slot and add it (another call may be hashing it meanwhile) */
	for (uint32_t n = 0, i = (uint32_t)h & (DEPTAB_SLOTS - 1); n < DEPTAB_SLOTS; n++, i = (i + 1) & (DEPTAB_SLOTS - 1)) {
		struct deptab_slot *s = slot(t->map, i);
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
		if (k == 0 && !t->writable)
			return hash_file(path, sha);
		if (k == 0) {
			int ok;
			uint64_t zero = 0;
			if (__atomic_compare_exchange_n(&s->key, &zero, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				/* ours: hash the file, write its entry, publish */
				uint32_t need = (uint32_t)((sizeof(struct deptab_entry) + klen + 3) & ~(size_t)3);
				uint32_t off = __atomic_fetch_add(&head(t->map)->strused, need, __ATOMIC_RELAXED);
				ok = hash_file(path, sha) == 0;
				if ((uint64_t)off + need <= DEPTAB_STRCAP) {
					struct deptab_entry *e = entry(t->map, off);
					memcpy(e->sha, ok ? sha : (const uint8_t[32]){ 0 }, SHA256_DIGEST_SIZE);
					e->len = (uint32_t)klen;
					memcpy(e->key, key, klen);
					s->off = off;
					__atomic_store_n(&s->state, ok ? SLOT_READY : SLOT_UNREADABLE, __ATOMIC_RELEASE);
					*index = i;
				}	/* else: the data area is full; the slot stays claimed and unused */
				return ok ? 0 : -1;
			}
			k = zero;
		}
		if (k != h)
			continue;
		uint32_t st;
		for (int spin = 0; (st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) == SLOT_CLAIMED && spin < DEPTAB_SPIN; spin++)
			sched_yield();
		if (st == SLOT_CLAIMED)
			return hash_file(path, sha);	/* its hasher died or is slow */
		if ((uint64_t)s->off + sizeof(struct deptab_entry) + klen > DEPTAB_STRCAP)
			return hash_file(path, sha);	/* a damaged table: never read outside it */
		const struct deptab_entry *e = entry(t->map, s->off);
		if (e->len != klen || memcmp(e->key, key, klen) != 0)
			continue;	/* a 64-bit hash collision */
		*index = i;
		memcpy(sha, e->sha, SHA256_DIGEST_SIZE);
		return st == SLOT_READY ? 0 : -1;
	}
	return hash_file(path, sha);
}

/* ---- depfiles --------------------------------------------------------------- */

size_t depfile_parse(char *text, size_t len, void (*fn)(const char *path, void *arg), void *arg)
{
	char *p = text, *end = text + len;
	/* the target(s): up to the first ':' that ends a word */
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == ':' && (p + 1 == end || p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r'))
			break;
		if (*p == '\n')
			return 0;
	}
	if (p >= end)
		return 0;
	p++;
	size_t count = 0;
	for (;;) {
		/* blanks and line continuations */
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
				   (*p == '\\' && p + 1 < end && (p[1] == '\n' || (p[1] == '\r' && p + 2 < end && p[2] == '\n'))))) {
			if (*p == '\\')
				p += p[1] == '\n' ? 2 : 3;
			else
				p++;
		}
		if (p >= end || *p == '\n')
			break;
		char *w = p, *o = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			/* ordinary characters in one go (text is NUL-terminated: read_file) */
			size_t run = strcspn(p, " \t\n\r\\$");
			if (run > (size_t)(end - p))
				run = (size_t)(end - p);
			if (run) {
				if (o != p)
					memmove(o, p, run);
				o += run, p += run;
				continue;
			}
			if (*p == '\0') {
				end = p;
				break;
			}
			if (*p == '\\' && p + 1 < end && (p[1] == ' ' || p[1] == '#' || p[1] == '\\')) {
				*o++ = p[1];
				p += 2;
			} else if (*p == '\\' && (p + 1 == end || p[1] == '\n')) {
				break;	/* a continuation, or a file cut short */
			} else if (*p == '$' && p + 1 < end && p[1] == '$') {
				*o++ = '$';
				p += 2;
			} else {
				*o++ = *p++;
			}
		}
		char stop = p < end ? *p : '\0';
		*o = '\0';	/* may overwrite the terminator: stop remembers it */
		if (o > w) {
			fn(w, arg);
			count++;
		}
		if (stop == '\0' || stop == '\n')
			break;
		p += stop == '\\' ? 2 : 1;	/* the blank, or a continuation right after the word */
	}
	return count;
}

/* ---- slot lists ------------------------------------------------------------- */

static const char enc64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *slots_encode(const uint32_t *slots, size_t n)
{
	/* sorted and deduplicated through a bitmap of the table (4 KB): cheaper than qsort here */
	uint64_t *bits = xcalloc(DEPTAB_SLOTS / 64, sizeof(*bits));
	for (size_t i = 0; i < n; i++)
		if (slots[i] < DEPTAB_SLOTS)
			bits[slots[i] / 64] |= 1ULL << (slots[i] % 64);
	char *out = xmalloc(n * 7 + 1), *o = out;
	uint32_t prev = 0;
	for (uint32_t wi = 0; wi < DEPTAB_SLOTS / 64; wi++) {
		for (uint64_t b = bits[wi]; b; b &= b - 1) {
			uint32_t slot = wi * 64 + (uint32_t)__builtin_ctzll(b), d = slot - prev;
			prev = slot;
			do {
				uint32_t v = d & 31;
				d >>= 5;
				*o++ = enc64[v | (d ? 32 : 0)];
			} while (d);
		}
	}
	*o = '\0';
	free(bits);
	return out;
}

uint32_t *slots_decode(const char *s, size_t *n)
{
	size_t cap = strlen(s), k = 0;
	uint32_t *v = xmalloc((cap + 1) * sizeof(*v)), acc = 0, shift = 0, prev = 0;
	for (; *s; s++) {
		const char *c = strchr(enc64, *s);
		if (!c || shift > 30)
			goto bad;
		uint32_t x = (uint32_t)(c - enc64);
		acc |= (x & 31) << shift;
		shift += 5;
		if (!(x & 32)) {
			prev += acc;
			if (prev >= DEPTAB_SLOTS)
				goto bad;
			v[k++] = prev;
			acc = shift = 0;
		}
	}
	if (shift)
		goto bad;
	*n = k;
	return v;
bad:
	free(v);
	*n = 0;
	return NULL;
}

/* ---- records ---------------------------------------------------------------- */

struct dep {
	const char *path;	/* in the depfile's text */
	size_t key, klen;	/* in the key arena; klen 0: too long for a key */
	uint64_t h;
};

struct deps_walk {
	const char *cwd_key;		/* the call's directory as a key ("$B", "$B/tools/objtool") */
	const char *build_dir, *src_dir;
	struct dep *deps;
	size_t n, cap;
	char *keys;			/* arena of the keys, NUL-separated */
	size_t keys_len, keys_cap;
};

/* dir ("/x/y") is a path prefix of path ("/x/y/z") */
static size_t dir_prefix(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;
	return n && path[n] == '/' && memcmp(path, dir, n) == 0 ? n : 0;
}

/* The table key of a depfile path, into buf. Length, or 0 when it does not fit. */
static size_t dep_key(char *buf, size_t cap, const char *path, const struct deps_walk *w)
{
	const char *tag = "", *sep = "", *rest = path;
	size_t nb, ns;
	if (path[0] != '/') {
		while (rest[0] == '.' && rest[1] == '/')
			rest += 2;
		tag = w->cwd_key, sep = "/";
	} else if ((nb = dir_prefix(path, w->build_dir)) && nb >= (ns = dir_prefix(path, w->src_dir))) {
		tag = "$B", rest = path + nb;
	} else if ((ns = dir_prefix(path, w->src_dir))) {
		tag = "$S", rest = path + ns;
	}
	size_t nt = strlen(tag), nsep = strlen(sep), nr = strlen(rest);
	if (nt + nsep + nr + 1 > cap)
		return 0;
	memcpy(buf, tag, nt);
	memcpy(buf + nt, sep, nsep);
	memcpy(buf + nt + nsep, rest, nr + 1);
	return nt + nsep + nr;
}

/* depfile_parse's callback: the key (written straight into the arena) and its hash; the lookups come after */
static void dep_one(const char *path, void *arg)
{
	struct deps_walk *w = arg;
	if (w->n == w->cap)
		w->deps = xrealloc(w->deps, (w->cap = w->cap ? 2 * w->cap : 1024) * sizeof(*w->deps));
	size_t need = strlen(path) + strlen(w->cwd_key) + 4;
	if (w->keys_len + need > w->keys_cap)
		w->keys = xrealloc(w->keys, w->keys_cap = 2 * (w->keys_cap + need) + 65536);
	char *key = w->keys + w->keys_len;
	size_t klen = dep_key(key, need, path, w);
	w->deps[w->n++] = (struct dep){ .path = path, .key = w->keys_len, .klen = klen, .h = klen ? key_hash(key, klen) : 0 };
	w->keys_len += klen + 1;
}

json_t *deps_fingerprint(struct deptab *t, const char *depfile, const char *cwd, const char *build_dir,
			 const char *src_dir)
{
	char *text;
	size_t len;
	if (read_file(depfile, &text, &len) < 0)
		return NULL;
	struct deps_walk w = { .build_dir = build_dir, .src_dir = src_dir };
	char *cwd_key = dirs_tagged(cwd, build_dir, src_dir);
	w.cwd_key = cwd_key;
	size_t n = depfile_parse(text, len, dep_one, &w);
	json_t *d = NULL;
	uint32_t *slots = xmalloc((n + 1) * sizeof(*slots));
	size_t nslots = 0, unindexed = 0, unreadable = 0;
	if (t) {
		/*
		 * Touch every slot, then every entry they point at, before the lookups: the
		 * misses overlap instead of coming one after another (the table is cold in
		 * the cache after the compiler ran).
		 */
		for (size_t i = 0; i < n; i++)
			__builtin_prefetch(slot(t->map, (uint32_t)w.deps[i].h & (DEPTAB_SLOTS - 1)));
		for (size_t i = 0; i < n; i++) {
			const struct deptab_slot *sl = slot(t->map, (uint32_t)w.deps[i].h & (DEPTAB_SLOTS - 1));
			if (__atomic_load_n(&sl->key, __ATOMIC_RELAXED) == w.deps[i].h && sl->off < DEPTAB_STRCAP)
				__builtin_prefetch(entry(t->map, sl->off));
		}
	}
	struct sha256_ctx all;
	sha256_init(&all);
	for (size_t i = 0; i < n; i++) {
		const struct dep *dp = &w.deps[i];
		uint8_t sha[SHA256_DIGEST_SIZE];
		uint32_t index = UINT32_MAX;
		int ok = dp->klen ? dep_digest(t, w.keys + dp->key, dp->klen, dp->h, dp->path, sha, &index) == 0 :
				    hash_file(dp->path, sha) == 0;	/* too long for a key: hashed, not indexed */
		/* (key hash, digest): 40 bytes, not the key's text (~100): the digest of it all costs half */
		uint64_t h = dp->klen ? dp->h : key_hash(dp->path, strlen(dp->path));
		sha256_update(&all, sizeof(h), (const uint8_t *)&h);
		sha256_update(&all, ok ? sizeof(sha) : 1, ok ? sha : (const uint8_t *)"");
		unreadable += !ok;
		if (index == UINT32_MAX)
			unindexed++;
		else
			slots[nslots++] = index;
	}
	if (n) {
		uint8_t dig[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_LEN + 1];
		sha256_digest(&all, sizeof(dig), dig);
		digest_hex(dig, sizeof(dig), hex);
		char *enc = slots_encode(slots, nslots);
		d = json_pack("{s:I,s:s,s:s}", "n", (json_int_t)n, "sha256", hex, "slots", enc);
		if (unindexed)
			json_object_set_new(d, "unindexed", json_integer((json_int_t)unindexed));
		if (unreadable)
			json_object_set_new(d, "unreadable", json_integer((json_int_t)unreadable));
		free(enc);
	}
	free(slots);
	free(w.deps);
	free(w.keys);
	free(cwd_key);
	free(text);
	return d;
}

json_t *deps_files(const struct deptab *t, const json_t *deps)
{
	json_t *out = json_object();
	size_t n;
	uint32_t *v = slots_decode(json_string_value(json_object_get(deps, "slots")) ?
				   json_string_value(json_object_get(deps, "slots")) : "", &n);
	for (size_t i = 0; t && v && i < n; i++) {
		const struct deptab_slot *s = slot(t->map, v[i]);
		if (!s->key || s->state == SLOT_CLAIMED || (uint64_t)s->off + sizeof(struct deptab_entry) > DEPTAB_STRCAP)
			continue;
		const struct deptab_entry *e = entry(t->map, s->off);
		if ((uint64_t)s->off + sizeof(*e) + e->len > DEPTAB_STRCAP)
			continue;
		char *key = xstrndup(e->key, e->len);
		char hex[SHA256_HEX_LEN + 1];
		digest_hex(e->sha, sizeof(e->sha), hex);
		json_object_set_new(out, key, json_string(s->state == SLOT_READY ? hex : "unreadable"));
		free(key);
	}
	free(v);
	return out;
}
