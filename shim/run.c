#include "run.h"
#include "strvec.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t child_pid, child_group, got_signal;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void forward(int sig)
{
	int saved = errno;
	if (child_pid > 0)
		kill(child_group ? -(pid_t)child_pid : (pid_t)child_pid, sig);
	got_signal = sig;
	errno = saved;
}

/* envp with the KEY=VALUE entries of add replacing or extending it, in sv. */
static char **env_merge(char *const envp[], char *const add[], struct strvec *sv)
{
	for (size_t i = 0; envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		size_t n = eq ? (size_t)(eq - envp[i]) + 1 : strlen(envp[i]);
		int over = 0;
		for (size_t j = 0; add[j] && !over; j++)
			over = strncmp(envp[i], add[j], n) == 0 && (eq || add[j][n] == '=');
		if (!over)
			strvec_push(sv, envp[i]);
	}
	strvec_pushv(sv, add);
	return sv->v;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/* Wait for pid; with a timeout, kill it (and its group) when the time is up. Returns wait4's status. */
static int wait_child(pid_t pid, const struct run_opts *o, double t0, struct run_result *res)
{
	int status = 0, pfd = o->timeout > 0 ? open_pidfd(pid) : -1;
	for (;;) {
		int timing = o->timeout > 0 && !res->timed_out;
		pid_t w = wait4(pid, &status, timing ? WNOHANG : 0, &res->ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			/* cannot happen unless SIGCHLD is ignored by our caller */
			status = 0;
			res->spawn_errno = errno;
			break;
		}
		if (!timing || w < 0)
			continue;
		double left = o->timeout - (now_mono() - t0);
		if (left <= 0) {
			res->timed_out = 1;
			kill(o->own_group ? -pid : pid, SIGKILL);
		} else if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };
			poll(&p, 1, (int)(left * 1000) + 1);	/* readable when it ends; EINTR: look again */
		} else {
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);	/* no pidfd: poll */
		}
	}
	if (pfd >= 0)
		close(pfd);
	return status;
}

/* Read fd to its end into buf (cut at cap - 1 bytes, the rest drained). */
static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		char tmp[4096];
		ssize_t r = read(fd, n + 1 < cap ? buf + n : tmp, n + 1 < cap ? cap - 1 - n : sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < cap)
			n += (size_t)r;
	}
	buf[n] = '\0';
}

int run_child(const char *path, char *const argv[], char *const envp[], const struct run_opts *opts,
	      struct run_result *res)
{
	static const struct run_opts defaults;
	const struct run_opts *o = opts ? opts : &defaults;
	sigset_t block, old;
	struct sigaction sa, old_sa[ARRAY_SIZE(forwarded)];
	posix_spawnattr_t attr;
	pid_t pid;
	int p[2] = { -1, -1 };

	memset(res, 0, sizeof(*res));
	if (o->out && pipe2(p, O_CLOEXEC) < 0) {
		res->spawn_errno = errno;
		return -1;
	}
	struct strvec env = STRVEC_INIT;
	if (!envp)
		envp = environ;
	if (o->env_add)
		envp = env_merge(envp, o->env_add, &env);

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
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (o->own_group) {
		posix_spawnattr_setpgroup(&attr, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	posix_spawnattr_setflags(&attr, flags);

	/* in order: the log opened where we are, then the directory entered */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (o->log_path) {
		posix_spawn_file_actions_addopen(&fa, 1, o->log_path,
						 O_WRONLY | O_CREAT | (o->log_truncate ? O_TRUNC : O_APPEND), 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else if (o->out) {
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (o->log_path || o->out)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (o->dir)
		posix_spawn_file_actions_addchdir_np(&fa, o->dir);
	double t0 = now_mono();
	got_signal = 0;
	int err = path || !o->search_path ? posix_spawn(&pid, path ? path : argv[0], &fa, &attr, argv, envp)
					  : posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	strvec_clear(&env);
	if (p[1] >= 0)
		close(p[1]);
	if (err) {
		res->spawn_errno = err;
	} else {
		res->started = 1;
		child_group = o->own_group;
		child_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (o->during)
			o->during(o->during_arg);	/* signals are forwarded meanwhile, as while waiting */
		if (o->out)
			read_all(p[0], o->out, o->out_cap);
		int status = wait_child(pid, o, t0, res);
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
		res->interrupted = got_signal;
	}
	if (p[0] >= 0)
		close(p[0]);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old_sa[i], NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return res->started ? 0 : -1;
}

int run_tool(const char *path, char *const argv[], char *const envp[], struct run_result *res)
{
	return run_child(path, argv, envp, NULL, res);
}

int run_capture(char *const argv[], char *buf, size_t cap)
{
	struct run_opts o = { .out = buf, .out_cap = cap };
	struct run_result res;
	if (cap)
		buf[0] = '\0';
	if (run_child(argv[0], argv, NULL, &o, &res) < 0 || !res.exited)
		return -1;
	return res.exit_code;
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
