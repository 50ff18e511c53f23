/*
 * samecode A B: exit 0 when the relocatable objects A and B hold the same
 * code but for the order of their symbol tables (elfobj_same_code), 1 with
 * the first difference on stdout when they do not, 2 when one cannot be read.
 */
#include "elfobj.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	util_progname = "samecode";
	if (argc != 3) {
		fprintf(stderr, "usage: samecode A B\n");
		return 2;
	}
	char *why = NULL;
	int same = elfobj_same_code(argv[1], argv[2], &why);
	if (same == 0)
		printf("%s\n", why);
	free(why);
	return same == 1 ? 0 : same == 0 ? 1 : 2;
}
