/*
 * run: run the real tool and wait for it, passing its fate on exactly.
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
};

/* Run path with argv and envp; fills res. Returns 0 if it ran, -1 if it could not start. */
int run_tool(const char *path, char *const argv[], char *const envp[], struct run_result *res);

/*
 * The same, calling during(arg) once the tool has started and before waiting
 * for it: work that does not depend on what the tool writes, done while
 * kshim would otherwise sit in wait4.
 */
int run_tool_during(const char *path, char *const argv[], char *const envp[], struct run_result *res,
		    void (*during)(void *arg), void *arg);

/*
 * The same for kshim's own work (a link it runs on its own account): stdin
 * from /dev/null, stdout and stderr appended to log_path, so that nothing
 * reaches the build's output.
 */
int run_tool_logged(const char *path, char *const argv[], char *const envp[], const char *log_path,
		    struct run_result *res);

/* The shell-style status: exit code, 128+signal, 127/126 when not started. */
int run_status(const struct run_result *res);

/* Exit the way the tool did. Never returns. */
void run_exit_like(const struct run_result *res) __attribute__((noreturn));

#endif
