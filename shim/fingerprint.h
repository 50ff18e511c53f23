/*
 * fingerprint: what a call ran with and what it made, as digests.
 *
 * Per call (the "fp" member of a record; not for probes):
 *   tool     SHA-256 of the real tool's binary, cached by (path, size, mtime,
 *            ctime) in ~/.cache/kshim/toolids so a 100 MB clang is hashed once,
 *            not per call; and its --version line when that cache knows it.
 *            kshim never runs a tool with --version on its own account (a
 *            wrapper script or a fake tool would do who knows what);
 *            kshimctl fingerprint asks and remembers;
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

#include <jansson.h>

struct tool_id {
	char sha256[SHA256_HEX_LEN + 1];
	char *version;		/* first line of --version, or NULL */
};

/*
 * Identity of the binary at path (cached). ask_version: run "path --version"
 * when the version is not known yet. 0, or -1 when it cannot be read.
 */
int tool_identity(const char *path, struct tool_id *id, int ask_version);
void tool_id_release(struct tool_id *id);

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
