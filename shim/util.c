#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

const char *util_progname = "kshim";

static void oom(void)
{
	static const char msg[] = "kshim: fatal: out of memory\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

static void report(const char *kind, const char *fmt, va_list ap)
{
	/* One write(2) so that messages of parallel jobs do not interleave. */
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s: %s: ", util_progname, kind);
	if (n < 0)
		return;
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	int saved = errno;
	(void)write_all(2, buf, len);
	errno = saved;
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("warning", fmt, ap);
	va_end(ap);
}

int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lf = strlen(suffix);
	return ls >= lf && memcmp(s + ls - lf, suffix, lf) == 0;
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int read_fd(int fd, char **buf, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	/* room for the contents, the NUL, and the read that sees EOF (else a realloc that copies it all) */
	size_t alloc = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096, n = 0;
	char *b = xmalloc(alloc);
	for (;;) {
		if (n + 1 >= alloc) {
			alloc *= 2;
			b = xrealloc(b, alloc);
		}
		ssize_t r = read(fd, b + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(b);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	if (len)
		*len = n;
	return 0;
}

int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ret = read_fd(fd, buf, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)done;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int ret = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = -1;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (ret == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			ret = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			ret = -1;
		}
	}
	int saved = errno;
	free(p);
	errno = saved;
	return ret;
}

char *path_join(const char *dir, const char *rel)
{
	if (rel[0] == '/' || !dir || !*dir)
		return xstrdup(rel);
	size_t ld = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[ld - 1] == '/' ? "" : "/", rel);
}

/* Returns the length of the class at p (after '['), or 0 if unterminated. */
static size_t class_len(const char *p)
{
	size_t i = 0;
	if (p[i] == '!' || p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	for (; p[i]; i++)
		if (p[i] == ']')
			return i + 1;
	return 0;
}

static int class_match(const char *p, size_t len, char c)
{
	/* p points after '[', len includes the closing ']' */
	size_t i = 0, end = len - 1;
	int neg = 0, hit = 0;
	if (p[i] == '!' || p[i] == '^') {
		neg = 1;
		i++;
	}
	for (; i < end; i++) {
		if (i + 2 < end && p[i + 1] == '-') {
			if ((unsigned char)c >= (unsigned char)p[i] && (unsigned char)c <= (unsigned char)p[i + 2])
				hit = 1;
			i += 2;
		} else if (p[i] == c) {
			hit = 1;
		}
	}
	return hit != neg;
}

int glob_match(const char *p, const char *s)
{
	for (;;) {
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				const char *rest = p + 2;
				/* "**" followed by '/' also matches zero directories */
				if (*rest == '/' && glob_match(rest + 1, s))
					return 1;
				for (const char *t = s; ; t++) {
					if (glob_match(rest, t))
						return 1;
					if (!*t)
						return 0;
				}
			}
			for (const char *t = s; ; t++) {
				if (glob_match(p + 1, t))
					return 1;
				if (!*t || *t == '/')
					return 0;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			p++, s++;
			break;
		case '[': {
			size_t n = class_len(p + 1);
			if (!n) {
				if (*s != '[')
					return 0;
				p++, s++;
				break;
			}
			if (!*s || *s == '/' || !class_match(p + 1, n, *s))
				return 0;
			p += 1 + n;
			s++;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
			p++, s++;
		}
	}
}

int glob_check(const char *p, const char **why)
{
	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1]) {
				*why = "trailing backslash";
				return -1;
			}
			p++;
		} else if (*p == '[') {
			size_t n = class_len(p + 1);
			if (!n) {
				*why = "unterminated '[' character class";
				return -1;
			}
			p += n;
		} else if (*p == '*' && p[1] == '*' && p[2] == '*') {
			*why = "'***' is not a valid pattern (use '**')";
			return -1;
		}
	}
	return 0;
}

static char *xdg_path(const char *var, const char *home_sub, const char *rel)
{
	const char *xdg = getenv(var), *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/%s", xdg, rel);
	if (home && *home)
		return xasprintf("%s/%s/%s", home, home_sub, rel);
	return NULL;
}

char *user_config_path(const char *rel)
{
	return xdg_path("XDG_CONFIG_HOME", ".config", rel);
}

char *user_cache_path(const char *rel)
{
	return xdg_path("XDG_CACHE_HOME", ".cache", rel);
}

char *user_runtime_path(const char *rel)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (!rt || !*rt || access(rt, W_OK) != 0)
		rt = "/tmp";
	return xasprintf("%s/kshim-%u/%s", rt, (unsigned)geteuid(), rel);
}

int first_time(const char *what)
{
	char *dir = user_runtime_path("once");
	if (mkdir_p(dir, 0700) < 0) {
		free(dir);
		return 1;	/* cannot remember: say it again rather than never */
	}
	uLong h = crc32(0L, (const Bytef *)what, (uInt)strlen(what));
	char *p = xasprintf("%s/%08lx", dir, (unsigned long)h);
	free(dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int first = fd >= 0 || errno != EEXIST;
	if (fd >= 0)
		close(fd);
	free(p);
	return first;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = u[i];
		size_t len;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (u[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

double now_epoch(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
