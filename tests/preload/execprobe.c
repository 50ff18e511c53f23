/*
 * execprobe ENTRY PROGRAM [ARGS...]: run PROGRAM through one exec-family
 * entry point, as a program under libkshim-preload.so would.
 *
 * exec* entries replace the process; posix_spawn* wait and exit with the
 * child's status. On failure it prints "errno=N" and exits 99, so the tests
 * can check that the preload leaves errno exactly as the real call does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int fail(int e)
{
	printf("errno=%d\n", e);
	return 99;
}

static int spawned(int ret, const pid_t *pidp)
{
	int st;
	pid_t pid = *pidp;
	if (ret != 0)
		return fail(ret);	/* posix_spawn returns the error */
	if (waitpid(pid, &st, 0) < 0)
		return fail(errno);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: execprobe ENTRY PROGRAM [ARGS...]\n");
		return 2;
	}
	const char *entry = argv[1], *prog = argv[2];
	char **av = argv + 2;	/* the program's argv[0] is PROGRAM as given */
	pid_t pid = 0;
	errno = 0;
	if (!strcmp(entry, "execve"))
		execve(prog, av, environ);
	else if (!strcmp(entry, "execv"))
		execv(prog, av);
	else if (!strcmp(entry, "execvp"))
		execvp(prog, av);
	else if (!strcmp(entry, "execvpe"))
		execvpe(prog, av, environ);
	else if (!strcmp(entry, "execl"))
		execl(prog, prog, argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, (char *)NULL);
	else if (!strcmp(entry, "execlp"))
		execlp(prog, prog, argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, (char *)NULL);
	else if (!strcmp(entry, "execle"))
		execle(prog, prog, argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, (char *)NULL, environ);
	else if (!strcmp(entry, "posix_spawn"))
		return spawned(posix_spawn(&pid, prog, NULL, NULL, av, environ), &pid);
	else if (!strcmp(entry, "posix_spawnp"))
		return spawned(posix_spawnp(&pid, prog, NULL, NULL, av, environ), &pid);
	else if (!strcmp(entry, "fexecve") || !strcmp(entry, "execveat")) {
		int fd = open(prog, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(errno);
		if (!strcmp(entry, "fexecve"))
			fexecve(fd, av, environ);
		else
			execveat(fd, "", av, environ, AT_EMPTY_PATH);
	} else {
		fprintf(stderr, "execprobe: unknown entry '%s'\n", entry);
		return 2;
	}
	return fail(errno);
}
