/*
 * digest: SHA-256 of buffers and files, as lowercase hex.
 *
 * nettle, not OpenSSL: kshim runs once per compiler call and linking
 * libcrypto costs 0.6-0.9 ms per exec here; nettle costs 0.09 ms and uses
 * the CPU's SHA instructions (measured, see README).
 */
#ifndef KSHIM_DIGEST_H
#define KSHIM_DIGEST_H

#include <stddef.h>

#define SHA256_HEX_LEN 64
#define SHA256_RAW_LEN 32

void sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN + 1]);
/* n bytes as 2n lowercase hex digits and a NUL. */
void digest_hex(const unsigned char *d, size_t n, char *out);
/* Digest of an open file from its current offset to EOF, as 32 bytes. 0, or -1 with errno. */
int sha256_fd_raw(int fd, unsigned char d[SHA256_RAW_LEN]);
/* Digest of the file at path. 0, or -1 with errno. */
int sha256_file_raw(const char *path, unsigned char d[SHA256_RAW_LEN]);
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1]);

#endif
