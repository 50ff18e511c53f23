/*
 * names: what kshim calls things on disk and in its records, in one place,
 * with no dependencies, so that the preload library (which links nothing of
 * kshim's) spells them the same way.
 */
#ifndef KSHIM_NAMES_H
#define KSHIM_NAMES_H

#define KSHIM_LOG_DIRNAME ".kshim"	/* in the build directory: the log and kshim's state */
#define LOG_FILE "log.jsonl"		/* in the log directory */
#define LOG_SCHEMA 1			/* "kshim": N, the first member of every record */
#define LOG_SCHEMA_STR "1"
#define KSHIM_RULES_DIRNAME "rules.d"	/* project-local rules: <build dir>/.kshim/rules.d */

#endif
