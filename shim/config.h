/*
 * config: kshim's settings, from INI files and the environment.
 *
 * Files, later ones override earlier ones: /etc/kshim/config.ini,
 * ${XDG_CONFIG_HOME:-~/.config}/kshim/config.ini, then $KSHIM_CONFIG.
 * Environment variables override every file. Each value remembers where it
 * came from ("env KSHIM_CC", "/etc/kshim/config.ini:3") so that kshimctl can
 * explain itself.
 *
 *   [tools]  cc = PATH  hostcc = PATH  ld = PATH  objtool = PATH
 *   [log]    dir = PATH        ; default <build dir>/.kshim  (env KSHIM_DIR)
 *            required = no|yes ; yes: a log that cannot be written fails the call
 *                              ;      (env KSHIM_LOG_REQUIRED=1)
 *   [pin]    file = PATH       ; a pin (kshimctl pin save) checked live (env KSHIM_PIN)
 *            mode = warn|error|enforce   ; default warn (env KSHIM_PIN_MODE)
 *   [layout] seed = N          ; the seed of layout rules; 0 = none (env KSHIM_SEED)
 *
 * A config file that is world-writable or owned by another user (other than
 * root) is refused, as is any unknown section or key: a typo must not
 * silently change what kshim does. Errors are "file:line: message".
 *
 * The settings are one table (config_settings(): section, key, environment
 * variable, field, check, default), read once by config_load(); adding one is
 * a row and a field. `kshimctl config` prints them with their origins.
 */
#ifndef KSHIM_CONFIG_H
#define KSHIM_CONFIG_H

#include "classify.h"

#include <stdio.h>

struct config_value {
	char *value;	/* NULL if unset */
	char *origin;	/* "file:line" or "env NAME" */
};

struct config {
	struct config_value tool[ROLE__N];
	struct config_value log_dir;
	struct config_value log_required;
	struct config_value pin_file, pin_mode;
	struct config_value layout_seed;
	int verbose;
};

/* One setting: [section] key in the files, env in the environment (which wins). */
struct setting {
	const char *section, *key, *env;
	size_t offset;		/* of its struct config_value in struct config */
	int (*check)(const char *value, char *err, size_t n);	/* NULL: any value; else 0, or -1 with err */
	const char *def;	/* what applies when it is unset, in words */
	const char *what;
};

const struct setting *config_settings(size_t *n);
struct config_value *config_field(struct config *cfg, const struct setting *st);

void config_init(struct config *cfg);
void config_release(struct config *cfg);
/* Load the files and the environment. Returns 0, or -1 after printing errors. */
int config_load(struct config *cfg);
/* Parse one file into cfg. missing_ok: a missing file is not an error. */
int config_load_file(struct config *cfg, const char *path, int missing_ok);
int config_bool(const char *v, int *out);
enum pin_mode { PIN_WARN, PIN_ERROR, PIN_ENFORCE };
/* enum pin_mode of "warn", "error", "enforce"; -1 otherwise. */
int pin_mode_parse(const char *s);

/*
 * Check that a file kshim reads instructions from is safe to trust: a regular
 * file, not writable by others, owned by the caller or root. 0 or -1 with a
 * message in *why (static string).
 */
int file_is_safe(int fd, const char **why);

/*
 * inih glue shared by config and rule files: parse path with handler, and
 * make the line number of the current line available through lineno.
 * Lines longer than max_line are an error. Returns 0, or the first error
 * line (>0), or -1 if the file could not be opened (errno set).
 */
struct ini_ctx {
	const char *path;
	int lineno;
	int section_line;	/* line of the last "[...]" header */
	int content_lines;	/* lines that are neither blank nor comments */
	int err_line;
	char err[256];
	int require_utf8;	/* reject lines that are not UTF-8 */
	void *user;
};
typedef int (*ini_ctx_handler)(struct ini_ctx *ctx, const char *section, const char *name, const char *value);
/*
 * Parse path with handler. Returns 0; -1 with errno when it cannot be
 * opened; INT32_MAX when the whole file is refused (check_safe: see
 * file_is_safe; ctx->err says why); else the line of the first error.
 */
int ini_parse_path(const char *path, ini_ctx_handler handler, struct ini_ctx *ctx, int check_safe);
/* The same on an open stream (e.g. fmemopen of bytes already checked); path names it in errors. */
int ini_parse_stream_ctx(FILE *f, const char *path, ini_ctx_handler handler, struct ini_ctx *ctx);

#endif
