#include "resolve.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const base_names[] = {
	[ROLE_CC] = "clang", [ROLE_HOSTCC] = "clang", [ROLE_LD] = "ld.lld", [ROLE_OBJTOOL] = "objtool",
};

char *resolve_llvm_name(enum role role, const char *llvm)
{
	const char *base = base_names[role];
	if (!llvm || !*llvm || role == ROLE_OBJTOOL)
		return xstrdup(base);
	size_t n = strlen(llvm);
	if (llvm[n - 1] == '/')
		return xasprintf("%s%s", llvm, base);
	if (llvm[0] == '-')
		return xasprintf("%s%s", base, llvm);
	return xstrdup(base);
}

static int is_executable_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int same_file(const char *p, const char *self)
{
	char buf[PATH_MAX];
	if (!self || !realpath(p, buf))
		return 0;
	return strcmp(buf, self) == 0;
}

char *resolve_path_search(const char *name, const char *path_env, const char *self, int *skipped_self)
{
	if (!path_env || !*path_env)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	const char *p = path_env;
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = n ? xasprintf("%.*s/%s", (int)n, p, name) : xasprintf("./%s", name);
		if (is_executable_file(cand)) {
			if (!same_file(cand, self))
				return cand;
			if (skipped_self)
				*skipped_self = 1;
		}
		free(cand);
		if (!colon)
			return NULL;
		p = colon + 1;
	}
}

static int finish(struct resolved_tool *out, const char *name, const char *how, const char *self)
{
	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return error("real tool '%s' (from %s) is not an executable file", name, how);
		if (same_file(name, self))
			return error("recursive invocation: real tool '%s' (from %s) is kshim itself", name, how);
		out->path = xstrdup(name);
		out->how = xstrdup(how);
		return 0;
	}
	int skipped = 0;
	char *found = resolve_path_search(name, getenv("PATH"), self, &skipped);
	if (!found) {
		if (skipped)
			return error("recursive invocation: the only '%s' on PATH is kshim itself (from %s); "
				     "set KSHIM_CC/KSHIM_LD or [tools] in the config", name, how);
		return error("cannot find the real tool '%s' (from %s) on PATH", name, how);
	}
	out->path = found;
	out->how = xasprintf("%s, PATH", how);
	return 0;
}

static const char *self_path(char *buf, size_t n)
{
	ssize_t k = readlink("/proc/self/exe", buf, n - 1);
	if (k <= 0)
		return NULL;
	buf[k] = '\0';
	return buf;
}

char *resolve_program(const char *name)
{
	char selfbuf[PATH_MAX];
	const char *self = self_path(selfbuf, sizeof(selfbuf));
	if (strchr(name, '/'))
		return is_executable_file(name) && !same_file(name, self) ? xstrdup(name) : NULL;
	return resolve_path_search(name, getenv("PATH"), self, NULL);
}

int resolve_tool(enum role role, const struct role_name *rn, const struct config *cfg,
		 const char *self, struct resolved_tool *out)
{
	char selfbuf[PATH_MAX];
	memset(out, 0, sizeof(*out));
	if (!self)
		self = self_path(selfbuf, sizeof(selfbuf));

	const struct config_value *v = &cfg->tool[role];
	if (!v->value && role == ROLE_HOSTCC)
		v = &cfg->tool[ROLE_CC];
	if (v->value)
		return finish(out, v->value, v->origin, self);

	if (rn->masquerade)
		return finish(out, rn->masquerade, "the name kshim was called by", self);

	if (role == ROLE_OBJTOOL) {
		/* kbuild runs objtool from the top of the build directory */
		if (is_executable_file("tools/objtool/objtool") && !same_file("tools/objtool/objtool", self)) {
			char buf[PATH_MAX];
			out->path = xstrdup(realpath("tools/objtool/objtool", buf) ? buf : "tools/objtool/objtool");
			out->how = xstrdup("build directory");
			return 0;
		}
		return finish(out, "objtool", "default name", self);
	}

	const char *llvm = getenv("LLVM");
	char *name = resolve_llvm_name(role, llvm);
	char *how = llvm && *llvm ? xasprintf("LLVM=%s", llvm) : xstrdup("default name");
	int ret = finish(out, name, how, self);
	free(name);
	free(how);
	return ret;
}

void resolved_tool_release(struct resolved_tool *t)
{
	free(t->path);
	free(t->how);
	t->path = t->how = NULL;
}
