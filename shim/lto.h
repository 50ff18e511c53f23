/*
 * lto: the native code of an LTO link, kept once so that layout seeds can
 * pad between it without running LTO again.
 *
 * With CONFIG_LTO_CLANG the members of vmlinux.a (and of lib.a) are LLVM
 * bitcode; their code exists only after the LTO backends that run inside the
 * "ld -r" making vmlinux.o. A seed has to move that code, so kshim keeps the
 * native object LTO made of each bitcode module and links those instead.
 *
 * Capture. At the reference call (the layout rule matched, seed 0) kshim
 * adds "--save-temps=prelink --why-extract=FILE" to lld's argv: lld then
 * writes the native object of each ThinLTO module next to its archive as
 * "OUT.lto.ARCHIVE(MEMBER at OFFSET).o", and why each archive member was
 * loaded. Neither changes the output (vmlinux.o stays byte-identical; the
 * e2e test compares), so the reference is kbuild's own in-process LTO,
 * once, and nothing more. When the argv uses a ThinLTO cache (cached modules
 * would not be written again), or when a seed finds nothing stored, kshim
 * runs the same link itself instead, without the cache options and into a
 * scratch output.
 *
 * Proof. The natives are moved into the store, and kshim relinks them with
 * the link's own options in lld's own order (regular objects as they were
 * loaded, then the LTO objects in module order, each after the archive
 * members that its code pulled in) and compares that with the reference's
 * output: every section, byte and relocation equal, the symbols equal as a
 * set (elfobj_same_code). Only natives that pass are kept. So a seed links
 * exactly the code kbuild's LTO made for each object.
 *
 * Store. ${XDG_CACHE_HOME:-~/.cache}/kshim/lto/KEY/: manifest.json and the
 * natives. KEY is a digest of the linker binary, the argv (less -o) and
 * every input file's path and contents (archive members included), so a
 * changed object or flag misses, and the hard-link trees of sweep --jobs,
 * mounted at the same path, share one capture. Captures of one key are
 * serialised by a lock; the least recently used stores beyond 4 GiB go.
 *
 * Full LTO (one regular-LTO module for all of vmlinux.a: CONFIG_LTO_CLANG_FULL)
 * leaves nothing to pad between: the manifest says so and every seed stops
 * with an error naming the limitation. lld older than 17 cannot write the
 * natives alone (no --save-temps=prelink): seeds stop with an error too.
 */
#ifndef KSHIM_LTO_H
#define KSHIM_LTO_H

#include "strvec.h"

#include <jansson.h>

/* 1 when the link (argv[0] = the linker that runs) reads LLVM bitcode. */
int lto_reads_bitcode(char *const *argv);

struct lto_capture;

/*
 * The reference call of a layout rule: when the link reads bitcode and its
 * natives are not stored yet, add the capture options to argv and return a
 * capture to finish after the link ran. *cap stays NULL when there is
 * nothing to do. Never fails the call: a capture that cannot be set up is
 * left to the first seed, with a note in rec.
 */
void lto_capture_begin(struct lto_capture **cap, char *const *argv, struct strvec *run_argv, json_t *rec);

/*
 * After the reference call: keep and prove the natives (link_ok: the link
 * exited 0). Problems are warnings and a note in rec: the build goes on.
 */
void lto_capture_end(struct lto_capture *cap, int link_ok, json_t *rec);

struct lto_natives {
	char *dir;		/* the store directory */
	json_t *manifest;
	json_t *by_path;	/* object path -> its entry in manifest "objects" */
};

/*
 * A seed: the natives of the link argv, from the store or captured now.
 * rec gets "lto": {store, natives, captured, ...}. 0, or -1 with a message
 * (full LTO, an old lld, a capture that failed or did not prove equal).
 */
int lto_natives_get(struct lto_natives *n, char *const *argv, json_t *rec);
void lto_natives_release(struct lto_natives *n);

/*
 * What a seed links for an input of the reference link: a bitcode object's
 * native (NULL when LTO made no code for it: it is left out), any other
 * object as it is.
 */
const char *lto_native_of(const struct lto_natives *n, const char *path);

/*
 * The objects the reference loaded from the archive at path (not under
 * --whole-archive), in load order, natives for bitcode: appended to out.
 * Returns how many.
 */
size_t lto_loaded_from(const struct lto_natives *n, const char *path, struct strvec *out);

#endif
