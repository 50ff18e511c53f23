/*
 * build: which build a call belongs to, and where its log lives.
 *
 * A build is one top-level make run. kshimctl make names it explicitly
 * (KSHIM_BUILD, KSHIM_DIR in the environment). When make is run by hand,
 * kshim walks its parent processes through /proc to the top-level make (the
 * MAKELEVEL-th make ancestor, MAKELEVEL being what make exports to recipes):
 * the build id is "make-<pid>-<start time in clock ticks>" of that make (stable
 * for the whole run, unique across reboots in practice), and the build
 * directory is that make's O= argument if it has one, else its working
 * directory. With no make among the ancestors the parent process stands in
 * for it ("proc-<pid>-<ticks>": one shell script is one build) and the build
 * directory is the current directory.
 *
 * The log directory is $KSHIM_DIR, else [log] dir, else <build dir>/.kshim.
 */
#ifndef KSHIM_BUILD_H
#define KSHIM_BUILD_H

#include <sys/types.h>

struct build_info {
	char *id;
	char *build_dir;	/* NULL when only KSHIM_DIR was used */
	char *log_dir;
};

struct proc_stat {
	pid_t pid, ppid;
	char comm[64];
	unsigned long long start;	/* clock ticks since boot */
};

int proc_stat_read(pid_t pid, struct proc_stat *ps);

/* log_dir_cfg: the configured log dir, or NULL. Never fails: falls back to cwd. */
void build_discover(struct build_info *bi, const char *log_dir_cfg);
void build_info_release(struct build_info *bi);

#endif
