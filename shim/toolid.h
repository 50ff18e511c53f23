/*
 * toolid: who a real tool is — the SHA-256 of its binary and the first line
 * of its --version, and the version number in it. Expensive to learn and
 * stable while the binary does not change: cached by (path, size, mtime,
 * ctime) in ${XDG_CACHE_HOME:-~/.cache}/kshim/toolids, one line per binary,
 * appended with one write (concurrent callers' lines do not mix; the last
 * matching line wins):
 *
 *   <size> <mtime-ns> <ctime-ns> <sha256> <path>\t<version line or nothing>
 *
 * A changed binary misses the cache and is hashed (and asked) again. The
 * cache is only an optimization: if it cannot be read or written, the tool is
 * hashed and asked each time.
 */
#ifndef KSHIM_TOOLID_H
#define KSHIM_TOOLID_H

#include "digest.h"

#include <stddef.h>

struct tool_id {
	char sha256[SHA256_HEX_LEN + 1];
	char *version;		/* first line of --version, or NULL */
};

/*
 * Identity of the binary at path. ask_version: run "path --version" when the
 * version line is not known yet (the call path of kshim does not: a wrapper
 * script or a fake tool would do who knows what; rule conditions on versions
 * and kshimctl do). 0, or -1 when the binary cannot be read.
 */
int tool_identity(const char *path, struct tool_id *id, int ask_version);
void tool_id_release(struct tool_id *id);


/* "x", "x.y" or "x.y.z" into v (missing parts 0). 0, or -1 when s is not one. */
int version_parse(const char *s, int v[3]);

/* The version in a tool's --version output (first x.y[.z] in the first line). 0 or -1. */
int version_from_output(const char *out, int v[3]);

/* The version in "path --version" (first x.y[.z] of the first line), by tool_identity. 0 or -1. */
int tool_version(const char *path, int v[3]);


#endif
