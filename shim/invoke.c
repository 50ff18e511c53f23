#include "invoke.h"
#include "deptab.h"
#include "pin.h"
#include "elfobj.h"
#include "layout.h"
#include "digest.h"
#include "log.h"
#include "toolid.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

json_t *json_strvec(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_bytes(v[i]));
	return a;
}

static double tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Times to the microsecond: what clock_gettime and rusage can honestly claim. */
static json_t *json_usec(double t)
{
	return json_real(round(t * 1e6) / 1e6);
}

void record_result(json_t *rec, const struct run_result *r)
{
	if (!r->started) {
		json_object_set_new(rec, "exit", json_integer(run_status(r)));
		json_object_set_new(rec, "error", json_string(strerror(r->spawn_errno)));
	} else if (r->exited) {
		json_object_set_new(rec, "exit", json_integer(r->exit_code));
	} else {
		json_object_set_new(rec, "signal", json_integer(r->term_signal));
		json_object_set_new(rec, "signame", json_string(sigabbrev_np(r->term_signal) ?
								sigabbrev_np(r->term_signal) : "?"));
		if (r->core_dumped)
			json_object_set_new(rec, "core", json_true());
	}
	json_object_set_new(rec, "wall", json_usec(r->wall));
	json_object_set_new(rec, "utime", json_usec(tv_sec(r->ru.ru_utime)));
	json_object_set_new(rec, "stime", json_usec(tv_sec(r->ru.ru_stime)));
	json_object_set_new(rec, "maxrss", json_integer(r->ru.ru_maxrss));
}

json_t *invocation_record(const struct invocation *inv)
{
	const struct classification *c = &inv->cls;
	const struct run_result *r = &inv->res;
	char cwd[4096];
	json_t *rec = json_object();

	json_object_set_new(rec, "kshim", json_integer(LOG_SCHEMA));
	json_object_set_new(rec, "type", json_string("call"));
	json_object_set_new(rec, "build", json_bytes(inv->build.id));
	json_object_set_new(rec, "start", json_usec(inv->t_start));
	json_object_set_new(rec, "end", json_usec(inv->t_end));
	json_object_set_new(rec, "pid", json_integer(getpid()));
	json_object_set_new(rec, "ppid", json_integer(getppid()));
	json_object_set_new(rec, "cwd", json_bytes(getcwd(cwd, sizeof(cwd)) ? cwd : "?"));
	json_object_set_new(rec, "role", json_string(role_str(c->role)));
	json_object_set_new(rec, "mode", json_string(mode_str(c->mode)));
	json_object_set_new(rec, "probe", json_boolean(c->probe));
	if (inv->depth > 0)
		json_object_set_new(rec, "nested", json_integer(inv->depth));
	if (c->probe)
		json_object_set_new(rec, "probe_why", json_string(c->probe_why));
	json_object_set_new(rec, "tool", json_bytes(inv->eff.tool ? inv->eff.tool : inv->tool.path ? inv->tool.path : ""));
	if (inv->eff.launcher)
		json_object_set_new(rec, "launcher", json_bytes(inv->eff.launcher));
	if (inv->eff.tool && inv->tool.path && strcmp(inv->eff.tool, inv->tool.path) != 0)
		json_object_set_new(rec, "tool_resolved", json_bytes(inv->tool.path));	/* before a linker rule */
	size_t argc = 0;
	while (inv->argv_in[argc])
		argc++;
	json_object_set_new(rec, "argv", json_strvec(inv->argv_in, argc));
	json_object_set_new(rec, "argv_run", json_strvec(inv->run_argv.v, inv->run_argv.nr));
	if (inv->cl.expanded)
		json_object_set_new(rec, "argv_expanded", json_strvec(inv->cl.argv.v, inv->cl.argv.nr));
	json_object_set_new(rec, "inputs", json_strvec(c->inputs.v, c->inputs.nr));
	json_object_set_new(rec, "outputs", json_strvec(c->outputs.v, c->outputs.nr));
	if (c->depfile)
		json_object_set_new(rec, "depfile", json_bytes(c->depfile));
	if (inv->eff.applied && json_array_size(inv->eff.applied))
		json_object_set(rec, "rules", inv->eff.applied);
	if (inv->pin)
		json_object_set(rec, "pin", inv->pin);
	if (inv->layout)
		json_object_set(rec, "layout", inv->layout);
	if (inv->rules.untrusted.nr)
		json_object_set_new(rec, "rules_untrusted", json_strvec(inv->rules.untrusted.v, inv->rules.untrusted.nr));

	record_result(rec, r);
	json_object_set_new(rec, "self", json_usec(inv->self_time));
	if (inv->self_during > 0)
		json_object_set_new(rec, "self_during", json_usec(inv->self_during));
	if (inv->fp)
		json_object_set(rec, "fp", inv->fp);
	return rec;
}

/* What the call runs with, before the tool runs (objtool rewrites its output in place). */
static void fingerprint_before(struct invocation *inv)
{
	inv->fp = json_object();
	struct tool_id id;
	const char *tool = inv->eff.tool ? inv->eff.tool : inv->tool.path;
	if (tool && tool_identity(tool, &id, 0) == 0) {
		json_t *t = json_object();
		json_object_set_new(t, "sha256", json_string(id.sha256));
		if (id.version)
			json_object_set_new(t, "version", json_bytes(id.version));
		json_object_set_new(inv->fp, "tool", t);
		tool_id_release(&id);
	}
	json_object_set_new(inv->fp, "inputs", files_digests(&inv->cls.inputs));
	if (inv->cls.mode == MODE_REWRITE) {
		json_t *before = json_object();
		for (size_t i = 0; i < inv->cls.outputs.nr; i++) {
			json_t *f = file_fingerprint(inv->cls.outputs.v[i], 0);
			char *key = json_key_bytes(inv->cls.outputs.v[i]);
			if (f)
				json_object_set_new(before, key, json_object_get(f, "sha256") ?
						    json_incref(json_object_get(f, "sha256")) : json_null());
			free(key);
			json_decref(f);
		}
		json_object_set_new(inv->fp, "before", before);
	}
}

/*
 * While the tool runs: what does not depend on what it writes (its binary,
 * its inputs, the build's header table) is fingerprinted meanwhile, instead
 * of before starting it. Not when it rewrites a file in place (objtool) or
 * writes one of its inputs: then the "before" digests must come first.
 */
static int fingerprint_can_overlap(const struct invocation *inv)
{
	if (inv->cls.mode == MODE_REWRITE)
		return 0;
	for (size_t i = 0; i < inv->cls.inputs.nr; i++)
		for (size_t k = 0; k < inv->cls.outputs.nr; k++)
			if (strcmp(inv->cls.inputs.v[i], inv->cls.outputs.v[k]) == 0)
				return 0;
	return 1;
}

static void fingerprint_during(void *arg)
{
	struct invocation *inv = arg;
	double t0 = now_mono();
	fingerprint_before(inv);
	if (inv->cls.depfile)
		inv->deptab = deptab_open(inv->build.log_dir, inv->build.id);
	inv->self_during = now_mono() - t0;
}

/* ... and after: the argv that ran, what it made. */
static void fingerprint_after(struct invocation *inv)
{
	char hex[SHA256_HEX_LEN + 1];
	argv_digest(inv->run_argv.v, inv->run_argv.nr, inv->build.build_dir, getenv("KSHIM_SRCDIR"), hex);
	json_object_set_new(inv->fp, "argv", json_string(hex));
	if (!inv->res.exited || inv->res.exit_code != 0)
		return;
	if (inv->cls.depfile) {
		char cwd[4096];
		struct deptab *t = inv->deptab ? inv->deptab : deptab_open(inv->build.log_dir, inv->build.id);
		inv->deptab = NULL;
		json_t *deps = getcwd(cwd, sizeof(cwd)) ?
			deps_fingerprint(t, inv->cls.depfile, cwd, inv->build.build_dir, getenv("KSHIM_SRCDIR")) : NULL;
		if (deps)
			json_object_set_new(inv->fp, "deps", deps);
		deptab_close(t);
	}
	json_t *outs = json_object();
	for (size_t i = 0; i < inv->cls.outputs.nr; i++) {
		json_t *f = file_fingerprint(inv->cls.outputs.v[i], 1);
		char *key = json_key_bytes(inv->cls.outputs.v[i]);
		if (f)
			json_object_set_new(outs, key, f);
		free(key);
	}
	json_object_set_new(inv->fp, "outputs", outs);
}

/*
 * Apply the rules and build the argv to run: the caller's (with @files
 * unexpanded) unless a rule changed it, behind the launcher if one is set.
 */
static int apply_rules(struct invocation *inv)
{
	struct rule_subject subj = {
		.role = inv->cls.role, .mode = inv->cls.mode, .probe = inv->cls.probe,
		.outputs = &inv->cls.outputs, .inputs = &inv->cls.inputs, .tool = inv->tool.path,
	};
	if (rules_apply(&inv->rules, &subj, role_family(inv->rn.role), inv->argv_in, &inv->eff) < 0)
		return -1;
	if (inv->eff.launcher)
		strvec_push(&inv->run_argv, inv->eff.launcher);
	if (inv->eff.argv_changed) {
		strvec_pushv(&inv->run_argv, inv->eff.argv.v);
	} else {
		strvec_push(&inv->run_argv, inv->eff.tool);
		for (int i = 1; inv->argv_in[i]; i++)
			strvec_push(&inv->run_argv, inv->argv_in[i]);
	}
	inv->run_path = inv->eff.launcher ? inv->eff.launcher : inv->eff.tool;
	return 0;
}

/*
 * The variables of the tool's environment that can change what a compiler or
 * linker writes (reproducible-build knobs, locale), for bundles; nothing else
 * (no secrets, no PATH: the tool's path is in the record).
 */
static json_t *env_allowlisted(char **envp)
{
	static const char *const names[] = {
		"SOURCE_DATE_EPOCH", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES",
		"KBUILD_BUILD_TIMESTAMP", "KBUILD_BUILD_USER", "KBUILD_BUILD_HOST", "KBUILD_BUILD_VERSION",
		"ZERO_AR_DATE", "TMPDIR",
	};
	json_t *env = json_object();
	for (char **e = envp; *e; e++) {
		size_t nl = strcspn(*e, "=");
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (strlen(names[i]) == nl && strncmp(*e, names[i], nl) == 0 && (*e)[nl] == '=')
				json_object_set_new(env, names[i], json_bytes(*e + nl + 1));
	}
	return env;
}

/* environ, or a copy with the rules' env changes (caller frees the array, not the strings). */
static char **tool_environment(const struct rule_effect *eff)
{
	if (!eff->env_set.nr && !eff->env_unset.nr)
		return environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **e = xcalloc(n + eff->env_set.nr + 1, sizeof(*e));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strcspn(environ[i], "=");
		int drop = 0;
		for (size_t j = 0; j < eff->env_unset.nr && !drop; j++)
			drop = strlen(eff->env_unset.v[j]) == nl && !strncmp(environ[i], eff->env_unset.v[j], nl);
		for (size_t j = 0; j < eff->env_set.nr && !drop; j++)
			drop = !strncmp(environ[i], eff->env_set.v[j], nl + 1);
		if (!drop)
			e[k++] = environ[i];
	}
	for (size_t j = 0; j < eff->env_set.nr; j++)
		e[k++] = eff->env_set.v[j];
	e[k] = NULL;
	return e;
}

static void invocation_release(struct invocation *inv)
{
	cmdline_release(&inv->cl);
	classification_release(&inv->cls);
	resolved_tool_release(&inv->tool);
	strvec_clear(&inv->run_argv);
	rule_effect_release(&inv->eff);
	ruleset_release(&inv->rules);
	build_info_release(&inv->build);
	config_release(&inv->cfg);
	json_decref(inv->fp);
	json_decref(inv->pin);
	json_decref(inv->layout);
}

static int depth_guard(int *out)
{
	const char *d = getenv("KSHIM_DEPTH");
	int depth = d ? atoi(d) : 0;
	*out = depth;
	if (depth >= KSHIM_MAX_DEPTH)
		return error("recursive invocation: kshim called itself %d times deep (KSHIM_DEPTH); "
			     "is a real tool setting pointing back at kshim?", depth);
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", depth + 1);
	setenv("KSHIM_DEPTH", buf, 1);
	return 0;
}

/* Project-local rules that were not loaded: said once per build, and in every record. */
static char *words_joined(const json_t *a, const char *sign)
{
	size_t i, len = 0;
	json_t *v;
	json_array_foreach(a, i, v) len += strlen(json_string_value(v)) + 2;
	char *s = xcalloc(len + 1, 1);
	json_array_foreach(a, i, v) {
		if (i || *s)
			strcat(s, " ");
		strcat(s, sign);
		strcat(s, json_string_value(v));
	}
	return s;
}

/*
 * [pin] file/mode: compare the call's effective argv and tool with the
 * pinned ones for its output; warn (record the drift), error (stop the
 * call), or enforce (run the pinned argv, with the pinned tool if its digest
 * matches). The outcome goes into the record's "pin" member. 0, or -1 after
 * an error: a pin that was asked for is never skipped silently.
 */
static int apply_pin(struct invocation *inv)
{
	const char *file = inv->cfg.pin_file.value;
	if (!file || !*file || inv->cls.probe || !inv->cls.outputs.nr)
		return 0;
	int mode = inv->cfg.pin_mode.value ? pin_mode_parse(inv->cfg.pin_mode.value) : PIN_WARN;
	const char *src = getenv("KSHIM_SRCDIR");
	char cwd[4096];
	char *key = output_key(getcwd(cwd, sizeof(cwd)) ? cwd : ".", inv->cls.outputs.v[0], inv->build.build_dir);
	char *ekey = pin_escape(key, NULL, NULL, 1);
	struct pin_block b;
	int found = pin_find(file, ekey, role_str(inv->cls.role), &b);
	inv->pin = json_pack("{s:s,s:s,s:s}", "file", file, "mode", inv->cfg.pin_mode.value ? inv->cfg.pin_mode.value : "warn",
			     "output", key);
	free(ekey);
	if (found < 0) {
		error("%s: cannot check '%s' against the pin (%s)", key, inv->cls.outputs.v[0], inv->cfg.pin_file.origin);
		free(key);
		return -1;
	}
	if (found == 0) {
		json_object_set_new(inv->pin, "status", json_string("unpinned"));
		free(key);
		return 0;
	}
	/* the effective words, as the pin writes them */
	size_t first = inv->eff.launcher ? 2 : 1;
	struct strvec cur = STRVEC_INIT;
	for (size_t i = first; i < inv->run_argv.nr; i++)
		strvec_push_nodup(&cur, pin_escape(inv->run_argv.v[i], inv->build.build_dir, src, 0));
	json_t *added = pin_words_minus(&cur, &b.args), *removed = pin_words_minus(&b.args, &cur);
	int order = !json_array_size(added) && !json_array_size(removed) && !strvec_equal(&cur, &b.args);
	struct tool_id id = { 0 };
	char *etool = pin_escape(inv->eff.tool, NULL, NULL, 1);
	int have_id = tool_identity(inv->eff.tool, &id, 0) == 0;
	int tool_drift = strcmp(etool, b.tool) != 0 || !have_id || strcmp(id.sha256, b.tool_sha) != 0;
	int drift = json_array_size(added) || json_array_size(removed) || order || tool_drift;
	json_object_set_new(inv->pin, "line", json_integer(b.line));
	if (json_array_size(added))
		json_object_set(inv->pin, "added", added);
	if (json_array_size(removed))
		json_object_set(inv->pin, "removed", removed);
	if (order)
		json_object_set_new(inv->pin, "order", json_true());
	if (tool_drift)
		json_object_set_new(inv->pin, "tool", json_pack("{s:s,s:s,s:s,s:s}", "pinned", b.tool, "pinned_sha256",
							     b.tool_sha, "now", etool, "now_sha256", have_id ? id.sha256 : "?"));
	char *plus = words_joined(added, "+"), *minus = words_joined(removed, "-");
	char *what = xasprintf("%s%s%s%s%s%s", plus, *plus && *minus ? " " : "", minus, order ? "arguments reordered" : "",
			       tool_drift && (*plus || *minus || order) ? "; " : "", tool_drift ? "another tool" : "");
	int ret = 0;
	if (!drift) {
		json_object_set_new(inv->pin, "status", json_string("match"));
	} else if (mode == PIN_WARN) {
		json_object_set_new(inv->pin, "status", json_string("drift"));
		char *once = xasprintf("pin-drift\t%s\t%s", inv->build.id, file);
		if (first_time(once))
			warning("%s differs from the pin %s:%d: %s (further drift is only recorded: kshimctl pin check "
				"%s)", key, file, b.line, what, file);
		free(once);
	} else if (mode == PIN_ERROR) {
		ret = error("%s differs from the pin %s:%d: %s ([pin] mode = error, %s)", key, file, b.line, what,
			    inv->cfg.pin_mode.origin);
	} else {
		/* enforce: the pinned tool is the one running now, or still at its pinned path */
		const char *why = NULL;
		char *tool = pin_unescape(b.tool, NULL, NULL, &why);
		struct tool_id pid = { 0 };
		if (have_id && strcmp(id.sha256, b.tool_sha) == 0) {
			free(tool);
			tool = xstrdup(inv->eff.tool);
		} else if (!tool || tool_identity(tool, &pid, 0) < 0 || strcmp(pid.sha256, b.tool_sha) != 0) {
			ret = error("%s: the pinned tool %s (sha256:%.12s..., %s:%d) is not available: %s", key, b.tool,
				    b.tool_sha, file, b.line, !tool ? why : pid.sha256[0] ? "it has another digest now" :
				    "it cannot be read");
			free(tool);
			tool = NULL;
		}
		tool_id_release(&pid);
		struct strvec argv = STRVEC_INIT;
		if (tool && inv->eff.launcher)
			strvec_push(&argv, inv->eff.launcher);
		if (tool)
			strvec_push(&argv, tool);
		for (size_t i = 0; tool && i < b.args.nr; i++) {
			char *w = pin_unescape(b.args.v[i], inv->build.build_dir, src, &why);
			if (!w) {
				ret = error("%s:%d: argument '%s' of %s: %s", file, b.line, b.args.v[i], key, why);
				break;
			}
			strvec_push_nodup(&argv, w);
		}
		if (tool && ret == 0) {
			strvec_clear(&inv->run_argv);
			inv->run_argv = argv;
			free(inv->eff.tool);
			inv->eff.tool = tool;
			inv->run_path = inv->eff.launcher ? inv->eff.launcher : inv->eff.tool;
			json_object_set_new(inv->pin, "status", json_string("enforced"));
		} else {
			strvec_clear(&argv);
			free(tool);
		}
	}
	free(what);
	free(plus);
	free(minus);
	free(etool);
	tool_id_release(&id);
	json_decref(added);
	json_decref(removed);
	strvec_clear(&cur);
	pin_block_release(&b);
	free(key);
	return ret;
}

/*
 * A layout rule matched: apply the seed to the tool's argv (after the pin,
 * which speaks of the build without a seed). Seed 0 changes nothing.
 */
static int apply_layout(struct invocation *inv)
{
	const struct layout_req *req = inv->eff.layout;
	uint64_t seed;
	if (!req || inv->cls.probe)
		return 0;
	if (layout_seed(inv->cfg.layout_seed.value, inv->cfg.layout_seed.origin, &seed) < 0)
		return -1;
	size_t first = inv->eff.launcher ? 1 : 0;
	struct strvec argv = STRVEC_INIT;
	strvec_pushv(&argv, inv->run_argv.v + first);
	int ret = layout_apply(req, seed, inv->cls.mode == MODE_RELOCATABLE,
			       inv->cls.outputs.nr ? inv->cls.outputs.v[0] : NULL, inv->build.log_dir,
			       getenv("KSHIM_SRCDIR"), &argv, &inv->layout, &inv->layout_after);
	if (ret == 0 && inv->layout_after) {
		/* the call as it was, in case the capture options cost it its link (see invoke_main) */
		strvec_init(&inv->plain_argv);
		strvec_pushv(&inv->plain_argv, inv->run_argv.v);
	}
	if (ret == 0 && (seed || inv->layout_after)) {
		strvec_remove(&inv->run_argv, first, inv->run_argv.nr - first);
		strvec_move(&inv->run_argv, &argv);
	}
	strvec_clear(&argv);
	return ret;
}

/*
 * The layout digest of what a layout call wrote: over every section's name,
 * type, flags, address, size, alignment and content digest (from the call's
 * fingerprint when there is one). The fingerprint's own "layout" leaves the
 * contents out, and a final image whose sections are aligned to large
 * boundaries can keep their addresses and sizes while every object in them
 * moved (two seeds of the e2e kernel did).
 */
static void layout_result(struct invocation *inv)
{
	if (!inv->layout || !inv->res.exited || inv->res.exit_code != 0 || !inv->cls.outputs.nr)
		return;
	const char *out = inv->cls.outputs.v[0];
	json_t *f = NULL, *secs = NULL;
	if (inv->fp) {
		char *key = json_key_bytes(out);
		secs = json_object_get(json_object_get(json_object_get(inv->fp, "outputs"), key), "sections");
		free(key);
	}
	if (!secs && (f = file_fingerprint(out, 1)))
		secs = json_object_get(f, "sections");
	if (json_array_size(secs)) {
		char hex[SHA256_HEX_LEN + 1];
		elfobj_layout_digest(secs, hex);
		json_object_set_new(inv->layout, "digest", json_string(hex));
	}
	json_decref(f);
}

static void warn_untrusted(const struct invocation *inv)
{
	char *key = xasprintf("untrusted\t%s\t%s", inv->build.id, inv->rules.untrusted.v[0]);
	if (first_time(key)) {
		const char *p = inv->rules.untrusted.v[0];
		char *dir = xstrndup(p, (size_t)(path_basename(p) - p));
		warning("ignoring %zu project-local rule file%s that you have not trusted (first: %s); review them, then "
			"run 'kshimctl trust %s' (warned once per build)", inv->rules.untrusted.nr,
			inv->rules.untrusted.nr == 1 ? "" : "s", p, dir);
		free(dir);
	}
	free(key);
}

static void verbose_report(const struct invocation *inv)
{
	char head[512];
	snprintf(head, sizeof(head), "%s %s%s -> %s (%s)%s%s", role_str(inv->cls.role), mode_str(inv->cls.mode),
		 inv->cls.probe ? " probe" : "", inv->run_path, inv->tool.how,
		 json_array_size(inv->eff.applied) ? ", rules applied" : "",
		 inv->rules.from_cache ? " (rules from cache)" : "");
	fprintf(stderr, "kshim: %s\n", head);
}

int record_append(struct log_writer *w, const char *log_dir, const char *build, json_t *rec, int required)
{
	const char *reason = NULL;
	int err = 0, status = 0;
	if (w->fd < 0) {
		err = w->open_errno;
		reason = "cannot open the log";
	} else {
		size_t len;
		char *line = log_frame(rec, &len);
		if (!line) {
			err = EINVAL;
			reason = "cannot serialize the record";
		} else if (log_writer_append(w, line, len) < 0) {
			err = errno;
			reason = "cannot append to the log";
		}
		free(line);
	}
	if (FREE_AT_EXIT)
		json_decref(rec);
	if (!reason)
		return 0;
	char *why = xasprintf("%s '%s/%s': %s", reason, log_dir, LOG_FILE, strerror(err));
	int first = log_count_lost(log_dir, build, why);
	if (required) {
		error("%s ([log] required = yes)", why);
		status = KSHIM_EXIT_ERROR;
	} else if (first) {
		warning("%s; the build goes on, records of this build are being lost "
			"(counted, see 'kshimctl stats'; warned once per build)", why);
	}
	free(why);
	return status;
}

int invoke_main(int argc, char **argv)
{
	struct invocation inv;
	struct log_writer w = { .fd = -1 };
	int required = 0;
	(void)argc;

	memset(&inv, 0, sizeof(inv));
	inv.t_start = now_epoch();
	inv.mono_start = now_mono();
	inv.argv_in = argv;
	strvec_init(&inv.run_argv);

	if (role_from_name(argv[0], &inv.rn) < 0) {
		error("'%s' is not a kshim role", argv[0]);
		exit(KSHIM_EXIT_ERROR);
	}
	if (depth_guard(&inv.depth) < 0)
		exit(KSHIM_EXIT_ERROR);
	if (config_load(&inv.cfg) < 0)
		exit(KSHIM_EXIT_ERROR);
	if (inv.cfg.log_required.value)
		config_bool(inv.cfg.log_required.value, &required);

	cmdline_parse(&inv.cl, role_family(inv.rn.role), argv);
	classify(&inv.cls, &inv.rn, &inv.cl);

	if (resolve_tool(inv.cls.role, &inv.rn, &inv.cfg, NULL, &inv.tool) < 0)
		exit(KSHIM_EXIT_ERROR);

	build_discover(&inv.build, inv.cfg.log_dir.value);
	/* A broken rule file stops the call: never run with a partial rule set. */
	ruleset_init(&inv.rules);
	if (ruleset_load(&inv.rules, inv.build.build_dir) < 0) {
		error("not running '%s': fix the rule files above", inv.tool.path);
		exit(KSHIM_EXIT_ERROR);
	}
	if (inv.rules.untrusted.nr)
		warn_untrusted(&inv);
	if (apply_rules(&inv) < 0 || apply_pin(&inv) < 0 || apply_layout(&inv) < 0)
		exit(KSHIM_EXIT_ERROR);

	if (log_writer_open(&w, inv.build.log_dir) < 0 && required) {
		error("cannot open the log '%s/%s': %s ([log] required = yes)", inv.build.log_dir, LOG_FILE,
		      strerror(w.open_errno));
		exit(KSHIM_EXIT_ERROR);
	}

	if (inv.cfg.verbose)
		verbose_report(&inv);

	int fp_on = 1;
	const char *fpe = getenv("KSHIM_FINGERPRINT");
	if (fpe && *fpe && config_bool(fpe, &fp_on) < 0)
		fp_on = 1;
	inv.fingerprint = fp_on && !inv.cls.probe;
	int overlap = inv.fingerprint && fingerprint_can_overlap(&inv);
	if (inv.fingerprint && !overlap)
		fingerprint_before(&inv);
	char **envp = tool_environment(&inv.eff);
	json_t *env = inv.fingerprint ? env_allowlisted(envp) : NULL;
	double pre = now_mono() - inv.mono_start;
	struct run_opts during = { .during = overlap ? fingerprint_during : NULL, .during_arg = &inv };
	run_child(inv.run_path, inv.run_argv.v, envp, &during, &inv.res);
	if (overlap && !inv.res.started)
		fingerprint_before(&inv);	/* the tool could not start: nothing ran meanwhile */
	if (env)
		json_object_set_new(inv.fp, "env", env);
	if (inv.layout_after && inv.res.started && !(inv.res.exited && inv.res.exit_code == 0)) {
		/*
		 * The reference link failed with the options that keep LTO's natives (lld
		 * could not write one next to its archive, say): kshim's bookkeeping must
		 * never cost the build its link, so the call runs again as it was.
		 */
		warning("layout: LTO: the link failed while keeping its native objects; running it as it was");
		layout_finish(inv.layout_after, 0, inv.layout);
		inv.layout_after = NULL;
		json_t *lr = json_object_get(inv.layout, "lto");
		if (lr)
			json_object_set_new(lr, "why", json_string("the link failed with the capture options; it ran "
								   "again without them, and the first seed captures"));
		strvec_clear(&inv.run_argv);
		strvec_move(&inv.run_argv, &inv.plain_argv);
		run_tool(inv.run_path, inv.run_argv.v, envp, &inv.res);
	}
	double post_start = now_mono();
	if (inv.fingerprint && inv.res.started)
		fingerprint_after(&inv);
	layout_finish(inv.layout_after, inv.res.exited && inv.res.exit_code == 0, inv.layout);
	layout_result(&inv);
	if (envp != environ)
		free(envp);
	if (!inv.res.started)
		error("cannot run '%s': %s", inv.run_path, strerror(inv.res.spawn_errno));
	inv.t_end = now_epoch();
	inv.self_time = pre + (now_mono() - post_start);

	int status = record_append(&w, inv.build.log_dir, inv.build.id, invocation_record(&inv), required);
	log_writer_close(&w);
	struct run_result res = inv.res;
	if (FREE_AT_EXIT)
		invocation_release(&inv);
	if (status)
		exit(status);
	run_exit_like(&res);
}
