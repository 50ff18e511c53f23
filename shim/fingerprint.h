/*
 * fingerprint: what a call ran with and what it made, as digests.
 *
 * Per call (the "fp" member of a record; not for probes):
 *   tool     SHA-256 of the real tool's binary and its --version line when
 *            known (tool_identity in toolid.h: cached, hashed once per binary);
 *   argv     SHA-256 of the argv that ran, NUL-separated, with the build
 *            directory written as "$B" and the source directory (KSHIM_SRCDIR,
 *            set by kshimctl make from -C) as "$S": two trees at different
 *            paths give the same digest for the same command;
 *   inputs   path -> SHA-256 of each input file (sources, objects, scripts);
 *   deps     the files the depfile names (headers): how many, one digest over
 *            their paths and contents, and where they are in the build's
 *            table of header digests (see deptab.h);
 *   before   objtool and other in-place rewrites: the output's digest before;
 *   outputs  path -> {sha256, and for ELF files: layout, sections}.
 *
 * ELF layout (libelf): per section name, type, flags, address, size,
 * alignment and a digest of its contents (none for SHT_NOBITS); "layout" is
 * the digest of everything but the contents, so a diff can tell "only moved"
 * from "contents changed".
 */
#ifndef KSHIM_FINGERPRINT_H
#define KSHIM_FINGERPRINT_H

#include "digest.h"
#include "strvec.h"
#include "toolid.h"

#include <jansson.h>

/*
 * s with every occurrence of build_dir and src_dir as a path prefix ("DIR/..."
 * or "DIR" at the end) written as "$B" and "$S" (heap string).
 */
char *dirs_tagged(const char *s, const char *build_dir, const char *src_dir);

/* An output as a key: relative to the build directory bdir (absolute outside it); heap. */
char *output_key(const char *cwd, const char *path, const char *bdir);

/* Digest of argv with build_dir -> "$B" and src_dir -> "$S" (either may be NULL). */
void argv_digest(char *const *argv, size_t n, const char *build_dir, const char *src_dir,
		 char out[SHA256_HEX_LEN + 1]);

/*
 * {sha256, size} of a regular file; for ELF files also {layout, sections:
 * [{name, type, flags, addr, size, align, sha256?}]}. NULL when path is not
 * a readable regular file.
 */
json_t *file_fingerprint(const char *path, int with_layout);

/* path -> sha256 for those of paths that are readable regular files (relative to the cwd). */
json_t *files_digests(const struct strvec *paths);

#endif
