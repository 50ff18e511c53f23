/*
 * run: every child kshim and kshimctl start and wait for (but the sweep's
 * forked workers): the real tool of a call, passing its fate on exactly, and
 * kshim's own children (a link on its own account, `make` again, a user's
 * test, `clang --version`), with a working directory, output to a log or
 * captured, added environment, a timeout and a process group of their own.
 *
 * The tool is started with posix_spawn (vfork-speed; exec errors come back
 * as the return value). While it runs, SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * sent to kshim are forwarded to it and kshim keeps waiting, so the tool
 * decides how to die and the record still gets written; wait4 is retried on
 * EINTR. run_exit_like() then makes kshim exit with the same status, or die
 * by the same signal (without a second core dump).
 */
#ifndef KSHIM_RUN_H
#define KSHIM_RUN_H

#include <sys/resource.h>
#include <sys/types.h>

struct run_result {
	int started;		/* 0: the tool could not be started (see spawn_errno) */
	int spawn_errno;
	int exited;		/* 1: exit_code is valid; 0: killed by term_signal */
	int exit_code;
	int term_signal;
	int core_dumped;
	double wall;		/* seconds */
	struct rusage ru;
	int timed_out;		/* killed by run_child's timeout (with its process group) */
	int interrupted;	/* a signal kshim received and forwarded while it ran (0: none) */
};

/* How one of kshim's own children runs; zeroed fields are the defaults (as the tool of a call). */
struct run_opts {
	const char *dir;	/* working directory (NULL: ours) */
	const char *log_path;	/* stdin from /dev/null, stdout and stderr to this file ... */
	int log_truncate;	/* ... truncated first (0: appended to) */
	char *out;		/* stdout captured here, NUL-terminated, cut at out_cap - 1 bytes */
	size_t out_cap;		/*   (stdin and stderr /dev/null) */
	char *const *env_add;	/* KEY=VALUE entries that replace or extend envp (NULL-terminated) */
	double timeout;		/* > 0: killed with SIGKILL after this many seconds */
	int own_group;		/* in a process group of its own; forwarded signals and the
				 * timeout reach the whole group */
	int search_path;	/* path NULL: argv[0] searched in PATH */
	void (*during)(void *arg);	/* called once it has started, before waiting */
	void *during_arg;
};

/*
 * Run path (or argv[0], see search_path) with argv and envp (NULL: environ)
 * as opts say; fills res. Returns 0 if it ran, -1 if it could not start
 * (res->spawn_errno: exec, chdir or the log's open failed).
 */
int run_child(const char *path, char *const argv[], char *const envp[], const struct run_opts *opts,
	      struct run_result *res);

/* argv[0]'s stdout into buf (see run_opts.out): its exit status, or -1 if it did not run or exit. */
int run_capture(char *const argv[], char *buf, size_t cap);

/* The tool of a call: run_child with the defaults. */
int run_tool(const char *path, char *const argv[], char *const envp[], struct run_result *res);

/* The shell-style status: exit code, 128+signal, 127/126 when not started. */
int run_status(const struct run_result *res);

/* Exit the way the tool did. Never returns. */
void run_exit_like(const struct run_result *res) __attribute__((noreturn));

#endif
