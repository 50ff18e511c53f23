/*
 * argmodel: what the command line of a compiler driver, a GNU-style linker or
 * objtool means, as data.
 *
 * Each tool family has a table of options sorted by name (a unit test keeps
 * it sorted) saying which options take an argument and how: separate ("-o f"),
 * joined ("-of", "-DX", "--target=x") or both, and what the argument is (a
 * path, an output, an input). Parsing splits an argv into args: one option
 * with its argument (one or two argv elements) or one operand. Unknown
 * options are taken as flags of one element, which is what every driver does
 * with options it does not know the arity of.
 *
 * "@file" response files are expanded (GNU/libiberty quoting: whitespace
 * separates; '...' and "..." quote; backslash escapes the next character;
 * nested @files are expanded up to a depth limit). An unreadable @file stays
 * as a literal argument, as gcc and clang do.
 */
#ifndef KSHIM_ARGMODEL_H
#define KSHIM_ARGMODEL_H

#include "strvec.h"

enum tool_family {
	FAM_CLANG,	/* clang/gcc driver */
	FAM_GNULD,	/* ld.lld, mold, GNU ld */
	FAM_OBJTOOL,
};

enum opt_flags {
	OPT_SEP    = 1u << 0,	/* "-o f": the argument is the next element */
	OPT_JOINED = 1u << 1,	/* "-of" / "--target=x": the argument is glued on */
	OPT_PATH   = 1u << 2,	/* the argument is a path */
	OPT_OUT    = 1u << 3,	/* ... which names an output */
	OPT_IN     = 1u << 4,	/* ... which names an input (-include, -T) */
	OPT_DEP    = 1u << 5,	/* ... which names a depfile (-MF, -Wp,-MMD,f) */
	OPT_EQ     = 1u << 6,	/* GNU ld long option that also takes "--name=value" */
};

struct opt_spec {
	const char *name;	/* as spelled, e.g. "-o", "-Wp,", "--target=" */
	unsigned flags;
};

struct opt_table {
	const struct opt_spec *v;
	size_t nr;
};

/* One logical argument: an option with its argument, or an operand. */
struct arg {
	size_t index;			/* first element in cmdline.argv */
	size_t count;			/* elements taken: 1 or 2 */
	const struct opt_spec *spec;	/* NULL for operands and unknown options */
	const char *value;		/* option argument or operand; NULL for flags */
	int is_option;
};

struct cmdline {
	enum tool_family fam;
	struct strvec argv;	/* argv[0] included, @files expanded */
	struct arg *args;	/* args[0] is argv[0] */
	size_t nr;
	int expanded;		/* 1 if any @file was expanded */
};

const struct opt_table *argmodel_table(enum tool_family fam);
const char *argmodel_family_name(enum tool_family fam);

/*
 * Look up one element. Returns the spec and sets *joined to the argument
 * glued to it (or NULL when the argument is separate or there is none).
 */
const struct opt_spec *argmodel_lookup(enum tool_family fam, const char *elem,
				       const char **joined);

/*
 * Expand @file arguments of argv (argv[0] is never expanded) into out.
 * Returns the number of @files expanded.
 */
int argmodel_expand_atfiles(char *const *argv, struct strvec *out);
/* Split the contents of a response file into out (libiberty rules). */
void argmodel_split_response(const char *text, struct strvec *out);

/* Parse argv (argv[0] included) into cl. cl must be released with cmdline_release. */
void cmdline_parse(struct cmdline *cl, enum tool_family fam, char *const *argv);
void cmdline_release(struct cmdline *cl);
/*
 * Parse more elements appended to the end of the command line (no @file
 * expansion). Returns -1, changing nothing, when the last argument is an
 * option still waiting for its separate value: then parse the whole again.
 */
int cmdline_append(struct cmdline *cl, char *const *more);

/* 1 if the plain flag elem occurs as an option (exact element match). */
int cmdline_has(const struct cmdline *cl, const char *elem);

#endif
