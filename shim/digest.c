#include "digest.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void digest_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx c;
	unsigned char d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, len, buf);
	sha256_digest(&c, sizeof(d), d);
	digest_hex(d, sizeof(d), out);
}

/*
 * Small files (sources, objects) through a 16 KB stack buffer: a fresh
 * process pays a page fault per 4 KB of a static buffer it touches, which
 * was a quarter of hashing a 39 KB source. Large ones (vmlinux.o) mapped:
 * no copy, and the page cache's fault-around maps 16 pages at a time.
 */
int sha256_fd_raw(int fd, unsigned char d[SHA256_RAW_LEN])
{
	struct sha256_ctx c;
	struct stat st;
	sha256_init(&c);
	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pos >= 0 && st.st_size - pos >= (1 << 20)) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			sha256_update(&c, (size_t)(st.st_size - pos), (const uint8_t *)m + pos);
			munmap(m, (size_t)st.st_size);
			lseek(fd, 0, SEEK_END);
			sha256_digest(&c, SHA256_RAW_LEN, d);
			return 0;
		}
	}
	unsigned char buf[1 << 14];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		sha256_update(&c, (size_t)n, buf);
	}
	sha256_digest(&c, SHA256_RAW_LEN, d);
	return 0;
}

int sha256_file_raw(const char *path, unsigned char d[SHA256_RAW_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ret = sha256_fd_raw(fd, d);
	int saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1])
{
	unsigned char d[SHA256_RAW_LEN];
	if (sha256_file_raw(path, d) < 0)
		return -1;
	digest_hex(d, sizeof(d), out);
	return 0;
}
