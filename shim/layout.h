/*
 * layout: seeded, reproducible perturbation of a link's layout.
 *
 * A rule action "layout = pad | shuffle[:GLOB] | reverse" marks ld calls;
 * the seed comes from KSHIM_SEED (or [layout] seed in the config). Seed 0,
 * or no seed, changes nothing: the call runs exactly as without the rule.
 *
 * Where it acts:
 *  - at a link of a thin archive under --whole-archive (kbuild's vmlinux.a:
 *    the "ld -r" that makes vmlinux.o, and the final vmlinux links, which
 *    read vmlinux.a unless LTO or IBT make them read vmlinux.o) and at any
 *    "ld -r", kshim does it itself, with any linker: those archives are
 *    expanded into
 *    their members, the head objects (scripts/head-object-list.txt of the
 *    kernel source, when there is one) stay first, and then
 *      pad      inserts seeded padding objects between members: relocatable
 *               ELF files (written with libelf) with plain .text, .data,
 *               .rodata and .bss only, never sections whose addresses code
 *               computes with (initcalls, tables, .init.*, ...);
 *      shuffle  permutes the members (those whose path matches GLOB);
 *      reverse  reverses them.
 *    Padding only plain sections is what makes this safe in a final link
 *    whose linker script computes with addresses (x86's vmlinux.lds), where
 *    lld's own --randomize-section-padding breaks it.
 *    When the members are LLVM bitcode (CONFIG_LTO_CLANG_THIN), the members
 *    are the native objects LTO made of them, kept at the reference call and
 *    proved there (lto.h), and the pads' sections are named .text.kshim_pad_N
 *    and so on, to fall between LTO's function and data sections.
 *  - at other links, the linker's own option: lld >= 20
 *    --randomize-section-padding=SEED, lld --shuffle-sections=GLOB=SEED
 *    (GLOB=-1 to reverse), mold --shuffle-sections=SEED / --reverse-sections.
 *    A linker without the option is an error, never a silent no-op.
 *
 * The same seed and the same inputs give the same argv and the same bytes:
 * the padding objects are a function of the seed alone (splitmix64, below;
 * "pad-v1"), written to <log dir>/layout/<digest of the output path>/.
 */
#ifndef KSHIM_LAYOUT_H
#define KSHIM_LAYOUT_H

#include "strvec.h"

#include <jansson.h>
#include <stdint.h>

enum layout_kind { LAYOUT_PAD, LAYOUT_SHUFFLE, LAYOUT_REVERSE };

struct layout_after;

struct layout_req {
	enum layout_kind kind;
	char *glob;		/* shuffle: which members (NULL: all) */
	char *rule;		/* the rule that asked, and where: for messages and the record */
	char *at;		/* "file:line" */
};

/* Parse an action value ("pad", "shuffle", "shuffle:*.o", "reverse"); -1 with *why. */
int layout_parse(const char *value, enum layout_kind *kind, char **glob, const char **why);
const char *layout_kind_str(enum layout_kind k);

/*
 * A seed crosses process boundaries as decimal text (KSHIM_SEED, --seeds,
 * file names) and sits in JSON records and results, whose integers are
 * signed 64-bit: one range everywhere, 0 to 2^63-1. (Seeds of 2^63 and up
 * were stored under negative keys and never found again.)
 */
#define LAYOUT_SEED_MAX 9223372036854775807ull

/*
 * The seed from its setting ([layout] seed, or KSHIM_SEED, which config.c
 * reads): 0 when unset. A value that is not a decimal number from 0 to
 * LAYOUT_SEED_MAX is an error (-1, printed with its origin).
 */
int layout_seed(const char *value, const char *origin, uint64_t *seed);

/* splitmix64: the documented generator behind every seeded choice. */
uint64_t layout_rand(uint64_t *state);

/*
 * Rewrite argv (argv[0] = the linker that runs) for req and seed. relocatable:
 * the call is "ld -r". log_dir: where padding objects go. srcdir: the kernel
 * source tree (head objects), or NULL to look for one ("source" link in the
 * cwd, or the cwd). On success returns 0 and *rec describes what was done
 * (seed, method, counts); on error prints "at: rule NAME: ..." and returns -1.
 */
int layout_apply(const struct layout_req *req, uint64_t seed, int relocatable, const char *output,
		 const char *log_dir, const char *srcdir, struct strvec *argv, json_t **rec, struct layout_after **after);

/*
 * After the call ran (link_ok: it exited 0): what layout_apply left to do,
 * if *after was set: an LTO link's reference keeps its native code (lto.h).
 * Never fails the call; notes go into rec.
 */
void layout_finish(struct layout_after *after, int link_ok, json_t *rec);

#endif
