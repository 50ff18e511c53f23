/*
 * wstatus: run a command and print how it ended, "exit N" or "signal N", so
 * that tests can tell a tool killed by SIGSEGV from one that exited 139.
 * Always exits 0 itself unless it could not run the command.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid;
	int status;
	if (argc < 2) {
		fprintf(stderr, "usage: wstatus CMD [ARGS...]\n");
		return 2;
	}
	int err = posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
	if (err) {
		fprintf(stderr, "wstatus: cannot run '%s': %s\n", argv[1], strerror(err));
		return 2;
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
	else
		printf("exit %d\n", WEXITSTATUS(status));
	return 0;
}
