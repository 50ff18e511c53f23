#include "config.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void value_set(struct config_value *v, const char *value, char *origin)
{
	free(v->value);
	free(v->origin);
	v->value = xstrdup(value);
	v->origin = origin;
}

/* ---- the settings, as data --------------------------------------------------------- */

static int check_bool(const char *v, char *err, size_t n)
{
	int b;
	if (config_bool(v, &b) == 0)
		return 0;
	snprintf(err, n, "'%s' is not a boolean (use yes or no)", v);
	return -1;
}

static int check_pin_mode(const char *v, char *err, size_t n)
{
	if (pin_mode_parse(v) >= 0)
		return 0;
	snprintf(err, n, "pin mode '%s' is not warn, error or enforce", v);
	return -1;
}

#define AT(field) offsetof(struct config, field)

/* Sorted by section, then key (a unit test keeps it so). */
static const struct setting settings[] = {
	{ "layout", "seed", "KSHIM_SEED", AT(layout_seed), NULL, "0 (no seed: layout rules change nothing)",
	  "the seed of layout rules (checked where it is used)" },
	{ "log", "dir", "KSHIM_DIR", AT(log_dir), NULL, "BUILD_DIR/.kshim", "where the log goes" },
	{ "log", "required", "KSHIM_LOG_REQUIRED", AT(log_required), check_bool, "no",
	  "yes: a log that cannot be written fails the call" },
	{ "pin", "file", "KSHIM_PIN", AT(pin_file), NULL, "none", "a pin checked live on every call" },
	{ "pin", "mode", "KSHIM_PIN_MODE", AT(pin_mode), check_pin_mode, "warn", "warn, error or enforce" },
	{ "tools", "cc", "KSHIM_CC", AT(tool[ROLE_CC]), NULL, "the name called, LLVM=, then PATH",
	  "the real compiler for kernel code" },
	{ "tools", "hostcc", "KSHIM_HOSTCC", AT(tool[ROLE_HOSTCC]), NULL, "the name called, LLVM=, then PATH",
	  "the real compiler for host programs" },
	{ "tools", "ld", "KSHIM_LD", AT(tool[ROLE_LD]), NULL, "the name called, LLVM=, then PATH", "the real linker" },
	{ "tools", "objtool", "KSHIM_OBJTOOL", AT(tool[ROLE_OBJTOOL]), NULL, "./tools/objtool/objtool",
	  "the real objtool" },
};

const struct setting *config_settings(size_t *n)
{
	*n = ARRAY_SIZE(settings);
	return settings;
}

struct config_value *config_field(struct config *cfg, const struct setting *st)
{
	return (struct config_value *)((char *)cfg + st->offset);
}

static const struct setting *setting_find(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		struct config_value *v = config_field(cfg, &settings[i]);
		free(v->value);
		free(v->origin);
	}
	memset(cfg, 0, sizeof(*cfg));
}

int pin_mode_parse(const char *s)
{
	static const char *const names[] = { [PIN_WARN] = "warn", [PIN_ERROR] = "error", [PIN_ENFORCE] = "enforce" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int config_bool(const char *v, int *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off", "" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

int file_is_safe(int fd, const char **why)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		*why = "cannot stat";
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		*why = "is a directory";
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "is not a regular file";
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		*why = "is world-writable";
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		*why = "is owned by another user";
		return -1;
	}
	return 0;
}

struct reader {
	FILE *f;
	struct ini_ctx *ctx;
	int too_long;
};

/* fgets-style reader for ini_parse_stream that counts lines and rejects long ones. */
static char *reader_gets(char *str, int num, void *stream)
{
	struct reader *r = stream;
	if (!fgets(str, num, r->f))
		return NULL;
	r->ctx->lineno++;
	size_t n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(r->f)) {
		int c;
		while ((c = fgetc(r->f)) != EOF && c != '\n')
			;
		if (!r->ctx->err_line) {
			r->ctx->err_line = r->ctx->lineno;
			snprintf(r->ctx->err, sizeof(r->ctx->err), "line longer than %d bytes", num - 1);
		}
		str[0] = '\0';	/* hand inih an empty line */
	}
	const char *p = str + strspn(str, " \t\r\n");
	if (*p && *p != ';' && *p != '#')
		r->ctx->content_lines++;
	if (*p == '[') {
		r->ctx->section_line = r->ctx->lineno;
		if (!strchr(p, ']') && !r->ctx->err_line) {
			r->ctx->err_line = r->ctx->lineno;
			snprintf(r->ctx->err, sizeof(r->ctx->err), "unterminated section header (missing ']')");
		}
	}
	if (r->ctx->require_utf8 && !utf8_valid(str, strlen(str)) && !r->ctx->err_line) {
		r->ctx->err_line = r->ctx->lineno;
		snprintf(r->ctx->err, sizeof(r->ctx->err), "bytes that are not UTF-8");
		str[0] = '\0';
	}
	return str;
}

struct handler_thunk {
	ini_ctx_handler fn;
	struct ini_ctx *ctx;
};

static int thunk(void *user, const char *section, const char *name, const char *value)
{
	struct handler_thunk *t = user;
	if (t->ctx->err_line)
		return 1;	/* keep the first error */
	if (!t->fn(t->ctx, section, name, value)) {
		t->ctx->err_line = t->ctx->lineno;
		return 0;
	}
	return 1;
}

int ini_parse_stream_ctx(FILE *f, const char *path, ini_ctx_handler handler, struct ini_ctx *ctx)
{
	ctx->path = path;
	ctx->lineno = 0;
	ctx->section_line = 0;
	ctx->content_lines = 0;
	ctx->err_line = 0;
	ctx->err[0] = '\0';
	struct reader r = { f, ctx, 0 };
	struct handler_thunk t = { handler, ctx };
	int ret = ini_parse_stream(reader_gets, &r, thunk, &t);
	if (ctx->err_line)
		return ctx->err_line;
	if (ret > 0) {
		ctx->err_line = ret;
		snprintf(ctx->err, sizeof(ctx->err), "syntax error (expected '[section]' or 'key = value')");
	}
	return ret;
}

int ini_parse_path(const char *path, ini_ctx_handler handler, struct ini_ctx *ctx, int check_safe)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	if (check_safe) {
		const char *why;
		if (file_is_safe(fileno(f), &why) < 0) {
			fclose(f);
			ctx->path = path;
			ctx->err_line = 0;
			snprintf(ctx->err, sizeof(ctx->err), "refusing to read: file %s", why);
			return INT32_MAX;	/* sentinel: whole-file error */
		}
	}
	int ret = ini_parse_stream_ctx(f, path, handler, ctx);
	fclose(f);
	return ret;
}

static int config_handler(struct ini_ctx *ctx, const char *section, const char *name, const char *value)
{
	struct config *cfg = ctx->user;
	const struct setting *st = setting_find(section, name);
	if (!st) {
		int known = 0;
		for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
			known |= strcmp(settings[i].section, section) == 0;
		if (known)
			snprintf(ctx->err, sizeof(ctx->err), "unknown key '%s' in [%s]", name, section);
		else
			snprintf(ctx->err, sizeof(ctx->err), "unknown section '[%s]'", section);
		return 0;
	}
	if (st->check && st->check(value, ctx->err, sizeof(ctx->err)) < 0)
		return 0;
	value_set(config_field(cfg, st), value, xasprintf("%s:%d", ctx->path, ctx->lineno));
	return 1;
}

int config_load_file(struct config *cfg, const char *path, int missing_ok)
{
	struct ini_ctx ctx = { .user = cfg };
	int ret = ini_parse_path(path, config_handler, &ctx, 1);
	if (ret < 0) {
		if (missing_ok && errno == ENOENT)
			return 0;
		return error("cannot read config '%s': %s", path, strerror(errno));
	}
	if (ret == INT32_MAX)
		return error("%s: %s", path, ctx.err);
	if (ret > 0)
		return error("%s:%d: %s", path, ret, ctx.err);
	return 0;
}

static void env_override(struct config_value *v, const char *name)
{
	const char *e = getenv(name);
	if (e && *e)
		value_set(v, e, xasprintf("env %s", name));
}

int config_load(struct config *cfg)
{
	int ret = 0;
	if (config_load_file(cfg, "/etc/kshim/config.ini", 1) < 0)
		ret = -1;
	char *user = user_config_path("kshim/config.ini");
	if (user && config_load_file(cfg, user, 1) < 0)
		ret = -1;
	free(user);
	const char *explicit = getenv("KSHIM_CONFIG");
	if (explicit && *explicit && config_load_file(cfg, explicit, 0) < 0)
		ret = -1;

	/* the environment wins over every file; checked as a file's value is */
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		struct config_value *v = config_field(cfg, &settings[i]);
		env_override(v, settings[i].env);
		char err[256];
		if (v->value && settings[i].check && settings[i].check(v->value, err, sizeof(err)) < 0)
			ret = error("%s: %s", v->origin, err);
	}
	const char *verbose = getenv("KSHIM_VERBOSE");
	if (verbose && *verbose && config_bool(verbose, &cfg->verbose) < 0)
		cfg->verbose = 1;
	return ret;
}
