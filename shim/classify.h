/*
 * classify: what one call is — its role, its mode, whether it is a kbuild
 * probe — and which files it reads and writes.
 *
 * Roles come from the name kshim was called by (see role_from_name()).
 * "kshim" decides between cc and hostcc per call: kernel code is compiled
 * with -D__KERNEL__, -nostdinc or --target=, host tools are not.
 *
 * Probes are kbuild's feature tests: version queries (--version, -v alone,
 * -dumpversion, -print-*), and calls that write to /dev/null, "-", a
 * ".tmp_*" scratch directory (scripts/Makefile.compiler's TMPOUT) or a
 * mktemp file (/tmp/tmp.*), or read stdin or /dev/null. A probe is never
 * rewritten unless a rule asks for it, since a flag added to a probe
 * silently flips CONFIG_CC_HAS_* and friends.
 */
#ifndef KSHIM_CLASSIFY_H
#define KSHIM_CLASSIFY_H

#include "argmodel.h"
#include "strvec.h"

enum role { ROLE_CC, ROLE_HOSTCC, ROLE_LD, ROLE_OBJTOOL, ROLE__N };

enum mode {
	MODE_VERSION,		/* --version, -v, -print-*: answers a question */
	MODE_PREPROCESS,	/* -E, -M */
	MODE_COMPILE,		/* -c or -S of C and other languages */
	MODE_ASSEMBLE,		/* -c of .S/.s */
	MODE_LINK,		/* final link (cc without -c/-S/-E, or ld) */
	MODE_RELOCATABLE,	/* ld -r */
	MODE_REWRITE,		/* objtool rewriting an object in place */
	MODE_CHECK,		/* objtool --dry-run */
	MODE__N
};

/* How kshim was called: a fixed role, or "compiler, decide per call". */
struct role_name {
	enum role role;
	int auto_cc;		/* kshim / a compiler-named link: cc or hostcc per call */
	const char *masquerade;	/* argv[0] basename when it is not a kshim name (e.g. "clang-19") */
};

/* 0 on success, -1 if name is not a role (e.g. "kshimctl"). */
int role_from_name(const char *argv0, struct role_name *rn);
enum tool_family role_family(enum role r);
const char *role_str(enum role r);
const char *mode_str(enum mode m);
int role_parse(const char *s, enum role *r);

struct classification {
	enum role role;
	enum mode mode;
	int probe;
	const char *probe_why;	/* static string: why this is a probe */
	struct strvec inputs;
	struct strvec outputs;
	char *depfile;		/* NULL if none */
};

void classify(struct classification *c, const struct role_name *rn, const struct cmdline *cl);
void classification_release(struct classification *c);

/* Probe heuristics on one output path; exposed for tests. */
const char *probe_output_reason(const char *path);

#endif
