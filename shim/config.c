#include "config.h"
#include "util.h"

#include <errno.h>
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

void config_release(struct config *cfg)
{
	for (int i = 0; i < ROLE__N; i++) {
		free(cfg->tool[i].value);
		free(cfg->tool[i].origin);
	}
	free(cfg->log_dir.value);
	free(cfg->log_dir.origin);
	free(cfg->pin_file.value);
	free(cfg->pin_file.origin);
	free(cfg->pin_mode.value);
	free(cfg->pin_mode.origin);
	free(cfg->layout_seed.value);
	free(cfg->layout_seed.origin);
	free(cfg->log_required.value);
	free(cfg->log_required.origin);
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
	char *origin = xasprintf("%s:%d", ctx->path, ctx->lineno);
	if (strcmp(section, "tools") == 0) {
		enum role r;
		if (role_parse(name, &r) == 0) {
			value_set(&cfg->tool[r], value, origin);
			return 1;
		}
	} else if (strcmp(section, "log") == 0) {
		if (strcmp(name, "dir") == 0) {
			value_set(&cfg->log_dir, value, origin);
			return 1;
		}
		if (strcmp(name, "required") == 0) {
			int b;
			if (config_bool(value, &b) < 0) {
				snprintf(ctx->err, sizeof(ctx->err), "'%s' is not a boolean (use yes or no)", value);
				free(origin);
				return 0;
			}
			value_set(&cfg->log_required, value, origin);
			return 1;
		}
	} else if (strcmp(section, "pin") == 0) {
		if (strcmp(name, "file") == 0) {
			value_set(&cfg->pin_file, value, origin);
			return 1;
		}
		if (strcmp(name, "mode") == 0) {
			if (pin_mode_parse(value) < 0) {
				snprintf(ctx->err, sizeof(ctx->err), "pin mode '%s' is not warn, error or enforce", value);
				free(origin);
				return 0;
			}
			value_set(&cfg->pin_mode, value, origin);
			return 1;
		}
	} else if (strcmp(section, "layout") == 0) {
		if (strcmp(name, "seed") == 0) {
			value_set(&cfg->layout_seed, value, origin);	/* checked where it is used: KSHIM_SEED wins */
			return 1;
		}
	} else {
		snprintf(ctx->err, sizeof(ctx->err), "unknown section '[%s]'", section);
		free(origin);
		return 0;
	}
	snprintf(ctx->err, sizeof(ctx->err), "unknown key '%s' in [%s]", name, section);
	free(origin);
	return 0;
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

	env_override(&cfg->tool[ROLE_CC], "KSHIM_CC");
	env_override(&cfg->tool[ROLE_HOSTCC], "KSHIM_HOSTCC");
	env_override(&cfg->tool[ROLE_LD], "KSHIM_LD");
	env_override(&cfg->tool[ROLE_OBJTOOL], "KSHIM_OBJTOOL");
	env_override(&cfg->log_dir, "KSHIM_DIR");
	env_override(&cfg->log_required, "KSHIM_LOG_REQUIRED");
	env_override(&cfg->pin_file, "KSHIM_PIN");
	env_override(&cfg->pin_mode, "KSHIM_PIN_MODE");
	if (cfg->pin_mode.value && pin_mode_parse(cfg->pin_mode.value) < 0)
		ret = error("%s: pin mode '%s' is not warn, error or enforce", cfg->pin_mode.origin, cfg->pin_mode.value);
	const char *verbose = getenv("KSHIM_VERBOSE");
	if (verbose && *verbose && config_bool(verbose, &cfg->verbose) < 0)
		cfg->verbose = 1;
	if (cfg->log_required.value) {
		int b;
		if (config_bool(cfg->log_required.value, &b) < 0)
			ret = error("%s: '%s' is not a boolean (use yes or no)", cfg->log_required.origin,
				    cfg->log_required.value);
	}
	return ret;
}
