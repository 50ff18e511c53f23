/*
 * deptab: digests of the files a build's calls depend on (the headers named
 * in the depfiles the compiler writes), shared by every call of one build.
 *
 * A kernel object names ~860 headers (3.2 MB): hashing them on every call
 * would cost ~2 ms, validating a stat-keyed cache ~1.2 ms. Within one build a
 * header does not change (kbuild generates its headers before it compiles),
 * so the first call that names a file hashes it and every later call of the
 * build reads the digest from <log dir>/deps/<build>.tab: a fixed-size
 * open-addressing hash table in a file that every call of the build maps
 * shared. Slots are claimed with compare-and-swap, so make -j needs no lock;
 * a call killed half-way leaves a claimed slot that others simply do not
 * use. The file is allocated up front (posix_fallocate), so a full disk is an
 * error at creation, never a SIGBUS later.
 *
 * Keys are paths with the build and source directories written as $B and $S
 * (relative paths are joined to the call's directory first), so two trees at
 * different places have comparable tables.
 *
 * A record names its dependencies as a set of slots (sorted, delta-encoded
 * in a short string) plus one digest over (key, digest) pairs in depfile
 * order; kshimctl diff reads both builds' tables to say which files changed.
 */
#ifndef KSHIM_DEPTAB_H
#define KSHIM_DEPTAB_H

#include "digest.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct deptab;

/* Map (creating it if needed) the table of build in log_dir. NULL on failure (errno set). */
struct deptab *deptab_open(const char *log_dir, const char *build);
/* Map an existing table read-only (kshimctl). NULL if it is not there or not a table. */
struct deptab *deptab_open_ro(const char *log_dir, const char *build);
void deptab_close(struct deptab *t);

/*
 * The "deps" member of a record for the depfile at path, read in the call's
 * directory cwd: {"n", "sha256", "slots", "unindexed"?, "unreadable"?}.
 * NULL when the depfile cannot be read or names nothing. t may be NULL (no
 * table: every file is hashed, nothing is indexed).
 */
json_t *deps_fingerprint(struct deptab *t, const char *depfile, const char *cwd, const char *build_dir,
			 const char *src_dir);

/*
 * The files a "deps" member names: key -> sha256 hex ("unreadable" for a
 * file that could not be read), as the table of its build has them.
 */
json_t *deps_files(const struct deptab *t, const json_t *deps);

/*
 * Parse the first rule of a Make-style depfile in place: calls fn for each
 * prerequisite (unescaped, NUL-terminated inside text). text[len] must be
 * a NUL (as read_file leaves it). Returns how many.
 */
size_t depfile_parse(char *text, size_t len, void (*fn)(const char *path, void *arg), void *arg);

/* Slot lists: the set of indices, sorted, as deltas: 5 bits per character and a continuation bit. */
char *slots_encode(const uint32_t *slots, size_t n);
/* Decoded indices (heap array) and their count; NULL with *n = 0 when s is malformed. */
uint32_t *slots_decode(const char *s, size_t *n);

#endif
