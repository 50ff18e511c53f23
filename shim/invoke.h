/*
 * invoke: one call of a shim role, from argv to exit status.
 *
 *   argv -> parse (@files expanded) -> classify -> resolve the real tool ->
 *   rules -> run it -> [fingerprint] -> append the log record -> exit like it
 *
 * The user's build must never break because of kshim's bookkeeping: if the
 * log cannot be written, the tool still runs, its status is the call's, and
 * kshim warns once per build and counts the loss (unless [log] required =
 * yes, which makes it an error before the tool runs). Errors in what kshim
 * was asked to do (a broken config, no real tool) stop the call with status
 * 125 and a message, because a build that silently ran without them is worse
 * than one that stopped.
 *
 * kshim's own exit statuses: 125 (kshim error), 126/127 (the real tool could
 * not be run / was not found), otherwise the tool's status or signal.
 */
#ifndef KSHIM_INVOKE_H
#define KSHIM_INVOKE_H

#include "argmodel.h"
#include "build.h"
#include "classify.h"
#include "config.h"
#include "resolve.h"
#include "rules.h"
#include "run.h"
#include "deptab.h"
#include "fingerprint.h"
#include "strvec.h"

#include <jansson.h>

#define KSHIM_EXIT_ERROR 125
#define KSHIM_MAX_DEPTH 8

struct invocation {
	char **argv_in;			/* as received, not owned */
	struct role_name rn;
	struct config cfg;
	struct cmdline cl;
	struct classification cls;
	struct resolved_tool tool;
	struct ruleset rules;
	struct rule_effect eff;		/* what the rules did */
	struct strvec run_argv;		/* argv as run; argv[0] is the real tool (or the launcher) */
	const char *run_path;		/* what is executed: the tool, or the launcher */
	struct build_info build;
	struct run_result res;
	double t_start, t_end;		/* epoch seconds */
	double mono_start, self_time;	/* seconds spent in kshim, not in the tool */
	double self_during;		/* seconds of kshim's work done while the tool ran (fingerprints) */
	struct deptab *deptab;		/* the build's header table, opened while the tool ran */
	int depth;			/* > 0: run by a tool that kshim ran (a wrapper script calling kshim again) */
	int fingerprint;		/* compute the "fp" member (not for probes; KSHIM_FINGERPRINT=0 turns it off) */
	json_t *fp;			/* inputs and "before" digests, taken before the tool runs */
	json_t *pin;			/* what [pin] found: status match|drift|enforced|unpinned, the drift */
	json_t *layout;			/* what a layout rule did: seed, method, ... and the output's layout digest */
	struct layout_after *layout_after;	/* what the layout rule finishes after the call (an LTO reference) */
	struct strvec plain_argv;		/* that reference's argv without the capture options */
};

/* Entry point of the compiler, linker and objtool roles. Never returns. */
int invoke_main(int argc, char **argv) __attribute__((noreturn));

/* Build the log record of a finished invocation (exposed for tests). */
json_t *invocation_record(const struct invocation *inv);
json_t *json_strvec(char *const *v, size_t n);
/* exit or signal, wall, utime, stime, maxrss of a finished tool into rec. */
void record_result(json_t *rec, const struct run_result *r);
/*
 * Append rec (consumed) to the log; a failure is counted as a lost record
 * and warned about once per build. Returns 0, or KSHIM_EXIT_ERROR when the
 * record could not be written and required is set.
 */
struct log_writer;
int record_append(struct log_writer *w, const char *log_dir, const char *build, json_t *rec, int required);
/* kshim-exec: run KSHIM_EXEC with argv[1..] and log a light "exec" record (libkshim-preload.so --all-execs). */
int exec_main(int argc, char **argv) __attribute__((noreturn));

#endif
