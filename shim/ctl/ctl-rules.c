/* kshimctl rules check|test, explain, stale: the rule engine seen from outside. */
#include "ctl.h"
#include "classify.h"
#include "config.h"
#include "resolve.h"
#include "run.h"
#include "rules.h"
#include "toolid.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A recorded call as rules see it. */
struct replay {
	struct strvec argv;	/* as received */
	struct strvec inputs, outputs;
	struct rule_subject subj;
	enum tool_family fam;
	char *tool;
};

static void decode_array(const json_t *a, struct strvec *out)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		char *s = json_bytes_decode(v);
		strvec_push_nodup(out, s ? s : xstrdup(""));
	}
}

static int replay_init(struct replay *rp, const json_t *rec)
{
	memset(rp, 0, sizeof(*rp));
	strvec_init(&rp->argv);
	strvec_init(&rp->inputs);
	strvec_init(&rp->outputs);
	decode_array(json_object_get(rec, "argv"), &rp->argv);
	decode_array(json_object_get(rec, "inputs"), &rp->inputs);
	decode_array(json_object_get(rec, "outputs"), &rp->outputs);
	enum role role;
	if (!rec_str(rec, "role") || role_parse(rec_str(rec, "role"), &role) < 0 || rp->argv.nr == 0)
		return -1;
	int m;
	for (m = 0; m < MODE__N; m++)
		if (rec_str(rec, "mode") && strcmp(rec_str(rec, "mode"), mode_str((enum mode)m)) == 0)
			break;
	const char *tool = rec_str(rec, "tool_resolved") ? rec_str(rec, "tool_resolved") : rec_str(rec, "tool");
	rp->tool = xstrdup(tool ? tool : "");
	rp->fam = role_family(role);
	rp->subj = (struct rule_subject){ .role = role, .mode = m < MODE__N ? (enum mode)m : MODE_COMPILE,
					   .probe = rec_bool(rec, "probe"), .outputs = &rp->outputs,
					   .inputs = &rp->inputs, .tool = rp->tool };
	return 0;
}

static void replay_release(struct replay *rp)
{
	strvec_clear(&rp->argv);
	strvec_clear(&rp->inputs);
	strvec_clear(&rp->outputs);
	free(rp->tool);
}

/* The argv a call would run with now: launcher + argv after rules. */
static void effective_argv(const struct rule_effect *e, const struct replay *rp, struct strvec *out)
{
	if (e->launcher)
		strvec_push(out, e->launcher);
	if (e->argv_changed) {
		strvec_pushv(out, e->argv.v);
	} else {
		strvec_push(out, e->tool);
		for (size_t i = 1; i < rp->argv.nr; i++)
			strvec_push(out, rp->argv.v[i]);
	}
}

static int load_rules(struct ruleset *rs, int argc, char **argv)
{
	ruleset_init(rs);
	if (argc == 0)
		return ruleset_load(rs, ".");	/* as kshim would here: with trusted .kshim/rules.d */
	int ret = 0;
	for (int i = 0; i < argc; i++)
		if (ruleset_load_path(rs, argv[i], 0) < 0)
			ret = -1;
	return ret;
}

static void print_changes(const json_t *applied, const char *indent)
{
	size_t i, k;
	json_t *r, *c;
	json_array_foreach(applied, i, r) {
		json_array_foreach(json_object_get(r, "changes"), k, c) {
			const char *op = rec_str(c, "op");
			char *what = NULL;
			json_t *args = json_object_get(c, strcmp(op, "replace") == 0 ? "from" : "args");
			if (json_is_array(args)) {
				char *d = json_dumps(args, JSON_COMPACT);
				what = d;
			} else if (json_object_get(c, "to")) {
				what = json_dumps(json_object_get(c, "to"), JSON_COMPACT | JSON_ENCODE_ANY);
			}
			printf("%s%-9s %s", indent, op, what ? what : "");
			if (strcmp(op, "replace") == 0) {
				char *to = json_dumps(json_object_get(c, "to"), JSON_COMPACT);
				printf(" => %s", to);
				free(to);
			}
			printf("   [rule %s, %s]\n", rec_str(r, "rule"), rec_str(c, "at"));
			free(what);
		}
	}
}

/* ---- rules check ---------------------------------------------------------- */

/* A finding at file:line: printed as "file:line: message", or kept for --json in sink. */
static void finding(json_t *sink, const char *kind, const char *file, int line, const char *fmt, ...)
	ATTR_PRINTF(5, 6);
static void finding(json_t *sink, const char *kind, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (sink)
		json_array_append_new(sink, json_pack("{s:s,s:s,s:i,s:s}", "kind", kind, "file", file, "line", line,
						      "message", msg ? msg : ""));
	else
		printf("%s:%d: %s\n", file, line, msg ? msg : "");
	free(msg);
}

static int lint_undo(const struct ruleset *rs, json_t *sink)
{
	int n = 0;
	for (size_t i = 0; i < rs->nr; i++) {
		const struct rule *a = &rs->v[i];
		for (size_t j = i + 1; j < rs->nr; j++) {
			const struct rule *b = &rs->v[j];
			if (a->roles && b->roles && !(a->roles & b->roles))
				continue;
			for (size_t x = 0; x < a->nacts; x++) {
				for (size_t y = 0; y < b->nacts; y++) {
					const struct rule_action *p = &a->acts[x], *q = &b->acts[y];
					const struct rule_action *add = NULL, *rem = NULL;
					const struct rule *ra = NULL, *rr = NULL;
					if ((p->kind == ACT_ADD || p->kind == ACT_ADD_FRONT) && q->kind == ACT_REMOVE)
						add = p, rem = q, ra = a, rr = b;
					else if ((q->kind == ACT_ADD || q->kind == ACT_ADD_FRONT) && p->kind == ACT_REMOVE)
						add = q, rem = p, ra = b, rr = a;
					if (add) {
						for (size_t w = 0; w < add->words.nr; w++)
							for (size_t k = 0; k < rem->words.nr; k++)
								if (glob_match(rem->words.v[k], add->words.v[w])) {
									finding(sink, "undo", rr->file, rem->line,
										"rule '%s' removes '%s' that rule '%s' (%s:%d) adds: "
										"they undo each other", rr->name, add->words.v[w],
										ra->name, ra->file, add->line);
									n++;
								}
					}
					if (p->kind == ACT_REPLACE && q->kind == ACT_REPLACE && p->words.nr == 1 &&
					    q->words.nr == 1 && p->to.nr == 1 && q->to.nr == 1 &&
					    strcmp(p->words.v[0], q->to.v[0]) == 0 && strcmp(p->to.v[0], q->words.v[0]) == 0) {
						finding(sink, "undo", b->file, q->line,
							"rule '%s' replaces '%s' back to '%s' (rule '%s', %s:%d): they undo each other",
							b->name, q->words.v[0], q->to.v[0], a->name, a->file, p->line);
						n++;
					}
				}
			}
		}
	}
	return n;
}

/* Ask the tool whether it takes the flags a rule adds (as kbuild's cc-option does). */
static int lint_tool_accepts(const struct ruleset *rs, const struct config *cfg, json_t *sink)
{
	int n = 0;
	for (size_t i = 0; i < rs->nr; i++) {
		const struct rule *r = &rs->v[i];
		int cc = !r->roles || (r->roles & ((1u << ROLE_CC) | (1u << ROLE_HOSTCC)));
		int ld = r->roles == 1u << ROLE_LD;
		if (!cc && !ld)
			continue;
		struct role_name rn = { .role = ld ? ROLE_LD : ROLE_CC };
		struct resolved_tool t;
		if (resolve_tool(rn.role, &rn, cfg, NULL, &t) < 0)
			continue;
		for (size_t k = 0; k < r->nacts; k++) {
			const struct rule_action *a = &r->acts[k];
			const struct strvec *w = a->kind == ACT_REPLACE ? &a->to : &a->words;
			if (a->kind != ACT_ADD && a->kind != ACT_ADD_FRONT && a->kind != ACT_REPLACE)
				continue;
			struct strvec argv = STRVEC_INIT;
			strvec_push(&argv, t.path);
			if (ld) {
				strvec_pushv(&argv, w->v);
				strvec_push(&argv, "--version");
			} else {
				const char *target = NULL;
				for (size_t c = 0; c < r->nconds; c++)
					if (strcmp(r->conds[c].key, "target") == 0 && !strpbrk(r->conds[c].words.v[0], "*?["))
						target = r->conds[c].words.v[0];
				if (target)
					strvec_push_nodup(&argv, xasprintf("--target=%s", target));
				strvec_push(&argv, "-Werror");
				strvec_pushv(&argv, w->v);
				const char *tail[] = { "-c", "-x", "c", "/dev/null", "-o", "/dev/null", NULL };
				strvec_pushv(&argv, (char *const *)tail);
			}
			char out[2048];
			int st = run_capture(argv.v, out, sizeof(out));
			if (st != 0) {
				finding(sink, "rejected", r->file, a->line, "rule '%s': %s rejects it (`%s %s`)", r->name,
					path_basename(t.path), path_basename(t.path), w->v[0]);
				n++;
			}
			strvec_clear(&argv);
		}
		resolved_tool_release(&t);
	}
	return n;
}

static int lint_against(struct ctl *ctl, const struct ruleset *rs, const char *build, json_t *sink)
{
	int n = 0;
	size_t *hits = xcalloc(rs->nr + 1, sizeof(*hits));
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		json_t *rec = ctl_rec(ctl, i);
		if (!rec_is_call(rec) || strcmp(rec_str(rec, "build") ? rec_str(rec, "build") : "", build) != 0)
			continue;
		struct replay rp;
		if (replay_init(&rp, rec) == 0) {
			struct cmdline cl;
			cmdline_parse(&cl, rp.fam, rp.argv.v);
			for (size_t k = 0; k < rs->nr; k++)
				if (!hits[k] && rule_matches(&rs->v[k], &rp.subj, &cl, NULL))
					hits[k] = 1;
			cmdline_release(&cl);
		}
		replay_release(&rp);
	}
	for (size_t k = 0; k < rs->nr; k++) {
		if (!hits[k]) {
			finding(sink, "dead", rs->v[k].file, rs->v[k].line, "rule '%s' matches no call of build %s",
				rs->v[k].name, build);
			n++;
		}
	}
	free(hits);
	return n;
}

static int rules_check(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "no-tool", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *against = NULL, *dir = NULL;
	int ask_tool = 1, c, json = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': against = optarg; break;
		case 'd': dir = optarg; break;
		case 'n': ask_tool = 0; break;
		case 'j': json = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("rules"), stdout);
		default: return ctl_bad_option("rules check", argv[optind - 1]);
		}
	}
	struct ruleset rs;
	int parse_bad = load_rules(&rs, argc - optind, argv + optind) < 0;
	int findings = parse_bad;
	json_t *sink = json ? json_array() : NULL;
	for (size_t i = 0; i < rs.untrusted.nr; i++)
		fprintf(stderr, "%s: note: not loaded: not trusted, or changed since (see 'kshimctl trust')\n",
			rs.untrusted.v[i]);
	if (!parse_bad) {
		struct config cfg;
		config_init(&cfg);
		config_load(&cfg);
		findings += lint_undo(&rs, sink);
		if (ask_tool)
			findings += lint_tool_accepts(&rs, &cfg, sink);
		config_release(&cfg);
		if (against) {
			const char *b;
			if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0 || !(b = ctl_build_select(ctl, against))) {
				ruleset_release(&rs);
				json_decref(sink);
				return 2;
			}
			findings += lint_against(ctl, &rs, b, sink);
		}
	}
	if (sink) {
		json_t *o = json_pack("{s:i,s:i,s:b,s:O}", "rules", (int)rs.nr, "files", (int)rs.files.nr, "errors",
				      parse_bad, "findings", sink);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		json_decref(sink);
	}
	fprintf(stderr, "kshimctl: %zu rule(s) in %zu file(s): %s\n", rs.nr, rs.files.nr,
		parse_bad ? "errors above" : findings ? "findings above" : "no findings");
	ruleset_release(&rs);
	return findings ? 1 : 0;
}

/* ---- rules test ----------------------------------------------------------- */

static int rules_test(int argc, char **argv)
{
	int verbose = 0, c;
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 'h')
			return ctl_usage(ctl_find_cmd("rules"), stdout);
		else
			return ctl_bad_option("rules test", argv[optind - 1]);
	}
	if (optind >= argc) {
		error("rules test: give the call after --, as in: kshimctl rules test -- kshim -c foo.c -o foo.o");
		return 2;
	}
	char **call = argv + optind;
	struct role_name rn;
	if (role_from_name(call[0], &rn) < 0) {
		error("rules test: '%s' is not a kshim role (kshim, kshim-host, kshim-ld, kshim-objtool, clang-19, ...)", call[0]);
		return 2;
	}
	struct config cfg;
	config_init(&cfg);
	struct ruleset rs;
	ruleset_init(&rs);
	int ret = 2;
	struct cmdline cl;
	struct classification cls;
	struct resolved_tool t = { 0 };
	cmdline_parse(&cl, role_family(rn.role), call);
	classify(&cls, &rn, &cl);
	if (config_load(&cfg) < 0 || ruleset_load(&rs, ".") < 0 || resolve_tool(cls.role, &rn, &cfg, NULL, &t) < 0)
		goto out;
	struct rule_subject subj = { .role = cls.role, .mode = cls.mode, .probe = cls.probe, .outputs = &cls.outputs,
				     .inputs = &cls.inputs, .tool = t.path };
	struct rule_effect eff;
	if (rules_apply(&rs, &subj, role_family(rn.role), call, &eff) < 0) {
		rule_effect_release(&eff);
		goto out;
	}
	printf("call: %s %s%s%s, %zu rule(s) loaded from %zu file(s)\n", role_str(cls.role), mode_str(cls.mode),
	       cls.probe ? " probe: " : "", cls.probe ? cls.probe_why : "", rs.nr, rs.files.nr);
	for (size_t i = 0; i < rs.untrusted.nr; i++)
		printf("not loaded (not trusted; see 'kshimctl trust'): %s\n", rs.untrusted.v[i]);
	printf("runs:");
	struct replay rp = { .argv = STRVEC_INIT };
	strvec_pushv(&rp.argv, call);
	struct strvec run = STRVEC_INIT;
	effective_argv(&eff, &rp, &run);
	for (size_t i = 0; i < run.nr; i++)
		printf(" %s", run.v[i]);
	printf("\n");
	for (size_t i = 0; i < eff.env_set.nr; i++)
		printf("env:  %s\n", eff.env_set.v[i]);
	for (size_t i = 0; i < eff.env_unset.nr; i++)
		printf("env:  unset %s\n", eff.env_unset.v[i]);
	if (json_array_size(eff.applied) == 0)
		printf("no rule matched\n");
	print_changes(eff.applied, "  ");
	if (verbose) {
		for (size_t i = 0; i < rs.nr; i++) {
			char *why = NULL;
			if (!rule_matches(&rs.v[i], &subj, &cl, &why))
				printf("  not    %-24s %s\n", rs.v[i].name, why);
			free(why);
		}
	}
	strvec_clear(&run);
	strvec_clear(&rp.argv);
	rule_effect_release(&eff);
	ret = 0;
out:
	resolved_tool_release(&t);
	classification_release(&cls);
	cmdline_release(&cl);
	ruleset_release(&rs);
	config_release(&cfg);
	return ret;
}

int cmd_rules(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2) {
		ctl_usage(ctl_find_cmd("rules"), stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return ctl_usage(ctl_find_cmd("rules"), stdout);
	if (strcmp(argv[1], "check") == 0)
		return rules_check(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "test") == 0)
		return rules_test(argc - 1, argv + 1);
	error("rules: unknown subcommand '%s' (check, test)", argv[1]);
	return 2;
}

/* ---- explain and stale ---------------------------------------------------- */

/* The last non-probe call of build b (NULL: any) whose outputs hold out. */
static json_t *find_maker(struct ctl *ctl, const char *out, const char *b, int skip_objtool)
{
	for (size_t i = ctl->nr; i-- > 0;) {
		if (!ctl_rec_is(ctl, i, "call", b) || !ctl_rec_may_hold(ctl, i, out))
			continue;
		json_t *rec = ctl_rec(ctl, i);
		if (!rec_is_call(rec) || rec_bool(rec, "probe"))
			continue;
		if (b && strcmp(rec_str(rec, "build") ? rec_str(rec, "build") : "", b) != 0)
			continue;
		if (skip_objtool && strcmp(rec_str(rec, "role"), "objtool") == 0)
			continue;
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(rec, "outputs"), k, o)
			if (json_string_value(o) && strcmp(json_string_value(o), out) == 0)
				return rec;
	}
	return NULL;
}

static int parse_dir_build(struct ctl *ctl, int argc, char **argv, const char *cmd, const char **sel, int *flag,
			   const char *flagname, int *positional, int *json)
{
	const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "build", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ flagname, no_argument, NULL, 'f' },	/* --all (explain) or --invalidate (stale) */
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'b': *sel = optarg; break;
		case 'j': *json = 1; break;
		case 'f': *flag = 1; break;
		case 'h': ctl_usage(ctl_find_cmd(cmd), stdout); return -1;
		default: return ctl_bad_option(cmd, argv[optind - 1]);
		}
	}
	*positional = optind;
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		return 2;
	return 0;
}

/* What explain says of one call: role, mode, tool, build, status, the rules' changes, the rules that did not match. */
static json_t *explain_call(json_t *c, const struct ruleset *rs, int rules_ok)
{
	char st[32];
	json_t *e = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s}", "role", rec_str(c, "role"), "mode", rec_str(c, "mode"), "tool",
			      rec_str(c, "tool"), "build", rec_str(c, "build"), "status", rec_status(c, st, sizeof(st)));
	json_t *applied = json_object_get(c, "rules");
	json_object_set_new(e, "rules", applied ? json_incref(applied) : json_array());
	if (!rules_ok) {
		json_object_set_new(e, "not_matched", json_null());	/* the rule files do not load */
		return e;
	}
	json_t *nm = json_array();
	struct replay rp;
	if (replay_init(&rp, c) == 0) {
		struct cmdline cl;
		cmdline_parse(&cl, rp.fam, rp.argv.v);
		for (size_t i = 0; i < rs->nr; i++) {
			char *why = NULL;
			if (rule_matches(&rs->v[i], &rp.subj, &cl, &why))
				continue;
			json_array_append_new(nm, json_pack("{s:s,s:s}", "rule", rs->v[i].name, "why", why ? why : ""));
			free(why);
		}
		cmdline_release(&cl);
		replay_release(&rp);
	}
	json_object_set_new(e, "not_matched", nm);
	return e;
}

static void explain_print(const char *out, const json_t *e)
{
	printf("%s: %s %s by %s (build %s, status %s)\n", out, json_string_value(json_object_get(e, "role")),
	       json_string_value(json_object_get(e, "mode")), json_string_value(json_object_get(e, "tool")),
	       json_string_value(json_object_get(e, "build")), json_string_value(json_object_get(e, "status")));
	const json_t *applied = json_object_get(e, "rules"), *nm = json_object_get(e, "not_matched"), *v;
	if (json_array_size(applied)) {
		printf("  changes made by rules:\n");
		print_changes(applied, "    ");
	} else {
		printf("  no rule changed this call\n");
	}
	if (json_is_null(nm)) {
		printf("  (the current rule files do not load; see the errors above)\n");
		return;
	}
	size_t i;
	json_array_foreach(nm, i, v) {
		if (!i)
			printf("  rules that did not match (as the rule files are now):\n");
		printf("    %-28s %s\n", json_string_value(json_object_get(v, "rule")),
		       json_string_value(json_object_get(v, "why")));
	}
}

int cmd_explain(struct ctl *ctl, int argc, char **argv)
{
	const char *sel = NULL;
	int all = 0, pos, json = 0;
	int r = parse_dir_build(ctl, argc, argv, "explain", &sel, &all, "all", &pos, &json);
	if (r)
		return r < 0 ? 0 : r;
	if (pos != argc - 1) {
		error("explain: give one output, as kbuild wrote it (e.g. kernel/fork.o)");
		return 2;
	}
	const char *out = argv[pos], *b = NULL;
	if (sel && !(b = ctl_build_select(ctl, sel)))
		return 2;
	json_t *rec = find_maker(ctl, out, b, 0);
	if (!rec) {
		error("explain: no recorded call made '%s'%s%s", out, b ? " in build " : "", b ? b : "");
		return 1;
	}
	/* the call that made it, and objtool's rewrite after it if there was one */
	json_t *maker = find_maker(ctl, out, rec_str(rec, "build"), 1);
	json_t *calls[2] = { maker ? maker : rec, maker && maker != rec ? rec : NULL };
	struct ruleset rs;
	ruleset_init(&rs);
	char *bdir = ctl_build_dir(ctl);
	int rules_ok = ruleset_load(&rs, bdir) == 0;
	free(bdir);
	json_t *arr = json_array();
	for (int n = 0; n < 2 && calls[n]; n++) {
		json_t *e = explain_call(calls[n], &rs, rules_ok);
		if (!json)
			explain_print(out, e);
		json_array_append_new(arr, e);
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:O}", "output", out, "calls", arr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	json_decref(arr);
	ruleset_release(&rs);
	return 0;
}

/* Would the current rules run this call differently from how it ran? */
static int call_is_stale(const json_t *rec, const struct ruleset *rs, char **why)
{
	struct replay rp;
	*why = NULL;
	if (replay_init(&rp, rec) < 0)
		return 0;
	struct rule_effect eff;
	int stale = 0;
	if (rules_apply(rs, &rp.subj, rp.fam, rp.argv.v, &eff) == 0) {
		struct strvec now = STRVEC_INIT, then = STRVEC_INIT;
		effective_argv(&eff, &rp, &now);
		decode_array(json_object_get(rec, "argv_run"), &then);
		if (!strvec_equal(&now, &then)) {
			stale = 1;
			*why = xstrdup("its command would change");
		} else {
			char *a = json_dumps(eff.applied, JSON_COMPACT);
			json_t *old = json_object_get(rec, "rules");
			char *b = old ? json_dumps(old, JSON_COMPACT) : xstrdup("[]");
			if (eff.env_set.nr || eff.env_unset.nr ? strcmp(a, b) != 0 : 0) {
				stale = 1;
				*why = xstrdup("its environment would change");
			}
			free(a);
			free(b);
		}
		strvec_clear(&now);
		strvec_clear(&then);
	}
	rule_effect_release(&eff);
	replay_release(&rp);
	return stale;
}

int cmd_stale(struct ctl *ctl, int argc, char **argv)
{
	const char *sel = NULL;
	int invalidate = 0, pos, json = 0;
	int r = parse_dir_build(ctl, argc, argv, "stale", &sel, &invalidate, "invalidate", &pos, &json);
	if (r)
		return r < 0 ? 0 : r;
	if (pos != argc) {
		error("stale: unexpected argument '%s'", argv[pos]);
		return 2;
	}
	const char *b = NULL;
	if (sel && !(b = ctl_build_select(ctl, sel)))
		return 2;
	struct ruleset rs;
	ruleset_init(&rs);
	char *bdir = ctl_build_dir(ctl);
	int loaded = ruleset_load(&rs, bdir);
	free(bdir);
	if (loaded < 0) {
		ruleset_release(&rs);
		error("stale: the rule files do not load; fix them first");
		return 2;
	}
	/*
	 * Newest first. Per output only the newest call that made it counts, and
	 * objtool's rewrites after that call; older records were superseded by a
	 * rebuild. state: absent = not seen, 1 = maker seen, 2 = listed stale.
	 */
	json_t *state = json_object(), *list = json_array();
	size_t nstale = 0, nremoved = 0, nfail = 0;
	for (size_t i = ctl->nr; i-- > 0;) {
		if (!ctl_rec_is(ctl, i, "call", b))
			continue;
		json_t *rec = ctl_rec(ctl, i);
		if (!rec_is_call(rec) || rec_bool(rec, "probe"))
			continue;
		if (b && strcmp(rec_str(rec, "build") ? rec_str(rec, "build") : "", b) != 0)
			continue;
		int objtool = strcmp(rec_str(rec, "role") ? rec_str(rec, "role") : "", "objtool") == 0;
		const char *cwd = rec_str(rec, "cwd");
		char *why = NULL;
		int evaluated = 0, stale = 0;
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(rec, "outputs"), k, o) {
			const char *out = json_string_value(o);
			if (!out || strcmp(out, "-") == 0)
				continue;
			char *abs = path_join(cwd ? cwd : ".", out);
			json_int_t st = json_integer_value(json_object_get(state, abs));
			if (st == 0) {
				if (!evaluated) {
					stale = call_is_stale(rec, &rs, &why);
					evaluated = 1;
				}
				if (stale) {
					nstale++;
					if (!json)
						printf("%s\t%s (%s %s)\n", out, why, rec_str(rec, "role"), rec_str(rec, "mode"));
					json_t *e = json_pack("{s:s,s:s,s:s?,s:s?}", "output", out, "why", why ? why : "",
							      "role", rec_str(rec, "role"), "mode", rec_str(rec, "mode"));
					if (invalidate) {
						int gone = unlink(abs) == 0 || errno == ENOENT;
						if (gone) {
							nremoved++;
						} else {
							warning("cannot remove '%s': %s", abs, strerror(errno));
							nfail++;
						}
						json_object_set_new(e, "removed", json_boolean(gone));
					}
					json_array_append_new(list, e);
					json_object_set_new(state, abs, json_integer(2));
				} else if (!objtool) {
					json_object_set_new(state, abs, json_integer(1));
				}
			}
			free(abs);
		}
		free(why);
	}
	json_decref(state);
	ruleset_release(&rs);
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(list);
	fprintf(stderr, "kshimctl: %zu output(s)%s%s would be made differently by the current rules%s\n", nstale,
		b ? " of build " : "", b ? b : "",
		invalidate ? "" : " (--invalidate removes them so that make rebuilds exactly those)");
	if (invalidate)
		fprintf(stderr, "kshimctl: removed %zu; the next make rebuilds them and what depends on them\n", nremoved);
	return nfail ? 1 : 0;
}
