#include "run.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void forward(int sig)
{
	int saved = errno;
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
	errno = saved;
}

int run_tool(const char *path, char *const argv[], char *const envp[], struct run_result *res)
{
	return run_tool_during(path, argv, envp, res, NULL, NULL);
}

static int spawn_wait(const char *path, char *const argv[], char *const envp[], const char *log_path,
		      struct run_result *res, void (*during)(void *arg), void *arg)
{
	sigset_t block, old;
	struct sigaction sa, old_sa[ARRAY_SIZE(forwarded)];
	posix_spawnattr_t attr;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	sigemptyset(&block);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&block, forwarded[i]);
	/* Block first so that a signal arriving before child_pid is set is forwarded, not lost. */
	sigprocmask(SIG_BLOCK, &block, &old);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: wait4 sees EINTR and loops */
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		sigaction(forwarded[i], NULL, &old_sa[i]);
		/* A signal ignored by our caller (nohup) stays ignored for us and the tool. */
		if (old_sa[i].sa_handler != SIG_IGN)
			sigaction(forwarded[i], &sa, NULL);
	}

	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &old);
	sigset_t deflt;
	sigemptyset(&deflt);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		if (old_sa[i].sa_handler != SIG_IGN)
			sigaddset(&deflt, forwarded[i]);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (log_path) {
		posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	}
	double t0 = now_mono();
	int err = posix_spawn(&pid, path, log_path ? &fa : NULL, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		res->spawn_errno = err;
	} else {
		res->started = 1;
		child_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (during)
			during(arg);	/* signals are forwarded meanwhile, as while waiting */
		int status;
		for (;;) {
			pid_t w = wait4(pid, &status, 0, &res->ru);
			if (w == pid)
				break;
			if (w < 0 && errno != EINTR) {
				/* cannot happen unless SIGCHLD is ignored by our caller */
				status = 0;
				res->spawn_errno = errno;
				break;
			}
		}
		res->wall = now_mono() - t0;
		child_pid = 0;
		if (WIFSIGNALED(status)) {
			res->term_signal = WTERMSIG(status);
			res->core_dumped = WCOREDUMP(status);
		} else {
			res->exited = 1;
			res->exit_code = WEXITSTATUS(status);
		}
		sigprocmask(SIG_BLOCK, &block, NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old_sa[i], NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return res->started ? 0 : -1;
}

int run_tool_during(const char *path, char *const argv[], char *const envp[], struct run_result *res,
		    void (*during)(void *arg), void *arg)
{
	return spawn_wait(path, argv, envp, NULL, res, during, arg);
}

int run_tool_logged(const char *path, char *const argv[], char *const envp[], const char *log_path,
		    struct run_result *res)
{
	return spawn_wait(path, argv, envp, log_path, res, NULL, NULL);
}

int run_status(const struct run_result *res)
{
	if (!res->started)
		return res->spawn_errno == ENOENT ? 127 : 126;
	if (res->exited)
		return res->exit_code;
	return 128 + res->term_signal;
}

void run_exit_like(const struct run_result *res)
{
	if (res->started && !res->exited) {
		int sig = res->term_signal;
		/* The tool already dumped core if it was going to; do not add ours. */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		/* only reached for signals whose default is not to terminate */
	}
	exit(run_status(res));
}
