#include "pin.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIN_MAGIC "kshim-pin 1"

/* ---- words -------------------------------------------------------------------- */

static size_t dir_at(const char *p, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;
	return n && *p == dir[0] && strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0') ? n : 0;
}

char *pin_escape(const char *word, const char *build_dir, const char *src_dir, int spaces)
{
	int utf8 = utf8_valid(word, strlen(word));
	size_t cap = 4 * strlen(word) + 3, o = 0;
	char *out = xmalloc(cap);
	for (const char *p = word; *p;) {
		size_t nb = dir_at(p, build_dir), ns = dir_at(p, src_dir);
		if (nb || ns) {	/* the longer one: a build dir inside the source dir */
			out[o++] = '$';
			out[o++] = nb >= ns ? 'B' : 'S';
			p += nb >= ns ? nb : ns;
			continue;
		}
		unsigned char c = (unsigned char)*p++;
		if (c == '\\' || c == '$') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8) || (c == ' ' && spaces)) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *pin_unescape(const char *word, const char *build_dir, const char *src_dir, const char **why)
{
	size_t nb = build_dir ? strlen(build_dir) : 0, ns = src_dir ? strlen(src_dir) : 0;
	size_t cap = strlen(word) * (1 + (nb > ns ? nb : ns)) + 1, o = 0;
	char *out = xmalloc(cap);
	for (const char *p = word; *p;) {
		if (*p == '$') {
			const char *d = p[1] == 'B' ? build_dir : p[1] == 'S' ? src_dir : NULL;
			if (!d) {
				*why = p[1] == 'B' || p[1] == 'S' ? "$B or $S, but that directory is not known here" :
								    "a '$' that is not $B, $S or \\$";
				free(out);
				return NULL;
			}
			memcpy(out + o, d, strlen(d));
			o += strlen(d);
			p += 2;
		} else if (*p == '\\') {
			if (p[1] == '\\' || p[1] == '$') {
				out[o++] = p[1];
				p += 2;
			} else if (p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0 && (hexval(p[2]) || hexval(p[3]))) {
				out[o++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
				p += 4;
			} else {
				*why = "a '\\' that is not \\\\, \\$ or \\xNN";
				free(out);
				return NULL;
			}
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- blocks ------------------------------------------------------------------- */

void pin_block_release(struct pin_block *b)
{
	free(b->output);
	free(b->role);
	free(b->tool);
	strvec_clear(&b->args);
	memset(b, 0, sizeof(*b));
}

void pin_blocks_free(struct pin_block *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pin_block_release(&b[i]);
	free(b);
}

/* The "output" line at p (without "output "): KEY ROLE, up to the newline. */
static int parse_header(const char *p, size_t len, struct pin_block *b)
{
	const char *sp = memchr(p, ' ', len);
	if (!sp || sp == p || sp + 1 == p + len || memchr(sp + 1, ' ', (size_t)(p + len - sp - 1)))
		return -1;
	b->output = xstrndup(p, (size_t)(sp - p));
	b->role = xstrndup(sp + 1, (size_t)(p + len - sp - 1));
	return 0;
}

/*
 * Parse one block starting at its "output" line (text[off]); *end: where the
 * next one starts. 0, or -1 with *why and *bad_line (lines from line0).
 */
static int parse_block(const char *text, size_t len, size_t off, int line0, struct pin_block *b, size_t *end,
		       const char **why, int *bad_line)
{
	memset(b, 0, sizeof(*b));
	b->args = (struct strvec)STRVEC_INIT;
	b->line = line0;
	int line = line0;
	const char *p = text + off, *e = text + len;
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	size_t hl = (size_t)((nl ? nl : e) - p);
	if (hl < 7 || memcmp(p, "output ", 7) != 0 || parse_header(p + 7, hl - 7, b) < 0) {
		*why = "expected 'output OUTPUT ROLE'";
		goto bad;
	}
	p = nl ? nl + 1 : e;
	while (p < e) {
		line++;
		nl = memchr(p, '\n', (size_t)(e - p));
		size_t ll = (size_t)((nl ? nl : e) - p);
		if (ll >= 7 && memcmp(p, "output ", 7) == 0) {
			line--;
			break;
		}
		if (ll == 0 || p[0] == '#') {
			p = nl ? nl + 1 : e;
			continue;
		}
		if (ll >= 5 && memcmp(p, "\targ ", 5) == 0) {	/* an empty word is a word */
			char *w = xstrndup(p + 5, ll - 5);
			char *u = pin_unescape(w, "/B", "/S", why);	/* the escapes are well-formed */
			if (!u) {
				free(w);
				goto bad;
			}
			free(u);
			strvec_push(&b->args, w);
			free(w);
		} else if (ll > 6 && memcmp(p, "\ttool ", 6) == 0) {
			const char *sp = NULL;
			for (const char *q = p + 6; q < p + ll; q++)
				if (*q == ' ')
					sp = q;
			if (b->tool || !sp || (size_t)(p + ll - sp - 1) != 7 + SHA256_HEX_LEN ||
			    memcmp(sp + 1, "sha256:", 7) != 0) {
				*why = b->tool ? "a second 'tool' line" : "expected '\\ttool PATH sha256:HEX'";
				goto bad;
			}
			b->tool = xstrndup(p + 6, (size_t)(sp - p - 6));
			memcpy(b->tool_sha, sp + 8, SHA256_HEX_LEN);
			b->tool_sha[SHA256_HEX_LEN] = '\0';
			for (int i = 0; i < SHA256_HEX_LEN; i++)
				if (hexval(b->tool_sha[i]) < 0) {
					*why = "the tool's sha256 is not hex";
					goto bad;
				}
		} else {
			*why = "expected '\\targ WORD', '\\ttool PATH sha256:HEX' or 'output OUTPUT ROLE'";
			goto bad;
		}
		p = nl ? nl + 1 : e;
	}
	if (!b->tool) {
		*why = "block without a 'tool' line";
		line = line0;
		goto bad;
	}
	*end = (size_t)(p - text);
	return line;
bad:
	*bad_line = line;
	pin_block_release(b);
	return -1;
}

static int block_cmp(const void *a, const void *b)
{
	const struct pin_block *x = a, *y = b;
	int c = strcmp(x->output, y->output);
	return c ? c : strcmp(x->role, y->role);
}

/* The header: comments and blank lines, then PIN_MAGIC. Offset after it, or -1. */
static long skip_header(const char *text, size_t len, int *line)
{
	const char *p = text, *e = text + len;
	while (p < e) {
		(*line)++;
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t ll = (size_t)((nl ? nl : e) - p);
		if (ll && p[0] != '#') {
			if (ll != strlen(PIN_MAGIC) || memcmp(p, PIN_MAGIC, ll) != 0)
				return -1;
			return nl ? nl + 1 - text : (long)len;
		}
		p = nl ? nl + 1 : e;
	}
	return -1;
}

int pin_load(const char *path, struct pin_block **blocks, size_t *n)
{
	char *text;
	size_t len;
	*blocks = NULL;
	*n = 0;
	if (read_file(path, &text, &len) < 0)
		return error("cannot read pin '%s': %s", path, strerror(errno));
	if (memchr(text, '\0', len)) {
		free(text);
		return error("%s: not a pin (a NUL byte: binary data)", path);
	}
	int line = 0;
	long off = skip_header(text, len, &line);
	if (off < 0) {
		free(text);
		return error("%s:%d: not a pin: the first line that is not a comment must be '%s'", path, line, PIN_MAGIC);
	}
	size_t cap = 0, pos = (size_t)off;
	int ret = 0;
	while (pos < len) {
		/* blank and comment lines between blocks */
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (size_t)((nl ? nl : text + len) - (text + pos));
		if (ll == 0 || text[pos] == '#') {
			line++;
			pos = nl ? (size_t)(nl - text) + 1 : len;
			continue;
		}
		if (*n == cap)
			*blocks = xrealloc(*blocks, (cap = cap ? 2 * cap : 256) * sizeof(**blocks));
		const char *why;
		int bad;
		size_t end;
		int last = parse_block(text, len, pos, line + 1, &(*blocks)[*n], &end, &why, &bad);
		if (last < 0) {
			ret = error("%s:%d: %s", path, bad, why);
			break;
		}
		if (*n && block_cmp(&(*blocks)[*n - 1], &(*blocks)[*n]) >= 0) {
			ret = error("%s:%d: 'output %s %s' is out of order or repeated (blocks must be sorted: kshim finds "
				    "them by bisection; kshimctl pin save writes them so)",
				    path, line + 1, (*blocks)[*n].output, (*blocks)[*n].role);
			(*n)++;
			break;
		}
		(*n)++;
		line = last;
		pos = end;
	}
	free(text);
	if (ret < 0) {
		pin_blocks_free(*blocks, *n);
		*blocks = NULL;
		*n = 0;
	}
	return ret;
}

/* ---- lookup --------------------------------------------------------------------- */

/* Offset of the first "output " line at or after off, or len. */
static size_t next_block(const char *m, size_t len, size_t off)
{
	if (off == 0)
		return len >= 7 && memcmp(m, "output ", 7) == 0 ? 0 : next_block(m, len, 1);
	const char *p = memmem(m + off - 1, len - off + 1, "\noutput ", 8);
	return p ? (size_t)(p - m) + 1 : len;
}

/* Compare the "output" line at off with "want" ("OUTPUT ROLE"). */
static int header_cmp(const char *m, size_t len, size_t off, const char *want)
{
	const char *p = m + off + 7, *nl = memchr(p, '\n', len - off - 7);
	size_t hl = (size_t)((nl ? nl : m + len) - p), wl = strlen(want);
	int c = memcmp(p, want, hl < wl ? hl : wl);
	return c ? c : hl < wl ? -1 : hl > wl;
}

static int line_of(const char *m, size_t off)
{
	int line = 1;
	for (const char *p = m; (p = memchr(p, '\n', (size_t)(m + off - p))); p++)
		line++;
	return line;
}

int pin_find(const char *path, const char *output, const char *role, struct pin_block *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		error("cannot read pin '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	const char *m = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (m == MAP_FAILED)
		return error("cannot read pin '%s': %s", path, strerror(errno));
	int line = 0;
	long start = m ? skip_header(m, len, &line) : -1;
	if (start < 0) {
		if (m)
			munmap((void *)m, len);
		return error("%s:%d: not a pin: the first line that is not a comment must be '%s'", path, line, PIN_MAGIC);
	}
	char *want = xasprintf("%s %s", output, role);
	/* the block, if any, starts in [lo, hi); lo is always a block start */
	size_t lo = next_block(m, len, (size_t)start), hi = len, at = len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, bk = next_block(m, len, mid > lo ? mid : lo + 1);
		int c;
		if (bk >= hi) {
			/* no block starts in [mid, hi): step from lo */
			if ((c = header_cmp(m, len, lo, want)) == 0)
				at = lo;
			if (c >= 0)
				break;
			lo = next_block(m, len, lo + 1);
			continue;
		}
		if ((c = header_cmp(m, len, bk, want)) == 0) {
			at = bk;
			break;
		}
		if (c < 0)
			lo = next_block(m, len, bk + 1);
		else
			hi = bk;
	}
	if (at == len && lo < len && header_cmp(m, len, lo, want) == 0)
		at = lo;
	if (at == len) {
		/* not found by bisection: the file may be out of order (edited by hand) */
		char *needle = xasprintf("\noutput %s\n", want);
		const char *p = memmem(m + start - 1, len - (size_t)start + 1, needle, strlen(needle));
		if (p)
			at = (size_t)(p - m) + 1;
		free(needle);
	}
	free(want);
	int ret = 0;
	if (at < len) {
		const char *why;
		int bad;
		size_t end;
		int l0 = line_of(m, at);
		if (parse_block(m, len, at, l0, b, &end, &why, &bad) < 0)
			ret = error("%s:%d: %s", path, bad, why);
		else
			ret = 1;
	}
	munmap((void *)m, len);
	return ret;
}

/* ---- comparing ----------------------------------------------------------------- */

json_t *pin_words_minus(const struct strvec *a, const struct strvec *b)
{
	json_t *out = json_array();
	char *used = xcalloc(b->nr + 1, 1);
	for (size_t i = 0; i < a->nr; i++) {
		size_t j = 0;
		while (j < b->nr && (used[j] || strcmp(a->v[i], b->v[j]) != 0))
			j++;
		if (j < b->nr)
			used[j] = 1;
		else
			json_array_append_new(out, json_string(a->v[i]));
	}
	free(used);
	return out;
}

/* ---- writing -------------------------------------------------------------------- */

void pin_write(FILE *f, struct pin_block *blocks, size_t n, const char *comment)
{
	qsort(blocks, n, sizeof(*blocks), block_cmp);
	fprintf(f, "# kshim pin: effective flags and tools per output. Blocks are sorted; keep them so.\n");
	if (comment)
		fprintf(f, "# %s\n", comment);
	fprintf(f, "%s\n", PIN_MAGIC);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "\noutput %s %s\n\ttool %s sha256:%s\n", blocks[i].output, blocks[i].role, blocks[i].tool,
			blocks[i].tool_sha);
		for (size_t k = 0; k < blocks[i].args.nr; k++)
			fprintf(f, "\targ %s\n", blocks[i].args.v[k]);
	}
}
