/*
 * rules: rule files that change what reaches the real tool.
 *
 *   [rule no-merge-all-constants]
 *   why     = clang once defaulted to -fmerge-all-constants
 *   role    = cc                   ; cc hostcc ld objtool (any of; repeatable)
 *   mode    = compile assemble     ; any of (see classify.h)
 *   output  = kernel/ **.o         ; globs on the outputs, as the caller wrote them
 *   source  = drivers/gpu/ **      ; globs on the inputs
 *                                  ; (written here with a space: no space in a rule file)
 *   has     = -O2                  ; the call has an argument matching this (all of)
 *   lacks   = -fno-merge-*         ; ... and none matching this
 *   tool    = clang >= 15, < 20    ; real tool name (and "-N" suffix), version range
 *   target  = arm*-linux-*         ; glob on --target= (cc) or -m emulation (ld)
 *   arch    = arm                  ; x86_64 i386 arm arm64 riscv ... from the target
 *   probes  = no                   ; no (default) | yes | only
 *   add       = -fno-merge-all-constants   ; after the caller's arguments
 *   add-front = -Wno-foo                   ; before them
 *   remove    = -fmerge-all-constants -Wno-*   ; arguments (option + its value)
 *   replace   = -O2 => -O1                 ; A => B, A matched as an argument
 *   linker    = mold                       ; ld calls run this linker instead
 *   env       = CCACHE_DIR=/tmp/c -LANG    ; set / unset (leading '-') for the tool
 *   launcher  = ccache                     ; run "launcher tool args..."
 *   layout    = pad                        ; pad | shuffle[:GLOB] | reverse, with the seed
 *                                          ; KSHIM_SEED (see layout.h); needs role = ld
 *
 * Files load in this order, rules apply in it, each seeing the argv left by
 * those before: the *.ini files of /etc/kshim/rules.d, then of
 * ~/.config/kshim/rules.d (both sorted by name), then KSHIM_RULES (colon-
 * separated files or directories), then those of <build dir>/.kshim/rules.d
 * that `kshimctl trust` vetted (see trust.h); the others are listed in
 * ruleset.untrusted and not loaded.
 *
 * Parsing 200 rules costs more than the rest of a call, so a parsed set is
 * cached (rules-cache.c), keyed by every file's identity and times.
 *
 * Values are split into words with response-file quoting ('...', "...",
 * backslash). Matching an argument: a pattern word P matches an argument
 * whose first element matches the glob P, or whose option name is P ("-D"
 * matches "-DX" and "-D X"), or whose name and value written together are P
 * ("-DX" matches "-D X"). Patterns of two words ("-meabi gnu") match an
 * option and its separate value.
 *
 * Any error in any rule file stops the call with "file:line: message":
 * the real tool never runs with a partial rule set.
 */
#ifndef KSHIM_RULES_H
#define KSHIM_RULES_H

#include "argmodel.h"
#include "classify.h"
#include "layout.h"
#include "strvec.h"

#include <jansson.h>
#include <sys/stat.h>

enum action_kind { ACT_ADD, ACT_ADD_FRONT, ACT_REMOVE, ACT_REPLACE, ACT_LINKER, ACT_ENV, ACT_LAUNCHER, ACT_LAYOUT };

struct rule_action {
	enum action_kind kind;
	struct strvec words;	/* add/add-front/remove/env: words; replace: from; linker/launcher/layout: [0] */
	struct strvec to;	/* replace: to */
	int line;
};

enum ver_op { VER_EQ, VER_NE, VER_LT, VER_LE, VER_GT, VER_GE };
struct ver_cond {
	enum ver_op op;
	int v[3];
};

/* One condition key with its line, for explain's "first condition that failed". */
struct rule_cond {
	const char *key;	/* static: "role", "output", ... */
	struct strvec words;
	int line;
};

struct rule {
	char *name;
	char *file;
	int line;		/* of the [rule NAME] header */
	char *why;
	unsigned roles;		/* bit per enum role; 0 = any */
	unsigned modes;		/* bit per enum mode; 0 = any */
	int probes;		/* 0 no, 1 yes, 2 only */
	char *tool_name;
	struct ver_cond ver[4];
	int nver;
	struct rule_cond *conds;	/* output, source, has, lacks, target, arch, tool: in file order */
	size_t nconds;
	struct rule_action *acts;
	size_t nacts;
	int role_line, mode_line, probes_line;
	int needs_args;		/* has has/lacks/target/arch, or remove/replace: looks at the arguments */
};

struct ruleset {
	struct rule *v;
	size_t nr;
	struct strvec files;	/* in load order */
	struct strvec untrusted;	/* project-local files not loaded: not trusted (or changed since) */
	json_t *names;		/* rule name -> index, for duplicate detection (built on first use) */
	int from_cache;		/* read from the parsed-rule cache ... */
	char *blob;		/* ... whose strings are in here, not on the heap one by one, */
	char *arena;		/* ... and the arrays (rules, conditions, actions, words) in here */
};

/* The files a ruleset is made of, in load order, with what stat said. */
struct rule_source {
	char *path;
	struct stat st;
	int local;		/* project-local: needs trust */
};
struct rule_sources {
	struct rule_source *v;
	size_t nr;
};

/* Collect the standard sources (see above); errors printed, -1. */
int rule_sources_collect(struct rule_sources *s, const char *build_dir);
void rule_sources_release(struct rule_sources *s);
/* Append the files path stands for (itself, or a directory's *.ini sorted). */
int rule_sources_add_path(struct rule_sources *s, const char *path, int missing_ok);

/*
 * The parsed-rule cache. read: 0 when a valid entry for exactly these
 * sources (and this trust store) filled rs, else -1 (silently: the caller
 * parses). write: best effort, never an error; skipped while a source is
 * younger than the file system's timestamp granularity could tell apart.
 */
int rules_cache_read(struct ruleset *rs, const struct rule_sources *s);
void rules_cache_write(const struct ruleset *rs, const struct rule_sources *s);

/* The static key string of a condition ("output", ..., "tool"), or NULL. */
const char *rule_cond_key(const char *name);

void ruleset_init(struct ruleset *rs);
void ruleset_release(struct ruleset *rs);

/*
 * Load the rule files in the standard order. build_dir may be NULL (no
 * project-local rules). Returns 0, or -1 after printing "file:line: ..."
 * errors (all files are read, so several errors are reported at once).
 */
int ruleset_load(struct ruleset *rs, const char *build_dir);
/* Load one file, or the .ini files of a directory (sorted), and append their rules. */
int ruleset_load_path(struct ruleset *rs, const char *path, int missing_ok);

/* What a call looks like to the rules. */
struct rule_subject {
	enum role role;
	enum mode mode;
	int probe;
	const struct strvec *outputs;
	const struct strvec *inputs;
	const char *tool;	/* resolved real tool path */
};

/* The effect of applying rules to one call. */
struct rule_effect {
	struct strvec argv;	/* argv after rules (argv[0] = the real tool) */
	char *tool;		/* the tool to run (linker rules change it) */
	char *launcher;		/* NULL or the launcher path/name */
	struct strvec env_set;	/* KEY=VALUE */
	struct strvec env_unset;
	json_t *applied;	/* array: {rule, at, changes: [...]} for the record */
	int argv_changed;	/* argv differs from the caller's (then @files are passed expanded) */
	struct layout_req *layout;	/* a layout action matched (applied later, with the seed) */
};

void rule_effect_release(struct rule_effect *e);

/*
 * Apply rs to argv (argv[0] is replaced by tool). fam: the tool family.
 * Returns 0, or -1 after an error (a linker or launcher that cannot be found).
 */
int rules_apply(const struct ruleset *rs, const struct rule_subject *subj, enum tool_family fam,
		char *const *argv, struct rule_effect *eff);

/*
 * Does rule r match? If not and why is non-NULL, *why says which condition
 * failed first ("file:line: output = ...: no output matches").
 * Heap string, caller frees.
 */
int rule_matches(const struct rule *r, const struct rule_subject *subj, const struct cmdline *cl, char **why);

/* Does version v meet every condition of c[0..n)? (Parsing versions: toolid.h.) */
int version_in_range(const int v[3], const struct ver_cond *c, int n);

/* Does the pattern word p match the argument a of cl? */
int rule_arg_matches(const struct cmdline *cl, const struct arg *a, const char *p);

#endif
