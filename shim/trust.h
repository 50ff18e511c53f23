/*
 * trust: which project-local rule files the user has vetted.
 *
 * A kernel tree may carry .ini files in <build dir>/.kshim/rules.d, and a rule can
 * put anything into the compiler's argv (-fplugin=, -load, a launcher). So
 * those files are used only after `kshimctl trust` recorded their SHA-256
 * under their canonical path; a file whose bytes changed is untrusted again.
 *
 * The store is ${XDG_CONFIG_HOME:-~/.config}/kshim/trusted, outside every
 * build tree, one entry per line:
 *
 *   sha256:<64 hex>  /canonical/path/of/file.ini
 *
 * It is refused like a rule file when another user could have written it.
 */
#ifndef KSHIM_TRUST_H
#define KSHIM_TRUST_H

#include "strvec.h"
#include "digest.h"

struct trust {
	struct strvec digests;	/* "sha256:hex", parallel to paths */
	struct strvec paths;
	char *store;		/* the store's path */
};

void trust_init(struct trust *t);
void trust_release(struct trust *t);
/*
 * Read the store. A missing store is empty. Returns 0, or -1 after printing
 * "file:line: message" (malformed line, unsafe file).
 */
int trust_load(struct trust *t);
/* Is (canonical path, "sha256:hex") trusted? */
int trust_has(const struct trust *t, const char *path, const char *digest);
/* Record path's digest (replacing an older one); remove with digest NULL. */
void trust_set(struct trust *t, const char *path, const char *digest);
/* Write the store atomically (temp file + rename). 0 or -1 after an error message. */
int trust_save(const struct trust *t);

#endif
