#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char crc_key[] = ",\"crc32\":\"";

struct out {
	char *p;
	size_t len, alloc;
};

static void out_grow(struct out *o, size_t n)
{
	if (o->len + n + 1 > o->alloc) {
		o->alloc = (o->len + n + 1) * 2;
		o->p = xrealloc(o->p, o->alloc);
	}
}

static void out_put(struct out *o, const char *s, size_t n)
{
	out_grow(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";	/* jansson's case */
	out_grow(o, n + 2);
	o->p[o->len++] = '"';
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out_put(o, s + run, i - run);
		run = i + 1;
		char esc[7] = { '\\', 0 };
		size_t en = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			en = 6;
		}
		out_put(o, esc, en);
	}
	out_put(o, s + run, n - run);
	out_put(o, "\"", 1);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(16): %.16g, a ".0" if it looks integral, no '+' or leading 0 in the exponent. */
static void out_real(struct out *o, double d)
{
	char buf[64], *e;
	int n = snprintf(buf, sizeof(buf), "%.16g", d);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3)
		n = snprintf(buf, sizeof(buf), "0.0");
	if (!strpbrk(buf, ".eEin")) {	/* not 1.5, 1e5, inf, nan */
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e'))) {
		char *q = e + 1;
		if (*q == '-')
			q++;
		char *digits = q + strspn(q, "+0");
		if (!*digits)
			digits--;	/* keep one zero */
		memmove(q, digits, strlen(digits) + 1);
		n = (int)strlen(buf);
	}
	out_put(o, buf, (size_t)n);
}

/*
 * Compact JSON, byte for byte what json_dumps(JSON_COMPACT |
 * JSON_REAL_PRECISION(16)) writes (tested), in a fraction of its time:
 * jansson formats a pointer with snprintf and hashes it for every object
 * and array it writes (its cycle check), which made up a third of a call
 * that applied 40 rules. Records are trees: there is no cycle to find.
 */
static int out_json(struct out *o, const json_t *j, int depth)
{
	char buf[32];
	if (depth > 64)
		return -1;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *v;
		int first = 1;
		out_put(o, "{", 1);
		json_object_foreach((json_t *)j, key, v) {
			if (!first)
				out_put(o, ",", 1);
			first = 0;
			out_string(o, key, strlen(key));
			out_put(o, ":", 1);
			if (out_json(o, v, depth + 1) < 0)
				return -1;
		}
		out_put(o, "}", 1);
		return 0;
	}
	case JSON_ARRAY:
		out_put(o, "[", 1);
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				out_put(o, ",", 1);
			if (out_json(o, json_array_get(j, i), depth + 1) < 0)
				return -1;
		}
		out_put(o, "]", 1);
		return 0;
	case JSON_STRING:
		out_string(o, json_string_value(j), json_string_length(j));
		return 0;
	case JSON_INTEGER:
		out_put(o, buf, (size_t)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j)));
		return 0;
	case JSON_REAL:
		out_real(o, json_real_value(j));
		return 0;
	case JSON_TRUE:
		out_put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		out_put(o, "false", 5);
		return 0;
	case JSON_NULL:
		out_put(o, "null", 4);
		return 0;
	}
	return -1;
}

char *json_compact(const json_t *j, size_t *len)
{
	struct out o = { 0 };
	out_grow(&o, 4096);
	if (out_json(&o, j, 0) < 0) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = '\0';
	if (len)
		*len = o.len;
	return o.p;
}

char *log_frame(json_t *rec, size_t *len)
{
	size_t n;
	char *line = json_is_object(rec) && json_object_size(rec) ? json_compact(rec, &n) : NULL;
	if (!line)
		return NULL;
	/* line ends with '}'; the checksum covers everything before it */
	uLong crc = crc32(0L, (const Bytef *)line, (uInt)(n - 1));
	line = xrealloc(line, n - 1 + LOG_CRC_SUFFIX_LEN + 2);
	snprintf(line + n - 1, LOG_CRC_SUFFIX_LEN + 2, "%s%08lx\"}", crc_key, (unsigned long)crc);
	line[n - 1 + LOG_CRC_SUFFIX_LEN] = '\n';
	line[n + LOG_CRC_SUFFIX_LEN] = '\0';
	*len = n + LOG_CRC_SUFFIX_LEN;
	return line;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int log_line_valid(const char *line, size_t len)
{
	if (len < LOG_CRC_SUFFIX_LEN + 2 || line[0] != '{')
		return 0;
	const char *suf = line + len - LOG_CRC_SUFFIX_LEN;
	if (memcmp(suf, crc_key, sizeof(crc_key) - 1) != 0 || suf[18] != '"' || suf[19] != '}')
		return 0;
	unsigned long want = 0;
	for (int i = 0; i < 8; i++) {
		int h = hexval(suf[10 + i]);
		if (h < 0)
			return 0;
		want = want << 4 | (unsigned long)h;
	}
	uLong crc = crc32(0L, (const Bytef *)line, (uInt)(len - LOG_CRC_SUFFIX_LEN));
	return crc == want;
}

int log_writer_open(struct log_writer *w, const char *dir)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->path = path_join(dir, LOG_FILE);
	/* O_RDWR, not O_WRONLY: the writer reads the last byte to repair a torn tail */
	const int flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC;
	w->fd = open(w->path, flags, 0666);
	if (w->fd < 0 && errno == ENOENT) {
		if (mkdir_p(dir, 0777) == 0)
			w->fd = open(w->path, flags, 0666);
	}
	if (w->fd < 0 && errno == EACCES) {
		/* a write-only log file still works; if it does not exist, EACCES is the reason */
		w->fd = open(w->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (w->fd < 0)
			errno = EACCES;
	}
	if (w->fd < 0) {
		w->open_errno = errno;
		return -1;
	}
	return 0;
}

/* 1 if the file does not end in '\n' (a torn record before us). */
static int needs_newline(int fd)
{
	char c;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return 0;
	if (pread(fd, &c, 1, end - 1) != 1)
		return 0;
	return c != '\n';
}

int log_writer_append(struct log_writer *w, const char *line, size_t len)
{
	if (w->fd < 0) {
		errno = w->open_errno ? w->open_errno : EBADF;
		return -1;
	}
	/*
	 * Every append holds the lock: then the tail check below sees only
	 * records that are complete or torn for good (a writer killed mid-write
	 * releases the lock as it dies), never one still being copied in, and
	 * large records stay whole on filesystems where O_APPEND is not atomic.
	 * Checking without the lock raced: a record in flight looked torn.
	 */
	while (flock(w->fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			break;	/* no locks here (some FUSE): append anyway */
	}
	int ret = 0;
	if (needs_newline(w->fd) && write_all(w->fd, "\n", 1) < 0)
		ret = -1;
	if (ret == 0) {
		ssize_t n;
		do
			n = write(w->fd, line, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			ret = -1;
		} else if ((size_t)n != len) {
			/* a short write (disk full) leaves a torn record; readers skip it */
			errno = ENOSPC;
			ret = -1;
		}
	}
	int saved = errno;
	flock(w->fd, LOCK_UN);
	errno = saved;
	return ret;
}

void log_writer_close(struct log_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	w->fd = -1;
	w->path = NULL;
}

static char *lost_dir(void)
{
	return user_runtime_path("lost");
}

char *log_lost_path(const char *log_dir, const char *build)
{
	char *dir = lost_dir();
	uLong h = crc32(0L, (const Bytef *)log_dir, (uInt)strlen(log_dir));
	char *p = xasprintf("%s/%08lx-%s", dir, (unsigned long)h, build);
	free(dir);
	for (char *s = strrchr(p, '/') + 1; *s; s++)
		if (*s == '/')
			*s = '_';
	return p;
}

int log_count_lost(const char *log_dir, const char *build, const char *reason)
{
	char *dir = lost_dir();
	mkdir_p(dir, 0700);
	free(dir);
	char *p = log_lost_path(log_dir, build);
	int first = 1;
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		first = 0;
		fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	free(p);
	if (fd >= 0) {
		char buf[512];
		int n = snprintf(buf, sizeof(buf), "%s\t%s\n", log_dir, reason);
		if (n > 0)
			(void)write_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		close(fd);
	}
	return first;
}

long log_lost_count(const char *log_dir, const char *build)
{
	char *p = log_lost_path(log_dir, build), *buf;
	size_t len;
	long n = 0;
	if (read_file(p, &buf, &len) == 0) {
		for (size_t i = 0; i < len; i++)
			n += buf[i] == '\n';
		free(buf);
	}
	free(p);
	return n;
}

int log_reader_open(struct log_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->f = fopen(path, "re");
	if (!r->f)
		return -1;
	r->path = xstrdup(path);
	return 0;
}

static json_t *parse_valid(struct log_reader *r, const char *s, size_t n)
{
	json_error_t jerr;
	json_t *rec = json_loadb(s, n, 0, &jerr);
	if (!rec || !json_is_object(rec)) {
		/* checksum matched but JSON did not: a writer bug, say so */
		if (!r->quiet)
			warning("%s:%ld: record has a valid checksum but is not a JSON object: %s",
				r->path, r->lineno, jerr.text);
		json_decref(rec);
		return NULL;
	}
	return rec;
}

const char *log_line_record(const char *line, size_t n, size_t *len)
{
	if (log_line_valid(line, n)) {
		*len = n;
		return line;
	}
	/* torn: maybe a complete record follows the torn bytes on this line */
	static const char start[] = "{\"kshim\":";
	for (const char *p = line + 1; p < line + n && (p = memmem(p, (size_t)(line + n - p), start, sizeof(start) - 1)); p++) {
		size_t rest = (size_t)(line + n - p);
		if (log_line_valid(p, rest)) {
			*len = rest;
			return p;
		}
	}
	return NULL;
}

int log_reader_next(struct log_reader *r, json_t **rec)
{
	for (;;) {
		ssize_t n = getline(&r->line, &r->cap, r->f);
		if (n < 0)
			return ferror(r->f) ? -1 : 0;
		r->lineno++;
		if (n > 0 && r->line[n - 1] == '\n')
			n--;
		if (n == 0)
			continue;
		size_t len;
		const char *s = log_line_record(r->line, (size_t)n, &len);
		if (s != r->line) {
			r->torn++;
			if (!r->first_torn_line)
				r->first_torn_line = r->lineno;
			if (!r->quiet)
				warning("%s:%ld: torn or damaged record skipped (%zd bytes)", r->path, r->lineno, n);
		}
		if (s && (*rec = parse_valid(r, s, len))) {
			r->records++;
			return 1;
		}
		if (s == r->line)
			r->torn++;	/* a valid checksum around bytes that are not JSON */
	}
}

void log_reader_close(struct log_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->line);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t n)
{
	const unsigned char *u = data;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = u[i] << 16 | (i + 1 < n ? u[i + 1] << 8 : 0) | (i + 2 < n ? u[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

#define KEY_B64 "base64:"

char *json_key_bytes(const char *s)
{
	size_t n = strlen(s);
	if (utf8_valid(s, n) && !starts_with(s, KEY_B64))
		return xstrdup(s);
	char *enc = base64_encode((const unsigned char *)s, n);
	char *key = xasprintf(KEY_B64 "%s", enc);
	free(enc);
	return key;
}

char *json_key_decode(const char *key)
{
	if (!starts_with(key, KEY_B64))
		return xstrdup(key);
	json_t *j = json_pack("{s:s}", "base64", key + strlen(KEY_B64));
	char *s = json_bytes_decode(j);
	json_decref(j);
	return s ? s : xstrdup(key);
}

json_t *json_bytes(const char *s)
{
	size_t n = strlen(s);
	if (utf8_valid(s, n))
		return json_stringn_nocheck(s, n);
	char *out = base64_encode((const unsigned char *)s, n);
	json_t *j = json_pack("{s:s}", "base64", out);
	free(out);
	return j;
}

char *json_bytes_decode(const json_t *j)
{
	if (json_is_string(j))
		return xstrdup(json_string_value(j));
	const char *in = json_string_value(json_object_get(j, "base64"));
	if (!in)
		return NULL;
	size_t n = strlen(in), o = 0;
	char *out = xmalloc(n / 4 * 3 + 1);
	unsigned v = 0;
	int bits = 0;
	for (size_t i = 0; i < n && in[i] != '='; i++) {
		const char *p = strchr(b64, in[i]);
		if (!p || !*p) {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}
