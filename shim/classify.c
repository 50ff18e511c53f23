#include "classify.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {
	[ROLE_CC] = "cc", [ROLE_HOSTCC] = "hostcc", [ROLE_LD] = "ld", [ROLE_OBJTOOL] = "objtool",
};

static const char *const mode_names[] = {
	[MODE_VERSION] = "version", [MODE_PREPROCESS] = "preprocess", [MODE_COMPILE] = "compile",
	[MODE_ASSEMBLE] = "assemble", [MODE_LINK] = "link", [MODE_RELOCATABLE] = "relocatable",
	[MODE_REWRITE] = "rewrite", [MODE_CHECK] = "check",
};

const char *role_str(enum role r)
{
	return role_names[r];
}

const char *mode_str(enum mode m)
{
	return mode_names[m];
}

int role_parse(const char *s, enum role *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(role_names); i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	}
	return -1;
}

enum tool_family role_family(enum role r)
{
	switch (r) {
	case ROLE_LD:
		return FAM_GNULD;
	case ROLE_OBJTOOL:
		return FAM_OBJTOOL;
	default:
		return FAM_CLANG;
	}
}

int role_from_name(const char *argv0, struct role_name *rn)
{
	const char *b = path_basename(argv0);
	memset(rn, 0, sizeof(*rn));
	rn->role = ROLE_CC;

	if (strcmp(b, "kshimctl") == 0)
		return -1;
	if (strcmp(b, "kshim") == 0 || strcmp(b, "kshim-cc") == 0) {
		rn->auto_cc = 1;
		return 0;
	}
	if (strcmp(b, "kshim-host") == 0 || strcmp(b, "kshim-hostcc") == 0) {
		rn->role = ROLE_HOSTCC;
		return 0;
	}
	if (strcmp(b, "kshim-ld") == 0) {
		rn->role = ROLE_LD;
		return 0;
	}
	if (strcmp(b, "kshim-objtool") == 0) {
		rn->role = ROLE_OBJTOOL;
		return 0;
	}
	/* Called through a link named after the real tool: "clang-19", "ld.lld", "objtool". */
	rn->masquerade = b;
	if (strcmp(b, "objtool") == 0) {
		rn->role = ROLE_OBJTOOL;
	} else if (starts_with(b, "ld") || strcmp(b, "mold") == 0 || strstr(b, "-ld")) {
		rn->role = ROLE_LD;
	} else {
		rn->auto_cc = 1;
	}
	return 0;
}

const char *probe_output_reason(const char *path)
{
	if (strcmp(path, "/dev/null") == 0)
		return "output is /dev/null";
	if (strcmp(path, "-") == 0)
		return "output is stdout";
	if (starts_with(path, "/tmp/tmp."))
		return "output is a mktemp file";
	/* a directory component (not the file name) named .tmp_* */
	for (const char *p = path; (p = strstr(p, ".tmp_")); p++) {
		if ((p == path || p[-1] == '/') && strchr(p, '/'))
			return "output is in a .tmp_* scratch directory";
	}
	return NULL;
}

static int is_version_query(const struct cmdline *cl, size_t operands)
{
	for (size_t i = 1; i < cl->nr; i++) {
		if (!cl->args[i].is_option)
			continue;
		const char *s = cl->argv.v[cl->args[i].index];
		if (strcmp(s, "--version") == 0 || strcmp(s, "-dumpversion") == 0 ||
		    strcmp(s, "-dumpmachine") == 0 || strcmp(s, "-###") == 0 ||
		    starts_with(s, "-print-") || starts_with(s, "--print-"))
			return 1;
		if ((strcmp(s, "-v") == 0 || strcmp(s, "-V") == 0) && operands == 0)
			return 1;
	}
	return 0;
}

static int is_asm_source(const char *p)
{
	return ends_with(p, ".S") || ends_with(p, ".s") || ends_with(p, ".sx");
}

/* The depfile of "-Wp,-MD,f" / "-Wp,-MMD,f". */
static char *wp_depfile(const char *v)
{
	const char *p = NULL;
	if (starts_with(v, "-MD,"))
		p = v + 4;
	else if (starts_with(v, "-MMD,"))
		p = v + 5;
	if (!p)
		return NULL;
	size_t n = strcspn(p, ",");
	return xstrndup(p, n);
}

static char *default_output(const char *src, const char *ext)
{
	const char *b = path_basename(src);
	const char *dot = strrchr(b, '.');
	size_t n = dot ? (size_t)(dot - b) : strlen(b);
	return xasprintf("%.*s%s", (int)n, b, ext);
}

static void classify_cc(struct classification *c, const struct role_name *rn, const struct cmdline *cl)
{
	int has_c = 0, has_S = 0, has_E = 0, has_M = 0, kernel = 0, asm_lang = 0;
	const char *out = NULL;
	size_t operands = 0;

	for (size_t i = 1; i < cl->nr; i++) {
		const struct arg *a = &cl->args[i];
		const char *s = cl->argv.v[a->index];
		if (!a->is_option) {
			strvec_push(&c->inputs, a->value);
			operands++;
			continue;
		}
		if (a->spec) {
			unsigned f = a->spec->flags;
			if ((f & OPT_OUT) && a->value)
				out = a->value;
			if ((f & OPT_IN) && a->value)
				strvec_push(&c->inputs, a->value);
			if ((f & OPT_DEP) && a->value) {
				free(c->depfile);
				c->depfile = xstrdup(a->value);
			}
			if (strcmp(a->spec->name, "-Wp,") == 0 && a->value) {
				char *d = wp_depfile(a->value);
				if (d) {
					free(c->depfile);
					c->depfile = d;
				}
			}
			if (strcmp(a->spec->name, "--target=") == 0 || strcmp(a->spec->name, "-target") == 0)
				kernel = 1;
			if (strcmp(a->spec->name, "-D") == 0 && a->value && strcmp(a->value, "__KERNEL__") == 0)
				kernel = 1;
			if (strcmp(a->spec->name, "-x") == 0 && a->value && starts_with(a->value, "assembler"))
				asm_lang = 1;
			continue;
		}
		if (strcmp(s, "-c") == 0)
			has_c = 1;
		else if (strcmp(s, "-S") == 0)
			has_S = 1;
		else if (strcmp(s, "-E") == 0)
			has_E = 1;
		else if (strcmp(s, "-M") == 0 || strcmp(s, "-MM") == 0)
			has_M = 1;
		else if (strcmp(s, "-nostdinc") == 0)
			kernel = 1;
	}

	c->role = rn->auto_cc ? (kernel ? ROLE_CC : ROLE_HOSTCC) : rn->role;

	if (is_version_query(cl, operands)) {
		c->mode = MODE_VERSION;
	} else if (has_E || has_M) {
		c->mode = MODE_PREPROCESS;
	} else if (has_c || has_S) {
		int all_asm = operands > 0 || asm_lang;
		for (size_t i = 0; i < c->inputs.nr && !asm_lang; i++)
			if (!is_asm_source(c->inputs.v[i]))
				all_asm = 0;
		c->mode = (has_c && all_asm) ? MODE_ASSEMBLE : MODE_COMPILE;
	} else {
		c->mode = operands ? MODE_LINK : MODE_VERSION;
	}

	if (out) {
		strvec_push(&c->outputs, out);
	} else if (c->mode == MODE_PREPROCESS) {
		strvec_push(&c->outputs, "-");
	} else if (c->mode == MODE_COMPILE || c->mode == MODE_ASSEMBLE) {
		for (size_t i = 0; i < c->inputs.nr; i++)
			if (strcmp(c->inputs.v[i], "-") != 0)
				strvec_push_nodup(&c->outputs, default_output(c->inputs.v[i], has_S ? ".s" : ".o"));
	} else if (c->mode == MODE_LINK) {
		strvec_push(&c->outputs, "a.out");
	}
}

static void classify_ld(struct classification *c, const struct cmdline *cl)
{
	int reloc = 0;
	size_t operands = 0;
	const char *out = NULL;

	c->role = ROLE_LD;
	for (size_t i = 1; i < cl->nr; i++) {
		const struct arg *a = &cl->args[i];
		const char *s = cl->argv.v[a->index];
		if (!a->is_option) {
			strvec_push(&c->inputs, a->value);
			operands++;
			continue;
		}
		if (a->spec) {
			unsigned f = a->spec->flags;
			if ((f & OPT_OUT) && a->value && strcmp(a->spec->name, "-Map") != 0)
				out = a->value;
			if ((f & OPT_IN) && a->value)
				strvec_push(&c->inputs, a->value);
			if ((f & OPT_DEP) && a->value) {
				free(c->depfile);
				c->depfile = xstrdup(a->value);
			}
			continue;
		}
		if (strcmp(s, "-r") == 0 || strcmp(s, "--relocatable") == 0 ||
		    strcmp(s, "-relocatable") == 0 || strcmp(s, "-i") == 0)
			reloc = 1;
	}
	if (is_version_query(cl, operands))
		c->mode = MODE_VERSION;
	else
		c->mode = reloc ? MODE_RELOCATABLE : MODE_LINK;
	if (c->mode != MODE_VERSION)
		strvec_push(&c->outputs, out ? out : "a.out");
}

static void classify_objtool(struct classification *c, const struct cmdline *cl)
{
	int dry = 0;
	c->role = ROLE_OBJTOOL;
	for (size_t i = 1; i < cl->nr; i++) {
		const struct arg *a = &cl->args[i];
		if (!a->is_option) {
			strvec_push(&c->inputs, a->value);
			continue;
		}
		if (strcmp(cl->argv.v[a->index], "--dry-run") == 0)
			dry = 1;
	}
	c->mode = dry ? MODE_CHECK : MODE_REWRITE;
	if (!dry)
		for (size_t i = 0; i < c->inputs.nr; i++)
			strvec_push(&c->outputs, c->inputs.v[i]);
	if (c->inputs.nr == 0)
		c->mode = MODE_VERSION;
}

void classify(struct classification *c, const struct role_name *rn, const struct cmdline *cl)
{
	memset(c, 0, sizeof(*c));
	strvec_init(&c->inputs);
	strvec_init(&c->outputs);

	switch (rn->role) {
	case ROLE_LD:
		classify_ld(c, cl);
		break;
	case ROLE_OBJTOOL:
		classify_objtool(c, cl);
		break;
	default:
		classify_cc(c, rn, cl);
	}

	if (c->mode == MODE_VERSION) {
		c->probe = 1;
		c->probe_why = "version query";
		return;
	}
	for (size_t i = 0; i < c->outputs.nr; i++) {
		const char *why = probe_output_reason(c->outputs.v[i]);
		if (why) {
			c->probe = 1;
			c->probe_why = why;
			return;
		}
	}
	for (size_t i = 0; i < c->inputs.nr; i++) {
		const char *in = c->inputs.v[i];
		if (strcmp(in, "-") == 0 || strcmp(in, "/dev/null") == 0) {
			c->probe = 1;
			c->probe_why = strcmp(in, "-") == 0 ? "input is stdin" : "input is /dev/null";
			return;
		}
	}
}

void classification_release(struct classification *c)
{
	strvec_clear(&c->inputs);
	strvec_clear(&c->outputs);
	free(c->depfile);
	c->depfile = NULL;
}
