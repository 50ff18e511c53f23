/* rules: matching rules against a call and rewriting its argv. */
#include "rules.h"
#include "log.h"
#include "resolve.h"
#include "toolid.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The elements of argument a joined with single spaces (heap). */
static char *arg_text(const struct cmdline *cl, const struct arg *a)
{
	if (a->count == 1)
		return xstrdup(cl->argv.v[a->index]);
	return xasprintf("%s %s", cl->argv.v[a->index], cl->argv.v[a->index + 1]);
}

int rule_arg_matches(const struct cmdline *cl, const struct arg *a, const char *p)
{
	const char *elem = cl->argv.v[a->index];
	if (strchr(p, ' ')) {
		/* "-meabi gnu": an option and its separate value */
		char *t = arg_text(cl, a);
		int m = glob_match(p, t);
		free(t);
		return m;
	}
	/*
	 * A literal pattern can only match an argument that starts with the same
	 * two characters (as itself, as its option name, or written together with
	 * its value): most arguments fail here, without a glob.
	 */
	if (p[0] != elem[0] || (elem[0] && p[1] != elem[1])) {
		if (!strpbrk(p, "*?["))
			return 0;
	}
	if (glob_match(p, elem))
		return 1;
	if (a->spec && a->is_option) {
		if (strcmp(p, a->spec->name) == 0)
			return 1;
		if (a->count == 2 && a->value) {
			/* "-DX" also matches "-D X" */
			size_t el = strlen(elem);
			if (!strpbrk(p, "*?["))	/* a literal: no string to build */
				return strncmp(p, elem, el) == 0 && strcmp(p + el, a->value) == 0;
			char *nv = xasprintf("%s%s", elem, a->value);
			int m = glob_match(p, nv);
			free(nv);
			return m;
		}
	}
	return 0;
}

static int any_arg_matches(const struct cmdline *cl, const char *p)
{
	for (size_t i = 1; i < cl->nr; i++)
		if (rule_arg_matches(cl, &cl->args[i], p))
			return 1;
	return 0;
}

/* --target= / -target for compilers, -m for linkers; "" when there is none. */
static const char *call_target(const struct cmdline *cl)
{
	for (size_t i = 1; i < cl->nr; i++) {
		const struct arg *a = &cl->args[i];
		if (!a->spec || !a->value)
			continue;
		if (strcmp(a->spec->name, "--target=") == 0 || strcmp(a->spec->name, "-target") == 0 ||
		    (cl->fam == FAM_GNULD && strcmp(a->spec->name, "-m") == 0))
			return a->value;
	}
	return "";
}

static const char *target_arch(const char *t)
{
	static const struct { const char *pat; const char *arch; } map[] = {
		{ "x86_64*", "x86_64" }, { "elf_x86_64", "x86_64" }, { "i?86*", "i386" }, { "elf_i386", "i386" },
		{ "aarch64*", "arm64" }, { "arm64*", "arm64" }, { "arm*", "arm" }, { "thumb*", "arm" },
		{ "riscv64*", "riscv" }, { "riscv*", "riscv" }, { "elf64lriscv", "riscv" }, { "elf32lriscv", "riscv" },
		{ "powerpc64*", "powerpc" }, { "ppc64*", "powerpc" }, { "powerpc*", "powerpc" }, { "elf64*ppc", "powerpc" },
		{ "mips*", "mips" }, { "elf*mips*", "mips" }, { "s390*", "s390" }, { "elf64_s390", "s390" },
		{ "loongarch*", "loongarch" }, { "sparc*", "sparc" }, { "um*", "um" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (glob_match(map[i].pat, t))
			return map[i].arch;
	return "";
}

static int tool_name_matches(const char *want, const char *path)
{
	const char *b = path_basename(path);
	size_t n = strlen(want);
	/* "clang" matches clang and clang-19; globs work too */
	return glob_match(want, b) || (strncmp(b, want, n) == 0 && b[n] == '-');
}

/* The "why not" message, built only when the caller asked for it. */
#define WHY(w, ...) ((w) ? xasprintf(__VA_ARGS__) : NULL)
#define fail_why(R_, L_, K_, W_) WHY(want_why, "%s:%d: %s: %s", (R_)->file, (L_) ? (L_) : (R_)->line, K_, W_)

int rule_matches(const struct rule *r, const struct rule_subject *s, const struct cmdline *cl, char **why)
{
	char *w = NULL;
	const int want_why = why != NULL;
	if (s->probe && r->probes == 0) {
		w = fail_why(r, r->line, "probes", "the call is a probe and the rule does not say 'probes = yes'");
		goto no;
	}
	if (!s->probe && r->probes == 2) {
		w = fail_why(r, r->probes_line, "probes = only", "the call is not a probe");
		goto no;
	}
	if (r->roles && !(r->roles & (1u << s->role))) {
		char buf[64];
		snprintf(buf, sizeof(buf), "the call's role is %s", role_str(s->role));
		w = fail_why(r, r->role_line, "role", buf);
		goto no;
	}
	if (r->modes && !(r->modes & (1u << s->mode))) {
		char buf[64];
		snprintf(buf, sizeof(buf), "the call's mode is %s", mode_str(s->mode));
		w = fail_why(r, r->mode_line, "mode", buf);
		goto no;
	}
	for (size_t i = 0; i < r->nconds; i++) {
		const struct rule_cond *c = &r->conds[i];
		const struct strvec *wv = &c->words;
		int ok = 0;
		if (strcmp(c->key, "output") == 0 || strcmp(c->key, "source") == 0) {
			const struct strvec *paths = c->key[0] == 'o' ? s->outputs : s->inputs;
			for (size_t p = 0; p < paths->nr && !ok; p++)
				for (size_t k = 0; k < wv->nr && !ok; k++)
					ok = glob_match(wv->v[k], paths->v[p]);
			if (!ok) {
				w = fail_why(r, c->line, c->key, c->key[0] == 'o' ? "no output matches" : "no input matches");
				goto no;
			}
		} else if (strcmp(c->key, "has") == 0) {
			for (size_t k = 0; k < wv->nr; k++) {
				if (!any_arg_matches(cl, wv->v[k])) {
					char *m = WHY(want_why, "the call has no '%s'", wv->v[k]);
					w = fail_why(r, c->line, "has", m);
					free(m);
					goto no;
				}
			}
		} else if (strcmp(c->key, "lacks") == 0) {
			for (size_t k = 0; k < wv->nr; k++) {
				if (any_arg_matches(cl, wv->v[k])) {
					char *m = WHY(want_why, "the call has '%s'", wv->v[k]);
					w = fail_why(r, c->line, "lacks", m);
					free(m);
					goto no;
				}
			}
		} else if (strcmp(c->key, "target") == 0 || strcmp(c->key, "arch") == 0) {
			const char *t = call_target(cl);
			const char *val = c->key[0] == 't' ? t : target_arch(t);
			for (size_t k = 0; k < wv->nr && !ok; k++)
				ok = glob_match(wv->v[k], val);
			if (!ok) {
				char *m = WHY(want_why, "the call's %s is '%s'", c->key, *val ? val : "(none)");
				w = fail_why(r, c->line, c->key, m);
				free(m);
				goto no;
			}
		} else if (strcmp(c->key, "tool") == 0) {
			if (!s->tool || !tool_name_matches(r->tool_name, s->tool)) {
				char *m = WHY(want_why, "the tool is '%s'", s->tool ? path_basename(s->tool) : "?");
				w = fail_why(r, c->line, "tool", m);
				free(m);
				goto no;
			}
			if (r->nver) {
				int v[3];
				if (tool_version(s->tool, v) < 0) {
					w = fail_why(r, c->line, "tool", "the tool's version is unknown");
					goto no;
				}
				if (!version_in_range(v, r->ver, r->nver)) {
					char *m = WHY(want_why, "the tool's version is %d.%d.%d", v[0], v[1], v[2]);
					w = fail_why(r, c->line, "tool", m);
					free(m);
					goto no;
				}
			}
		}
	}
	return 1;
no:
	if (why)
		*why = w;
	else
		free(w);
	return 0;
}

void rule_effect_release(struct rule_effect *e)
{
	strvec_clear(&e->argv);
	strvec_clear(&e->env_set);
	strvec_clear(&e->env_unset);
	free(e->tool);
	free(e->launcher);
	if (e->layout) {
		free(e->layout->glob);
		free(e->layout->rule);
		free(e->layout->at);
		free(e->layout);
	}
	json_decref(e->applied);
	memset(e, 0, sizeof(*e));
}

static json_t *words_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_bytes(v[i]));
	return a;
}

/* "file:line" as JSON (json_bytes: a rule file's path may be any bytes). By hand: snprintf was 8% of a call. */
static json_t *at_json(const struct rule *r, int line)
{
	char num[16], *p = num + sizeof(num);
	unsigned v = line > 0 ? (unsigned)line : 0;
	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > num + 1);
	size_t fl = strlen(r->file), nl = strlen(p);
	char stackbuf[1024], *buf = fl + nl + 2 <= sizeof(stackbuf) ? stackbuf : xmalloc(fl + nl + 2);
	memcpy(buf, r->file, fl);
	buf[fl] = ':';
	memcpy(buf + fl + 1, p, nl + 1);
	json_t *j = json_bytes(buf);
	if (buf != stackbuf)
		free(buf);
	return j;
}

static json_t *change(const struct rule *r, const struct rule_action *act, const char *op)
{
	json_t *c = json_object();
	json_object_set_new_nocheck(c, "op", json_string_nocheck(op));
	json_object_set_new_nocheck(c, "at", at_json(r, act->line));
	return c;
}

/* One pass over the args: drop or replace those matching act's patterns. Returns matches. */
static size_t transform(const struct cmdline *cl, const struct rule_action *act, struct strvec *out, json_t *hits)
{
	size_t n = 0;
	strvec_clear(out);
	strvec_push(out, cl->argv.v[0]);
	/* a two-word FROM is one pattern: the option and its value */
	char *pat2 = act->kind == ACT_REPLACE && act->words.nr == 2 ?
		xasprintf("%s %s", act->words.v[0], act->words.v[1]) : NULL;
	for (size_t i = 1; i < cl->nr; i++) {
		const struct arg *a = &cl->args[i];
		int m = 0;
		if (pat2)
			m = rule_arg_matches(cl, a, pat2);
		else
			for (size_t k = 0; k < act->words.nr && !m; k++)
				m = rule_arg_matches(cl, a, act->words.v[k]);
		if (!m) {
			for (size_t k = 0; k < a->count; k++)
				strvec_push(out, cl->argv.v[a->index + k]);
			continue;
		}
		n++;
		json_array_append_new(hits, words_json(cl->argv.v + a->index, a->count));
		if (act->kind == ACT_REPLACE)
			strvec_pushv(out, act->to.v);
	}
	free(pat2);
	return n;
}

static char *find_program(const char *name, const char *what)
{
	char *p = resolve_program(name);
	if (!p)
		error("cannot find the %s '%s' (not an executable, or only kshim itself on PATH)", what, name);
	return p;
}

int rules_apply(const struct ruleset *rs, const struct rule_subject *subj, enum tool_family fam,
		char *const *argv, struct rule_effect *eff)
{
	struct cmdline cl;
	memset(eff, 0, sizeof(*eff));
	strvec_init(&eff->argv);
	strvec_init(&eff->env_set);
	strvec_init(&eff->env_unset);
	eff->tool = xstrdup(subj->tool);
	eff->applied = json_array();
	if (rs->nr == 0) {
		/* nothing to apply: do not parse the argv a second time on every call */
		strvec_pushv(&eff->argv, argv);
		strvec_replace(&eff->argv, 0, eff->tool);
		return 0;
	}

	cmdline_parse(&cl, fam, argv);
	strvec_pushv(&eff->argv, cl.argv.v);
	int ret = 0, cl_stale = 0, only_appended = 1;

	for (size_t i = 0; i < rs->nr && ret == 0; i++) {
		const struct rule *r = &rs->v[i];
		/* re-parse only for a rule that looks at the arguments, and only if they changed */
		if (cl_stale && r->needs_args) {
			if (!only_appended || cmdline_append(&cl, eff->argv.v + cl.argv.nr) < 0) {
				cmdline_release(&cl);
				cmdline_parse(&cl, fam, eff->argv.v);
			}
			cl_stale = 0;
			only_appended = 1;
		}
		if (!rule_matches(r, subj, &cl, NULL))
			continue;
		json_t *changes = json_array();
		int argv_touched = 0;
		for (size_t k = 0; k < r->nacts && ret == 0; k++) {
			const struct rule_action *act = &r->acts[k];
			json_t *c;
			switch (act->kind) {
			case ACT_ADD:
			case ACT_ADD_FRONT:
				if (act->kind == ACT_ADD_FRONT)
					only_appended = 0;
				c = change(r, act, act->kind == ACT_ADD ? "add" : "add-front");
				json_object_set_new_nocheck(c, "args", words_json(act->words.v, act->words.nr));
				for (size_t w = 0; w < act->words.nr; w++) {
					if (act->kind == ACT_ADD)
						strvec_push(&eff->argv, act->words.v[w]);
					else
						strvec_insert(&eff->argv, 1 + w, act->words.v[w]);
				}
				json_array_append_new(changes, c);
				argv_touched = 1;
				break;
			case ACT_REMOVE:
			case ACT_REPLACE: {
				struct strvec out = STRVEC_INIT;
				json_t *hits = json_array();
				if (transform(&cl, act, &out, hits)) {
					c = change(r, act, act->kind == ACT_REMOVE ? "remove" : "replace");
					json_object_set_new_nocheck(c, act->kind == ACT_REMOVE ? "args" : "from", hits);
					if (act->kind == ACT_REPLACE)
						json_object_set_new_nocheck(c, "to", words_json(act->to.v, act->to.nr));
					json_array_append_new(changes, c);
					strvec_clear(&eff->argv);
					strvec_pushv(&eff->argv, out.v);
					argv_touched = 1;
					only_appended = 0;
				} else {
					json_decref(hits);
				}
				strvec_clear(&out);
				break;
			}
			case ACT_LINKER:
			case ACT_LAUNCHER: {
				int linker = act->kind == ACT_LINKER;
				char *p = find_program(act->words.v[0], linker ? "linker" : "launcher");
				if (!p) {
					error("%s:%d: rule '%s' cannot run", r->file, act->line, r->name);
					ret = -1;
					break;
				}
				c = change(r, act, linker ? "linker" : "launcher");
				json_object_set_new_nocheck(c, "to", json_bytes(p));
				json_array_append_new(changes, c);
				if (linker) {
					free(eff->tool);
					eff->tool = p;
				} else {
					free(eff->launcher);
					eff->launcher = p;
				}
				break;
			}
			case ACT_LAYOUT: {
				if (eff->layout) {
					error("%s:%d: rule '%s': a second layout for this call (the first: rule '%s' at %s)",
					      r->file, act->line, r->name, eff->layout->rule, eff->layout->at);
					ret = -1;
					break;
				}
				struct layout_req *lr = xcalloc(1, sizeof(*lr));
				const char *why;
				layout_parse(act->words.v[0], &lr->kind, &lr->glob, &why);	/* checked when the file was read */
				lr->rule = xstrdup(r->name);
				lr->at = xasprintf("%s:%d", r->file, act->line);
				eff->layout = lr;
				c = change(r, act, "layout");
				json_object_set_new_nocheck(c, "to", json_bytes(act->words.v[0]));
				json_array_append_new(changes, c);
				break;
			}
			case ACT_ENV:
				c = change(r, act, "env");
				json_object_set_new_nocheck(c, "args", words_json(act->words.v, act->words.nr));
				json_array_append_new(changes, c);
				for (size_t w = 0; w < act->words.nr; w++) {
					const char *e = act->words.v[w];
					strvec_push(e[0] == '-' ? &eff->env_unset : &eff->env_set, e[0] == '-' ? e + 1 : e);
				}
				break;
			}
			/* later actions and later rules see the argv as it is now */
			if (argv_touched) {
				argv_touched = 0;
				eff->argv_changed = 1;
				cl_stale = 1;
				if (k + 1 < r->nacts && (r->acts[k + 1].kind == ACT_REMOVE || r->acts[k + 1].kind == ACT_REPLACE)) {
					cmdline_release(&cl);
					cmdline_parse(&cl, fam, eff->argv.v);
					cl_stale = 0;
					only_appended = 1;
				}
			}
		}
		json_t *applied = json_object();
		json_object_set_new_nocheck(applied, "rule", json_string_nocheck(r->name));	/* [A-Za-z0-9._-] */
		json_object_set_new_nocheck(applied, "at", at_json(r, r->line));
		json_object_set_new_nocheck(applied, "changes", changes);
		json_array_append_new(eff->applied, applied);
	}
	strvec_replace(&eff->argv, 0, eff->tool);
	cmdline_release(&cl);
	return ret;
}
