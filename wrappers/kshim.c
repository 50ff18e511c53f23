/*
 * kshim: the multi-call entry point of the compiler, linker and objtool roles.
 * The role comes from the name it was called by (see shim/classify.h); every
 * argument belongs to the real tool, so kshim has no options of its own here
 * ("kshim --help" is clang's help). Its documentation is kshim(1) and
 * "kshimctl help". As kshim-exec it is the --all-execs recorder of
 * libkshim-preload.so (shim/exec.c).
 */
#include "invoke.h"
#include "util.h"

#include <string.h>

/* Defined by libkshim-preload.so when it is loaded into a dynamically linked kshim (sanitizer builds). */
extern void kshim_preload_passthrough(void) __attribute__((weak));

int main(int argc, char **argv)
{
	/* kshim's own execs (the real tool, the program of kshim-exec) are never routed back into kshim */
	if (kshim_preload_passthrough)
		kshim_preload_passthrough();
	if (strcmp(path_basename(argv[0]), "kshim-exec") == 0)
		exec_main(argc, argv);
	invoke_main(argc, argv);
}
