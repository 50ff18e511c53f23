/*
 * thinar: what kind of file a link input is, and the members of kbuild's
 * thin archives. The one place kshim reads archives.
 *
 * kbuild makes built-in.a, lib.a and vmlinux.a with "ar cDPrST": thin
 * archives ("!<thin>\n"), whose member headers name files instead of holding
 * them. A member's path is relative to the archive's directory (or
 * absolute), and long names live in the "//" table. A member that is itself
 * a thin archive is read in its place, as the linker does (at most 4 deep).
 *
 * A member's header offset is kept: lld names a bitcode member's LTO module
 * "ARCHIVE(BASENAME at OFFSET)", and that name is how kshim finds the native
 * object LTO made of it (lto.h).
 *
 * Nothing here writes; a damaged archive yields the members read before the
 * damage (the linker would refuse it anyway).
 */
#ifndef KSHIM_THINAR_H
#define KSHIM_THINAR_H

#include "strvec.h"

#include <stddef.h>

enum file_kind {
	FILE_OTHER,		/* not readable, or none of these */
	FILE_ELF,		/* "\177ELF" */
	FILE_BITCODE,		/* LLVM bitcode: "BC\xC0\xDE", or the wrapper 0x0B17C0DE */
	FILE_THIN_ARCHIVE,	/* "!<thin>\n" */
	FILE_ARCHIVE,		/* "!<arch>\n": members stored in it */
};

enum file_kind file_kind_of(const void *buf, size_t len);
enum file_kind file_kind(const char *path);
const char *file_kind_str(enum file_kind k);

struct thin_member {
	char *path;		/* as the linker opens it: the archive's directory joined with name */
	char *name;		/* as stored in the header or the long-name table */
	char *archive;		/* the (innermost) thin archive that lists it, as given */
	size_t offset;		/* of its header in that archive */
};

struct thinar {
	struct thin_member *m;
	size_t nr, alloc;
};

#define THINAR_INIT { NULL, 0, 0 }

/*
 * Append the members of the thin archive at path to ar (recursively).
 * Returns 1 when path is a thin archive, 0 when it is not (ar untouched).
 */
int thinar_read(const char *path, struct thinar *ar);
void thinar_release(struct thinar *ar);

/* The same, member paths only. */
int thin_archive_members(const char *path, struct strvec *out);

#endif
