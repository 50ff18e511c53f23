/*
 * wstatus: run a command and print how it ended, "exit N" or "signal N", so
 * that tests can tell a tool killed by SIGSEGV from one that exited 139.
 * Always exits 0 itself unless it could not run the command.
 *
 * The command starts with every signal at its default action, as from a
 * terminal: a test run in the background by a non-interactive shell inherits
 * SIGINT and SIGQUIT ignored, which a shell script cannot undo.
 */
#include <signal.h>
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
	posix_spawnattr_t attr;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	int err = posix_spawnp(&pid, argv[1], NULL, &attr, argv + 1, environ);
	posix_spawnattr_destroy(&attr);
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
