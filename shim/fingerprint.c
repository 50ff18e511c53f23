#include "fingerprint.h"
#include "elfobj.h"
#include "log.h"
#include "run.h"
#include "toolid.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- argv ------------------------------------------------------------------- */

char *dirs_tagged(const char *s, const char *build_dir, const char *src_dir)
{
	/* the longer directory first: a build dir inside the source dir */
	const char *dir[2] = { build_dir, src_dir }, *tag[2] = { "$B", "$S" };
	size_t n[2] = { build_dir ? strlen(build_dir) : 0, src_dir ? strlen(src_dir) : 0 };
	int first = n[0] >= n[1] ? 0 : 1;
	size_t len = strlen(s), cap = len + 1, o = 0;
	char *out = xmalloc(cap);
	for (const char *p = s; *p;) {
		int hit = -1;
		for (int k = 0, i = first; k < 2 && hit < 0; k++, i ^= 1)
			if (n[i] && *p == dir[i][0] && strncmp(p, dir[i], n[i]) == 0 && (p[n[i]] == '/' || p[n[i]] == '\0'))
				hit = i;
		if (hit < 0) {
			out[o++] = *p++;
			continue;
		}
		/* a tag is longer than a one-letter directory ("/") */
		if (o + 2 + strlen(p + n[hit]) + 1 > cap)
			out = xrealloc(out, cap = o + 2 + strlen(p + n[hit]) + 1);
		memcpy(out + o, tag[hit], 2);
		o += 2;
		p += n[hit];
	}
	out[o] = '\0';
	return out;
}

void argv_digest(char *const *argv, size_t n, const char *build_dir, const char *src_dir,
		 char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	for (size_t i = 0; i < n; i++) {
		char *w = dirs_tagged(argv[i], build_dir, src_dir);
		sha256_update(&c, strlen(w) + 1, (const uint8_t *)w);	/* with the NUL: words stay apart */
		free(w);
	}
	sha256_digest(&c, sizeof(d), d);
	digest_hex(d, sizeof(d), out);
}

char *output_key(const char *cwd, const char *path, const char *bdir)
{
	char *abs = path[0] == '/' ? xstrdup(path) : path_join(cwd ? cwd : ".", path);
	/* drop "./" components that kbuild writes */
	for (char *p; (p = strstr(abs, "/./"));)
		memmove(p, p + 2, strlen(p + 2) + 1);
	size_t n = bdir ? strlen(bdir) : 0;
	if (n && strncmp(abs, bdir, n) == 0 && abs[n] == '/') {
		char *k = xstrdup(abs + n + 1);
		free(abs);
		return k;
	}
	return abs;
}

/* ---- files and ELF layouts -------------------------------------------------- */

json_t *file_fingerprint(const char *path, int with_layout)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (len && map == MAP_FAILED)
		return NULL;
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(len ? map : "", len, hex);
	json_t *fp = json_object();
	json_object_set_new(fp, "sha256", json_string(hex));
	json_object_set_new(fp, "size", json_integer((json_int_t)len));
	if (with_layout && len >= 4 && memcmp(map, "\177ELF", 4) == 0) {
		char layout[SHA256_HEX_LEN + 1];
		json_t *secs = elfobj_sections(map, len, layout);
		if (secs) {
			json_object_set_new(fp, "layout", json_string(layout));
			json_object_set_new(fp, "sections", secs);
		}
	}
	if (len)
		munmap(map, len);
	return fp;
}

json_t *files_digests(const struct strvec *paths)
{
	json_t *o = json_object();
	for (size_t i = 0; i < paths->nr; i++) {
		char hex[SHA256_HEX_LEN + 1];
		struct stat st;
		if (stat(paths->v[i], &st) < 0 || !S_ISREG(st.st_mode) || sha256_file_hex(paths->v[i], hex) < 0)
			continue;
		char *key = json_key_bytes(paths->v[i]);	/* a path need not be UTF-8; a JSON key must */
		json_object_set_new(o, key, json_string(hex));
		free(key);
	}
	return o;
}
