/*
 * A dynamically linked stand-in for a tool (objtool, clang, ...): writes its
 * argv, one per line, to $FAKE_ARGV and exits with $FAKE_EXIT (default 0).
 * A compiled program, not a script, so that fexecve and execveat on an
 * O_CLOEXEC descriptor can run it.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *out = getenv("FAKE_ARGV"), *code = getenv("FAKE_EXIT");
	if (out && *out) {
		FILE *f = fopen(out, "w");
		if (!f)
			return 98;
		for (int i = 0; i < argc; i++)
			fprintf(f, "%s\n", argv[i]);
		fclose(f);
	}
	return code ? atoi(code) : 0;
}
