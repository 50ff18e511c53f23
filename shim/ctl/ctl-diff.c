/*
 * kshimctl diff A B: what changed between two builds, output by output, and why.
 *
 * For each output (relative to its build directory) whose final digest
 * differs, the calls that made it in A and in B are compared, maker first
 * (the compile or link), then what rewrote it (objtool):
 *   tool       the real tool's binary differs;
 *   flags      the argv digest differs: the arguments only in A / only in B,
 *              with the rules whose changes put them there;
 *   inputs     the input files that differ, and the headers of its depfile
 *              that differ (from the two builds' deptab tables);
 *   nondeterministic  same tool, flags, inputs and headers, different
 *              output (said loudly).
 * ELF outputs also say whether only the layout moved or the contents
 * changed, and which sections. Summary first; -v adds the details; --json.
 */
#include "ctl.h"
#include "deptab.h"
#include "fingerprint.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* one of the two builds */
struct side {
	const char *build;
	const char *bdir, *sdir;	/* build and source directories */
	struct deptab *deps;		/* its header digests, or NULL */
};

/* output key -> array of the records that made or rewrote it, in log order */
static json_t *makers(const struct ctl *ctl, const char *build, const char *bdir)
{
	json_t *m = json_object();
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build");
		json_t *outs = json_object_get(json_object_get(r, "fp"), "outputs");
		if (!rec_is_call(r) || !b || strcmp(b, build) != 0 || rec_bool(r, "probe") || !outs)
			continue;
		const char *key;
		json_t *o;
		json_object_foreach(outs, key, o) {
			(void)o;
			char *path = json_key_decode(key);
			char *k = output_key(rec_str(r, "cwd"), path, bdir);
			free(path);
			json_t *list = json_object_get(m, k);
			if (!list)
				json_object_set_new(m, k, list = json_array());
			json_array_append(list, r);
			free(k);
		}
	}
	return m;
}

static json_t *out_fp(const json_t *rec, const char *key_in_rec)
{
	return json_object_get(json_object_get(json_object_get(rec, "fp"), "outputs"), key_in_rec);
}

/* The record's own name for the output (the key as the call wrote it). */
static const char *rec_output_name(const json_t *rec, const char *key, const char *bdir)
{
	const char *k;
	json_t *o;
	json_object_foreach(json_object_get(json_object_get(rec, "fp"), "outputs"), k, o) {
		char *path = json_key_decode(k);
		char *rk = output_key(rec_str(rec, "cwd"), path, bdir);
		free(path);
		int same = strcmp(rk, key) == 0;
		free(rk);
		if (same)
			return k;
	}
	return NULL;
}

/* argv words with the build and source directories written as $B and $S */
static json_t *norm_argv(const json_t *rec, const struct side *sd)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(rec, "argv_run"), i, v) {
		if (i == 0)
			continue;	/* the tool: compared by digest */
		char *s = json_bytes_decode(v);
		if (!s)
			continue;
		char *w = dirs_tagged(s, sd->bdir, sd->sdir);
		json_array_append_new(out, json_bytes(w));
		free(w);
		free(s);
	}
	return out;
}

/* words of a not in b (as multisets) */
static json_t *minus(const json_t *a, const json_t *b)
{
	json_t *left = json_deep_copy(b), *out = json_array(), *v;
	size_t i;
	json_array_foreach(a, i, v) {
		size_t j;
		json_t *w;
		int found = 0;
		json_array_foreach(left, j, w) {
			if (json_equal(v, w)) {
				json_array_remove(left, j);
				found = 1;
				break;
			}
		}
		if (!found)
			json_array_append(out, v);
	}
	json_decref(left);
	return out;
}

/* rules of rec whose changes mention word */
static json_t *rules_for(const json_t *rec, const json_t *words)
{
	json_t *out = json_array(), *a;
	size_t i;
	json_array_foreach(json_object_get(rec, "rules"), i, a) {
		char *dump = json_dumps(json_object_get(a, "changes"), JSON_COMPACT);
		size_t k;
		json_t *w;
		int hit = 0;
		json_array_foreach(words, k, w) {
			const char *s = json_string_value(w);
			if (s && dump && strstr(dump, s))
				hit = 1;
		}
		free(dump);
		if (hit)
			json_array_append_new(out, json_pack("{s:O,s:O}", "rule", json_object_get(a, "rule"), "at",
							    json_object_get(a, "at")));
	}
	return out;
}

static const char *fp_str(const json_t *rec, const char *a, const char *b)
{
	json_t *x = json_object_get(json_object_get(rec, "fp"), a);
	return json_string_value(b ? json_object_get(x, b) : x);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* keys of a whose values differ in b, and keys only in b, into out */
static void changed_keys(const json_t *a, const json_t *b, json_t *out)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)a, k, v) {
		if (!json_equal(v, json_object_get(b, k)))
			json_array_append_new(out, json_string(k));
	}
	json_object_foreach((json_t *)b, k, v) {
		if (!json_object_get(a, k))
			json_array_append_new(out, json_string(k));
	}
}

/* Why the calls ra (build A) and rb (build B) differ. */
static json_t *call_diff(const json_t *ra, const json_t *rb, const struct side *sa, const struct side *sb)
{
	json_t *d = json_object();
	if (!str_eq(fp_str(ra, "tool", "sha256"), fp_str(rb, "tool", "sha256")) ||
	    !str_eq(rec_str(ra, "tool"), rec_str(rb, "tool")))
		json_object_set_new(d, "tool", json_pack("{s:O,s:O}", "a", json_object_get(ra, "tool"), "b",
							  json_object_get(rb, "tool")));
	/* a layout seed rewrites the argv (pads, archive members): say that, not the words */
	json_t *la = json_object_get(ra, "layout"), *lb = json_object_get(rb, "layout");
	json_int_t seed_a = json_integer_value(json_object_get(la, "seed")), seed_b = json_integer_value(json_object_get(lb, "seed"));
	int seeded = seed_a || seed_b;
	if ((la || lb) && seed_a != seed_b)
		json_object_set_new(d, "seed", json_pack("{s:I,s:I}", "a", seed_a, "b", seed_b));
	if (!json_object_get(d, "seed") && seeded && !str_eq(fp_str(ra, "argv", NULL), fp_str(rb, "argv", NULL)))
		json_object_set_new(d, "flags", json_pack("{s:[],s:[],s:[],s:[]}", "only_a", "only_b", "rules_a",
							   "rules_b"));
	else if (!json_object_get(d, "seed") && !str_eq(fp_str(ra, "argv", NULL), fp_str(rb, "argv", NULL))) {
		json_t *na = norm_argv(ra, sa), *nb = norm_argv(rb, sb);
		json_t *only_a = minus(na, nb), *only_b = minus(nb, na);
		json_object_set_new(d, "flags", json_pack("{s:o,s:o,s:o,s:o}", "only_a", only_a, "only_b", only_b,
							   "rules_a", rules_for(ra, only_a), "rules_b",
							   rules_for(rb, only_b)));
		json_decref(na);
		json_decref(nb);
	}
	json_t *changed = json_array();
	changed_keys(json_object_get(json_object_get(ra, "fp"), "inputs"),
		     json_object_get(json_object_get(rb, "fp"), "inputs"), changed);
	json_t *da = json_object_get(json_object_get(ra, "fp"), "deps");
	json_t *db = json_object_get(json_object_get(rb, "fp"), "deps");
	if (!str_eq(rec_str(da, "sha256"), rec_str(db, "sha256"))) {
		json_t *fa = deps_files(sa->deps, da), *fb = deps_files(sb->deps, db);
		size_t before = json_array_size(changed);
		changed_keys(fa, fb, changed);
		if (json_array_size(changed) == before)	/* the tables are gone, or did not index them */
			json_array_append_new(changed, json_string("(headers: the depfile digests differ)"));
		json_decref(fa);
		json_decref(fb);
	}
	if (json_array_size(changed))
		json_object_set_new(d, "inputs", changed);
	else
		json_decref(changed);
	return d;
}

/* ELF: layout moved or contents changed, and which sections */
static json_t *elf_diff(const json_t *fa, const json_t *fb)
{
	if (!json_object_get(fa, "layout") || !json_object_get(fb, "layout"))
		return NULL;
	json_t *d = json_object(), *moved = json_array(), *content = json_array(), *sa, *sb;
	size_t i, j;
	json_object_set_new(d, "layout", json_string(json_equal(json_object_get(fa, "layout"),
								json_object_get(fb, "layout")) ? "same" : "moved"));
	json_array_foreach(json_object_get(fa, "sections"), i, sa) {
		const char *name = rec_str(sa, "name");
		json_t *match = NULL;
		json_array_foreach(json_object_get(fb, "sections"), j, sb) {
			if (str_eq(name, rec_str(sb, "name"))) {
				match = sb;
				break;
			}
		}
		if (!match) {
			json_array_append_new(moved, json_sprintf("%s (only in A)", name ? name : "?"));
			continue;
		}
		if (!json_equal(json_object_get(sa, "addr"), json_object_get(match, "addr")) ||
		    !json_equal(json_object_get(sa, "size"), json_object_get(match, "size")) ||
		    !json_equal(json_object_get(sa, "align"), json_object_get(match, "align")))
			json_array_append_new(moved, json_string(name ? name : "?"));
		else if (!json_equal(json_object_get(sa, "sha256"), json_object_get(match, "sha256")))
			json_array_append_new(content, json_string(name ? name : "?"));
	}
	json_object_set_new(d, "moved", moved);
	json_object_set_new(d, "changed", content);
	return d;
}

static const char *reason_of(const json_t *why)
{
	if (json_object_get(why, "tool"))
		return "tool";
	if (json_object_get(why, "seed"))
		return "seed";
	if (json_object_get(why, "flags"))
		return "flags";
	if (json_object_get(why, "inputs"))
		return "inputs";
	return "nondeterministic";
}

static void print_words(const char *label, const json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_array_size(a))
		return;
	printf("      %s", label);
	json_array_foreach(a, i, v) {
		char *s = json_bytes_decode(v);
		printf(" %s", s ? s : "?");
		free(s);
	}
	printf("\n");
}

json_t *ctl_diff(struct ctl *ctl, const char *a, const char *b)
{
	struct side sa = { a, ctl_build_dir_of(ctl, a), ctl_src_dir_of(ctl, a), deptab_open_ro(ctl->dir, a) };
	struct side sb = { b, ctl_build_dir_of(ctl, b), ctl_src_dir_of(ctl, b), deptab_open_ro(ctl->dir, b) };
	const char *bdir_a = sa.bdir, *bdir_b = sb.bdir;
	json_t *ma = makers(ctl, a, bdir_a), *mb = makers(ctl, b, bdir_b);
	json_t *outputs = json_object(), *counts = json_object();
	long same = 0;
	const char *key;
	json_t *la;
	json_object_foreach(ma, key, la) {
		json_t *lb = json_object_get(mb, key);
		const json_t *last_a = json_array_get(la, json_array_size(la) - 1);
		json_t *fa = out_fp(last_a, rec_output_name(last_a, key, bdir_a));
		json_t *e = json_object();
		if (!lb) {
			json_object_set_new(e, "reason", json_string("only in A"));
		} else {
			const json_t *last_b = json_array_get(lb, json_array_size(lb) - 1);
			json_t *fb = out_fp(last_b, rec_output_name(last_b, key, bdir_b));
			if (json_equal(json_object_get(fa, "sha256"), json_object_get(fb, "sha256"))) {
				same++;
				json_decref(e);
				continue;
			}
			/* the first call whose why is not empty, maker first */
			json_t *why = NULL;
			size_t n = json_array_size(la) < json_array_size(lb) ? json_array_size(la) : json_array_size(lb);
			for (size_t i = 0; i < n && !why; i++) {
				json_t *w = call_diff(json_array_get(la, i), json_array_get(lb, i), &sa, &sb);
				if (json_object_size(w)) {
					json_object_set_new(w, "call", json_sprintf("%s %s", rec_str(json_array_get(lb, i), "role"),
										    rec_str(json_array_get(lb, i), "mode")));
					why = w;
				} else {
					json_decref(w);
				}
			}
			json_object_set_new(e, "reason", json_string(why ? reason_of(why) : "nondeterministic"));
			if (why)
				json_object_set_new(e, "why", why);
			json_t *ed = elf_diff(fa, fb);
			if (ed)
				json_object_set_new(e, "elf", ed);
		}
		const char *r = rec_str(e, "reason");
		json_object_set_new(counts, r, json_integer(json_integer_value(json_object_get(counts, r)) + 1));
		json_object_set_new(outputs, key, e);
	}
	json_object_foreach(mb, key, la) {
		if (!json_object_get(ma, key)) {
			json_object_set_new(outputs, key, json_pack("{s:s}", "reason", "only in B"));
			json_object_set_new(counts, "only in B",
					    json_integer(json_integer_value(json_object_get(counts, "only in B")) + 1));
		}
	}
	json_t *all = json_pack("{s:s,s:s,s:I,s:o,s:o}", "a", a, "b", b, "same", (json_int_t)same, "counts", counts,
				"outputs", outputs);
	deptab_close(sa.deps);
	deptab_close(sb.deps);
	json_decref(ma);
	json_decref(mb);
	return all;
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL;
	int json = 0, verbose = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("diff"), stdout);
		default: return ctl_bad_option("diff", argv[optind - 1]);
		}
	}
	if (argc - optind != 2) {
		error("diff: two builds are needed (see 'kshimctl diff --help')");
		return 2;
	}
	const char *a, *b;
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0 || !(a = ctl_build_select(ctl, argv[optind])) ||
	    !(b = ctl_build_select(ctl, argv[optind + 1])))
		return 2;
	json_t *all = ctl_diff(ctl, a, b), *counts = json_object_get(all, "counts"), *outputs = json_object_get(all, "outputs");
	long differ = (long)json_object_size(outputs), same = (long)json_integer_value(json_object_get(all, "same"));
	const char *key;
	if (json) {
		char *s = json_dumps(all, JSON_SORT_KEYS | JSON_INDENT(1));
		puts(s);
		free(s);
	} else {
		printf("%s -> %s: %ld output(s) identical, %ld differ\n", a, b, same, differ);
		json_t *n;
		json_object_foreach(counts, key, n) printf("  %-18s %lld\n", key, (long long)json_integer_value(n));
		if (json_object_get(counts, "nondeterministic"))
			printf("NOTE: %lld output(s) differ with the same tool, flags, input files and headers: "
			       "nondeterminism\n",
			       (long long)json_integer_value(json_object_get(counts, "nondeterministic")));
		json_t *e;
		json_object_foreach(outputs, key, e) {
			json_t *why = json_object_get(e, "why"), *elf = json_object_get(e, "elf");
			printf("%s: %s", key, rec_str(e, "reason"));
			if (elf)
				printf(" (layout %s)", rec_str(elf, "layout"));
			printf("\n");
			if (!verbose)
				continue;
			if (json_object_get(why, "tool"))
				printf("      tool: %s -> %s\n", rec_str(json_object_get(why, "tool"), "a"),
				       rec_str(json_object_get(why, "tool"), "b"));
			if (json_object_get(why, "seed"))
				printf("      layout seed: %lld -> %lld\n",
				       (long long)json_integer_value(json_object_get(json_object_get(why, "seed"), "a")),
				       (long long)json_integer_value(json_object_get(json_object_get(why, "seed"), "b")));
			json_t *fl = json_object_get(why, "flags");
			print_words("only in A:", json_object_get(fl, "only_a"));
			print_words("only in B:", json_object_get(fl, "only_b"));
			size_t i;
			json_t *rr;
			json_array_foreach(json_object_get(fl, "rules_b"), i, rr) printf("      by rule %s (%s)\n",
											  rec_str(rr, "rule"), rec_str(rr, "at"));
			print_words("inputs changed:", json_object_get(why, "inputs"));
			if (elf) {
				print_words("sections moved:", json_object_get(elf, "moved"));
				print_words("sections changed:", json_object_get(elf, "changed"));
			}
		}
	}
	json_decref(all);
	return differ ? 1 : 0;
}
