/* execloop N PROGRAM [ARGS...]: posix_spawn PROGRAM N times, one after another, waiting for each. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: execloop N PROGRAM [ARGS...]\n");
		return 2;
	}
	long n = atol(argv[1]);
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int st;
		if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "execloop: run %ld of %s failed\n", i, argv[2]);
			return 1;
		}
	}
	return 0;
}
