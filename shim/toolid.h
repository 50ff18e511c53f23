/*
 * toolid: facts about a real tool that are expensive to learn and stable
 * while the binary does not change, cached by (path, size, mtime) in
 * ${XDG_CACHE_HOME:-~/.cache}/kshim/tools, one line per tool:
 *
 *   <size> <mtime-ns> <major>.<minor>.<patch> <path>
 *
 * A changed binary misses the cache and is asked again. The cache is only
 * an optimization: if it cannot be read or written, the tool is asked.
 */
#ifndef KSHIM_TOOLID_H
#define KSHIM_TOOLID_H

#include <stddef.h>

/* "x", "x.y" or "x.y.z" into v (missing parts 0). 0, or -1 when s is not one. */
int version_parse(const char *s, int v[3]);

/* The version in a tool's --version output (first x.y[.z] in the first line). 0 or -1. */
int version_from_output(const char *out, int v[3]);

/* The version in "path --version" (first x.y[.z] of the first line). 0 or -1. */
int tool_version(const char *path, int v[3]);


#endif
