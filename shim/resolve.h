/*
 * resolve: find the real tool behind a role, never kshim itself.
 *
 * First hit wins:
 *   1. KSHIM_CC / KSHIM_HOSTCC / KSHIM_LD / KSHIM_OBJTOOL (via config)
 *   2. [tools] in the config files
 *   3. the name kshim was called by, when it is a link named after a tool
 *      ("clang-19" -> clang-19)
 *   4. kbuild's LLVM variable, as the kernel Makefile reads it:
 *      LLVM=/usr/lib/llvm-19/bin/ -> prefix, LLVM=-19 -> suffix, LLVM=1 -> none
 *      (objtool: ./tools/objtool/objtool in the build directory)
 *   5. the default names: clang, ld.lld, objtool
 * A name without '/' is searched on PATH, skipping every entry that is kshim
 * itself by canonical path (a "clang" symlink to kshim in front of the real
 * one). Finding nothing but kshim is a "recursive invocation" error.
 */
#ifndef KSHIM_RESOLVE_H
#define KSHIM_RESOLVE_H

#include "classify.h"
#include "config.h"

struct resolved_tool {
	char *path;	/* absolute or as found on PATH */
	char *how;	/* "env KSHIM_CC", "LLVM=-19", "PATH", ... */
};

/*
 * self: canonical path of the running kshim binary (NULL: read /proc/self/exe).
 * Returns 0, or -1 after printing an error that says what was tried.
 */
int resolve_tool(enum role role, const struct role_name *rn, const struct config *cfg,
		 const char *self, struct resolved_tool *out);
void resolved_tool_release(struct resolved_tool *t);

/* The default program name for a role under kbuild's LLVM variable; heap string. */
char *resolve_llvm_name(enum role role, const char *llvm);

/* A program given by path or name (PATH search), never kshim itself; heap string or NULL. */
char *resolve_program(const char *name);

/* Search PATH for name, skipping candidates whose canonical path is self. */
char *resolve_path_search(const char *name, const char *path_env, const char *self, int *skipped_self);

#endif
