/*
 * ctl: the shared machinery of kshimctl's subcommands.
 *
 * Each subcommand is `int cmd_NAME(struct ctl *ctl, int argc, char **argv)`
 * with argv[0] the subcommand's name; it returns the process exit status:
 * 0 success, 1 "the answer is no" (e.g. nothing matched where that matters),
 * 2 usage or input error.
 *
 * The log is found from --dir, else $KSHIM_DIR, else the nearest .kshim/
 * directory in the current directory or a parent (as git finds .git).
 */
#ifndef KSHIM_CTL_H
#define KSHIM_CTL_H

#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

#include "log.h"
#include "strvec.h"

#ifndef KSHIM_VERSION
#define KSHIM_VERSION "0.1.0"
#endif

/* What the load's scan knows of a record without parsing it. */
struct ctl_meta {
	size_t off;		/* in the mapped log */
	size_t len;
	long line;
	const char *build;	/* interned; NULL when the record has none */
	const char *type;	/* interned; NULL when the record has none */
};

/*
 * The log, loaded: every valid record in log order. Records are parsed on
 * first use (ctl_rec): a query of one build of a 100k-record log parses that
 * build's records only. The load checks every record's checksum and reads
 * its build and type from the bytes.
 */
struct ctl {
	char *dir;		/* log directory */
	json_t **recs;		/* parsed records, NULL until ctl_rec() parses one */
	struct ctl_meta *meta;
	size_t nr, alloc;
	long torn;		/* lines skipped by the reader */
	int loaded;
	char *map;		/* the log file, mapped */
	size_t map_len;
	char *log_path;
	json_t *interned;	/* build ids and types: {string: string} */
};

/* Record i, parsed on first use (an empty object for a record that is not JSON, after a warning). */
json_t *ctl_rec(const struct ctl *ctl, size_t i);
/* Record i's build id / type without parsing it (NULL when absent). */
static inline const char *ctl_rec_build(const struct ctl *ctl, size_t i)
{
	return ctl->meta[i].build;
}
static inline const char *ctl_rec_type(const struct ctl *ctl, size_t i)
{
	return ctl->meta[i].type;
}
/* Record i's bytes as the log has them (JSON, no newline); *len its length. */
static inline const char *ctl_rec_raw(const struct ctl *ctl, size_t i, size_t *len)
{
	*len = ctl->meta[i].len;
	return ctl->map + ctl->meta[i].off;
}
/* Is record i of this type and build (NULL: any)? From the scan, without parsing it. */
int ctl_rec_is(const struct ctl *ctl, size_t i, const char *type, const char *build);
/*
 * Top-level members of record i read from its bytes, without building the
 * record: for each of the n keys, vals[k] points at the value's JSON text
 * (lens[k] bytes) or is NULL when the record lacks it. For scalars of many
 * records (kshimctl builds); -1 when the bytes are not a JSON object.
 */
int ctl_rec_members(const struct ctl *ctl, size_t i, const char *const *keys, const char **vals, size_t *lens, int n);
/* May record i hold the JSON string s (a necessary condition: its bytes contain s as JSON writes it)? */
int ctl_rec_may_hold(const struct ctl *ctl, size_t i, const char *s);

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	const char *summary;
	const char *usage;	/* full --help text */
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* Find the log directory (no I/O beyond stat). 0, or -1 after an error message. */
int ctl_find_dir(struct ctl *ctl, const char *opt_dir);
/*
 * The build directory the log belongs to (the parent of a .kshim log
 * directory), whose trusted .kshim/rules.d kshim loads; NULL when the log
 * lives elsewhere. Heap string.
 */
char *ctl_build_dir(const struct ctl *ctl);
/* Load every record; torn lines are reported on stderr. 0 or -1 (error printed). */
int ctl_load(struct ctl *ctl);
void ctl_release(struct ctl *ctl);

/*
 * Resolve a build selector: an exact id, "last" (the build that started
 * last), "last~N", or a unique prefix of an id. Returns a borrowed string, or
 * NULL after an error message.
 */
const char *ctl_build_select(struct ctl *ctl, const char *sel);

/* Builds in order of their first record; borrowed strings, caller frees the array. */
const char **ctl_build_list(struct ctl *ctl, size_t *n);

/* Record field helpers (NULL/0 when absent). */
const char *rec_str(const json_t *rec, const char *key);
double rec_num(const json_t *rec, const char *key);
int rec_bool(const json_t *rec, const char *key);
int rec_is_call(const json_t *rec);
int rec_failed(const json_t *rec);
/* "0", "1", "SIGKILL", ... into buf */
const char *rec_status(const json_t *rec, char *buf, size_t n);

/* Print the --help text of a subcommand. */
int ctl_usage(const struct ctl_cmd *cmd, FILE *f);
const struct ctl_cmd *ctl_find_cmd(const char *name);
/* Print "unknown option" for cmd and return 2. */
int ctl_bad_option(const char *cmd, const char *opt);

/* Absolute directory of the running kshimctl binary; heap string. */
char *ctl_self_dir(void);

int cmd_log(struct ctl *ctl, int argc, char **argv);
int cmd_stats(struct ctl *ctl, int argc, char **argv);
int cmd_builds(struct ctl *ctl, int argc, char **argv);
int cmd_compdb(struct ctl *ctl, int argc, char **argv);
int cmd_make(struct ctl *ctl, int argc, char **argv);
int cmd_demo(struct ctl *ctl, int argc, char **argv);
int cmd_config(struct ctl *ctl, int argc, char **argv);
int cmd_rules(struct ctl *ctl, int argc, char **argv);
int cmd_explain(struct ctl *ctl, int argc, char **argv);
int cmd_stale(struct ctl *ctl, int argc, char **argv);
int cmd_trust(struct ctl *ctl, int argc, char **argv);
int cmd_fingerprint(struct ctl *ctl, int argc, char **argv);
/* The build directory of a build: "build_dir" of its start record, else the cwd of its first call. */
const char *ctl_build_dir_of(const struct ctl *ctl, const char *build);
/* Its source directory (make -C SRC O=BUILD through kshimctl make), or NULL. */
const char *ctl_src_dir_of(const struct ctl *ctl, const char *build);
int cmd_diff(struct ctl *ctl, int argc, char **argv);
/* What changed from build a to build b: {a, b, same, counts: {reason: n}, outputs: {key: {reason, why, elf}}}. */
json_t *ctl_diff(struct ctl *ctl, const char *a, const char *b);
int cmd_pin(struct ctl *ctl, int argc, char **argv);
struct pin_block;
/*
 * Pin blocks of build: one per (output, role), the last successful call
 * winning. whole_tree: the tree as the build left it, i.e. also the outputs
 * of earlier builds of the same build directory that it did not remake (an
 * incremental build's objects). Caller frees with pin_blocks_free.
 */
/* One past the index of build's last record (0 if it has none). */
size_t ctl_build_end(const struct ctl *ctl, const char *build);
/* Is build rb build itself or another build of the directory bdir? Memoized in seen (an object). */
int ctl_same_tree(const struct ctl *ctl, const char *rb, const char *build, const char *bdir, json_t *seen);
struct pin_block *ctl_pin_blocks(const struct ctl *ctl, const char *build, int whole_tree, size_t *n);
int cmd_bisect(struct ctl *ctl, int argc, char **argv);
int cmd_report(struct ctl *ctl, int argc, char **argv);
int cmd_bundle(struct ctl *ctl, int argc, char **argv);
int cmd_sweep(struct ctl *ctl, int argc, char **argv);
int cmd_replay(struct ctl *ctl, int argc, char **argv);
/* The manifest of a build (see ctl-fingerprint.c); new reference. */
json_t *build_manifest(const struct ctl *ctl, const char *build);

/* ---- ctl-run.c: rebuilding a tree with make and judging it with a test ---- */

/* The "build start" record of build (kshimctl make writes it), or NULL. */
const json_t *ctl_build_start(const struct ctl *ctl, const char *build);
/*
 * The make arguments and directory recorded at its start, and whether it ran
 * with --preload-only (NULL: not asked): 0, or -1 if it was not made by
 * kshimctl make.
 */
int ctl_make_args_of(const struct ctl *ctl, const char *build, struct strvec *args, char **cwd, int *preload_only);
/*
 * Run argv (searched in PATH) in dir, stdin from /dev/null, stdout and stderr
 * to logpath, with extra env entries (KEY=VALUE), in a process group of its
 * own; killed (the group) after timeout seconds if timeout > 0 (run_child in
 * run.c). Returns the exit status, 128+signal, 127 when it could not run (the
 * reason is in the log). A ^C meanwhile reaches the group, then kshimctl dies of it.
 */
int ctl_run_logged(char *const argv[], const char *dir, const char *logpath, const struct strvec *env,
		   double timeout, int *timed_out);
/* program with exactly the environment envp, in dir, stdin /dev/null, output appended to logpath: its status */
int ctl_run_env(const char *program, char *const argv[], char *const envp[], const char *dir, const char *logpath);
/*
 * `kshimctl make --dir log_dir --build-id id [--preload-only] -- make_args` in
 * cwd, output to logpath: its exit status.
 */
int ctl_remake(const char *log_dir, const char *cwd, const struct strvec *make_args, int preload_only, const char *id,
	       const struct strvec *env, const char *logpath);
/*
 * `sh -c test` in build_dir (output to logpath): {result: pass|fail, exit,
 * reason (a timeout, the test's last FAIL line or its last line), tail, seconds}.
 */
json_t *ctl_run_test(const char *test, const char *build_dir, const char *logpath, const struct strvec *env,
		     double timeout);
/* The last n non-empty lines of a file, as a JSON array. */
json_t *ctl_file_tail(const char *path, int n);
/* The first line of make output that says error, else its last line (heap). */
char *ctl_build_error_reason(const char *logpath);
/* The last line of a test's output that says FAIL, or NULL (heap). */
char *ctl_verdict_line(const char *path);
/* Does this compile read a file written since t0 (downstream of a relink, e.g. x86's boot wrapper)? */
int ctl_compile_downstream(const json_t *r, double t0);
/* Write j to path through a temporary file and rename. 0 or -1 (error printed). */
int ctl_write_json_atomic(const char *path, json_t *j);
/* Copy a file (unlinking to first), with its mode, and its times if keep_times. 0 or -1 (errno). */
int ctl_copy_file(const char *from, const char *to, int keep_times);
/* ctl-make.c: append a record (a build's start or end event) to the log; a failure is a warning. Takes rec. */
void ctl_append_event(struct log_writer *w, json_t *rec);

/* ---- ctl-relink.c: a relink by its link sub-makes alone ---- */

/*
 * The steps of build id (records after offset; made with KSHIM_ALL_EXECS=make):
 * [{cwd, program, argv, env, seconds}], the sub-makes that did the link, in
 * order. NULL with *why (heap) when the steps alone would not do: no make
 * recorded, every make a step, or a call outside them after the layout call.
 */
json_t *ctl_steps_learn(const char *log_dir, const char *id, off_t offset, char **why);
/*
 * Run the steps as build id (start and end events in log_dir's log, the
 * start with make_cwd and make_args: the make the steps stand for), with
 * env's KEY=VALUE entries over the recorded environment; output appended to
 * logpath. The exit status of the first step that fails, else 0.
 */
int ctl_steps_run(const json_t *steps, const char *log_dir, const char *build_dir, const char *make_cwd,
		  const struct strvec *make_args, int preload_only, const char *id, const struct strvec *env,
		  const char *logpath);

/* This kshimctl binary's path (heap). */
char *ctl_self_kshimctl(void);
/* "42s", "3m05s", "1h02m" */
void ctl_fmt_eta(double s, char *buf, size_t n);

#endif
