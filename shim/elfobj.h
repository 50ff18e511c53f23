/*
 * elfobj: every use of libelf in kshim, reading and writing, in one place.
 *
 *  - sections: what a fingerprint says of an ELF output (per section name,
 *    type, flags, address, size, alignment and a digest of the contents),
 *    and the two digests made of that list:
 *      placement  everything but the contents ("layout" in a fingerprint):
 *                 tells "only moved" from "contents changed" in a diff;
 *      layout     everything including the contents ("digest" in a layout
 *                 record): two seeds differ here even when a final image's
 *                 large alignments keep every section's address and size.
 *  - padding objects: the relocatable objects a layout seed inserts between
 *    the members of a link (layout.h), shaped like a member of that link.
 *  - same code: whether two relocatable objects hold the same bytes, the
 *    same relocations and the same symbols, whatever the order of their
 *    symbol tables: how kshim proves that the native objects it keeps of an
 *    LTO link are exactly what that link's LTO produced (lto.h).
 */
#ifndef KSHIM_ELFOBJ_H
#define KSHIM_ELFOBJ_H

#include "digest.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The sections of the ELF image buf[0..len): [{name, type, flags, addr, size,
 * align, sha256?}] (no sha256 for SHT_NOBITS), and its placement digest.
 * NULL when buf is not ELF.
 */
json_t *elfobj_sections(const void *buf, size_t len, char placement[SHA256_HEX_LEN + 1]);

/* The layout digest of a list made by elfobj_sections(). */
void elfobj_layout_digest(const json_t *sections, char out[SHA256_HEX_LEN + 1]);

/*
 * Write a padding object to path (atomically), shaped like the ELF object
 * like (class, byte order, machine, flags), with sizes[] bytes of .text,
 * .data, .rodata and .bss (0: no such section); x86 text is int3. With a
 * suffix the sections are named ".text.SUFFIX" and so on, each its own
 * output section of an "ld -r", as the function and data sections of LTO's
 * native code are (kbuild's linker scripts take .text.* with .text under
 * LTO); without one they merge into the neighbours' .text. 0, or -1 with a
 * message.
 */
int elfobj_write_pad(const char *path, const char *like, const size_t sizes[4], const char *suffix);

/*
 * 1 when the relocatable objects a and b have the same header, the same
 * sections in the same order with the same attributes and bytes, the same
 * symbols (as a set: name, value, size, type, binding, visibility, section)
 * and the same relocations (each naming the same symbol): the same object
 * but for the order of its symbol table. 0 with *why (heap) saying the first
 * difference; -1 with a message when either cannot be read.
 */
int elfobj_same_code(const char *a, const char *b, char **why);

#endif
