#include "thinar.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum file_kind file_kind_of(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	if (len >= 4 && memcmp(b, "\177ELF", 4) == 0)
		return FILE_ELF;
	if (len >= 4 && memcmp(b, "BC\xc0\xde", 4) == 0)
		return FILE_BITCODE;
	if (len >= 4 && b[0] == 0xde && b[1] == 0xc0 && b[2] == 0x17 && b[3] == 0x0b)
		return FILE_BITCODE;	/* the bitcode wrapper header (Darwin, and -fembed-bitcode) */
	if (len >= 8 && memcmp(b, "!<thin>\n", 8) == 0)
		return FILE_THIN_ARCHIVE;
	if (len >= 8 && memcmp(b, "!<arch>\n", 8) == 0)
		return FILE_ARCHIVE;
	return FILE_OTHER;
}

enum file_kind file_kind(const char *path)
{
	unsigned char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FILE_OTHER;
	ssize_t got = read(fd, magic, sizeof(magic));
	close(fd);
	return got > 0 ? file_kind_of(magic, (size_t)got) : FILE_OTHER;
}

const char *file_kind_str(enum file_kind k)
{
	static const char *const names[] = { "other", "ELF", "LLVM bitcode", "thin archive", "archive" };
	return names[k];
}

static void push_member(struct thinar *ar, char *path, char *name, const char *archive, size_t offset)
{
	if (ar->nr == ar->alloc) {
		ar->alloc = ar->alloc ? 2 * ar->alloc : 64;
		ar->m = xrealloc(ar->m, ar->alloc * sizeof(*ar->m));
	}
	ar->m[ar->nr++] = (struct thin_member){ path, name, xstrdup(archive), offset };
}

static int read_at(const char *path, struct thinar *ar, int depth)
{
	char *buf;
	size_t len;
	if (depth > 4 || file_kind(path) != FILE_THIN_ARCHIVE || read_file(path, &buf, &len) < 0)
		return 0;
	const char *names = NULL;
	size_t names_len = 0;
	char *dir = xstrndup(path, (size_t)(path_basename(path) - path));
	for (size_t off = 8; off + 60 <= len;) {
		const char *h = buf + off;
		size_t at = off;
		char sz[11];
		memcpy(sz, h + 48, 10);
		sz[10] = '\0';
		size_t size = strtoul(sz, NULL, 10);
		char name[17];
		memcpy(name, h, 16);
		name[16] = '\0';
		for (int i = 15; i >= 0 && name[i] == ' '; i--)
			name[i] = '\0';
		off += 60;
		if (strcmp(name, "/") == 0 || strcmp(name, "/SYM64/") == 0 || strcmp(name, "//") == 0) {
			if (name[1] == '/') {
				names = buf + off;
				names_len = size <= len - off ? size : len - off;
			}
			off += size + (size & 1);	/* the tables are stored, even in thin archives */
			continue;
		}
		char *member = NULL;
		if (name[0] == '/' && names) {
			size_t n0 = strtoul(name + 1, NULL, 10);
			if (n0 < names_len) {
				const char *e = memchr(names + n0, '\n', names_len - n0);
				size_t n = (size_t)((e ? e : names + names_len) - (names + n0));
				if (n && names[n0 + n - 1] == '/')
					n--;
				member = xstrndup(names + n0, n);
			}
		} else {
			size_t n = strlen(name);
			member = xstrndup(name, n && name[n - 1] == '/' ? n - 1 : n);
		}
		if (!member)
			continue;	/* thin: no data follows a member's header */
		char *p = member[0] == '/' ? xstrdup(member) : xasprintf("%s%s", dir, member);
		if (read_at(p, ar, depth + 1)) {
			free(p);
			free(member);
		} else {
			push_member(ar, p, member, path, at);
		}
	}
	free(dir);
	free(buf);
	return 1;
}

int thinar_read(const char *path, struct thinar *ar)
{
	return read_at(path, ar, 0);
}

void thinar_release(struct thinar *ar)
{
	for (size_t i = 0; i < ar->nr; i++) {
		free(ar->m[i].path);
		free(ar->m[i].name);
		free(ar->m[i].archive);
	}
	free(ar->m);
	ar->m = NULL;
	ar->nr = ar->alloc = 0;
}

int thin_archive_members(const char *path, struct strvec *out)
{
	struct thinar ar = THINAR_INIT;
	int ret = thinar_read(path, &ar);
	for (size_t i = 0; i < ar.nr; i++) {
		strvec_push_nodup(out, ar.m[i].path);
		ar.m[i].path = NULL;
	}
	thinar_release(&ar);
	return ret;
}
