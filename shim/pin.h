/*
 * pin: the effective flags and tools of a known-good build, as a text file
 * that diffs well in git, checked against later builds or forced on them.
 *
 *   # comments
 *   kshim-pin 1
 *
 *   output init/main.o cc
 *   	tool /usr/bin/clang-19 sha256:4f2c...
 *   	arg -Wp,-MMD,init/.main.o.d
 *   	arg -nostdinc
 *   	arg -I$S/include
 *
 * One block per (output, role), sorted bytewise by its "output" line
 * (kshimctl pin save writes them so; kshim finds a block by bisection, so a
 * call costs a few page reads, not a parse of the file). Outputs are relative
 * to the build directory; in arguments the build and source directories are
 * written $B and $S so that a pin holds for a tree anywhere. Escapes: "\\",
 * "\$", "\xNN" (control bytes, bytes of non-UTF-8 words, and in output names
 * spaces).
 */
#ifndef KSHIM_PIN_H
#define KSHIM_PIN_H

#include "digest.h"
#include "strvec.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct pin_block {
	char *output;		/* escaped, as in the file */
	char *role;
	char *tool;		/* escaped path */
	char tool_sha[SHA256_HEX_LEN + 1];
	struct strvec args;	/* escaped words, as in the file */
	int line;		/* of the "output" line */
};

/* A word as a pin writes it: dirs as $B/$S, escaped; spaces too if asked (names, paths) (heap). */
char *pin_escape(const char *word, const char *build_dir, const char *src_dir, int spaces);
/* Back to bytes for this tree; NULL on a malformed word (*why set). */
char *pin_unescape(const char *word, const char *build_dir, const char *src_dir, const char **why);

/* A whole pin file, checked (header, syntax, order). 0, or -1 after an error "file:line: ...". */
int pin_load(const char *path, struct pin_block **blocks, size_t *n);
void pin_blocks_free(struct pin_block *b, size_t n);

/*
 * The block of (output, role) in the pin at path, by bisection over the
 * mapped file (a linear scan if the file is not in order). 1 found, 0 not
 * pinned, -1 error (message printed: file missing, malformed block).
 */
int pin_find(const char *path, const char *output_escaped, const char *role, struct pin_block *b);
void pin_block_release(struct pin_block *b);

/* Escaped words of a not in b, as multisets: a JSON array of strings. */
json_t *pin_words_minus(const struct strvec *a, const struct strvec *b);

/* Write blocks (sorted here) as a pin file to f, with a comment line. */
void pin_write(FILE *f, struct pin_block *blocks, size_t n, const char *comment);

#endif
