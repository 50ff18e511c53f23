/*
 * kshim: the multi-call entry point of the compiler, linker and objtool roles.
 * The role comes from the name it was called by (see shim/classify.h); every
 * argument belongs to the real tool, so kshim has no options of its own here
 * ("kshim --help" is clang's help). Its documentation is kshim(1) and
 * "kshimctl help".
 */
#include "invoke.h"

int main(int argc, char **argv)
{
	invoke_main(argc, argv);
}
