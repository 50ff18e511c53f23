/*
 * kshimctl sweep / replay: relink with seed after seed, test each layout,
 * and get any one of them back.
 *
 * The reference is the last build (or --from BUILD) in which a layout rule
 * matched a call: those calls' outputs (vmlinux.o) are what a seed changes.
 * One seed = remove those outputs, run `kshimctl make` again with the
 * recorded make arguments and KSHIM_SEED=N (make relinks exactly what depends
 * on them: vmlinux, bzImage; the log shows whether anything was compiled),
 * then run the test in the build directory. Relinking through make, not by
 * replaying recorded commands, because the kernel's link runs tools kshim
 * does not wrap (kallsyms, sorttable, objcopy): make knows the whole chain.
 * But only the link sub-makes need to run: the first seed's make learns them
 * (ctl-relink.c) and later seeds run just those, through make still.
 *
 * Results (one JSON file, default <log dir>/sweep.json) are written after
 * every seed, so an interrupted sweep keeps what it learned and a later sweep
 * skips seeds already there (--rerun tests them again).
 *
 * --jobs N runs seeds in N build trees at once: the build directory and
 * N-1 copies made of hard links under <log dir>/sweep/tree-K. The files a
 * relink writes (measured on the first seed: new inodes or changed times)
 * are real copies in each tree, so a tool that rewrites a file in place
 * (objtool, sorttable) never writes through a link into another tree. A copy
 * is worked on at the build directory's own path, bind-mounted there in a
 * private mount namespace: kbuild's outputs name their directory (objtool's
 * build, for one, would start over anywhere else), and the same path gives
 * the same bytes. Every tree logs into its own .kshim; make and test logs and
 * results go to the log directory of the sweep.
 */
#include "ctl.h"
#include "digest.h"
#include "fingerprint.h"
#include "layout.h"
#include "log.h"
#include "run.h"
#include "strvec.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TAIL_LINES 10	/* as ctl-run.c keeps of a test */

struct tree {
	char *build_dir;	/* absolute; for copies: the path they are mounted at (the build directory's) */
	char *log_dir;		/* the tree's log, as seen where it runs */
	char *cwd;		/* where make runs */
	char *copy;		/* copies: where the tree really is (NULL for the build directory) */
	struct strvec make_args;
	int preload_only;	/* the reference ran as kshimctl make --preload-only */
	pid_t worker;
	uint64_t seed;
};

struct sweep {
	struct ctl *ctl;
	char *sweep_dir;	/* <log dir>/sweep: per-seed logs and results, for every tree */
	const char *test;	/* NULL: no test (replay) */
	char *results_path;
	json_t *results;
	struct strvec layout_outputs;	/* relative to the build directory */
	struct strvec extra_rules;	/* trusted project rule files, for copies (KSHIM_RULES) */
	struct tree *trees;
	int ntrees;
	double timeout;
	int quiet;
	int relink_make;	/* every seed through the top-level make (--relink make; replay) */
};

#define STEPS_FILE "relink-steps.json"	/* in the sweep directory: the link sub-makes (ctl-relink.c) */

/* ---- seeds ------------------------------------------------------------------- */

/* "1-50", "3,7,10-12": appended to out in order, duplicates dropped. */
static int parse_seeds(const char *spec, uint64_t **out, size_t *n)
{
	char *copy = xstrdup(spec), *save = NULL;
	int ret = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end, *dash = strchr(tok, '-');
		errno = 0;
		unsigned long long a = strtoull(tok, &end, 10), b = a;
		if (errno || end == tok || (dash ? end != dash : *end) || tok[0] == '-') {
			ret = error("sweep: --seeds '%s': '%s' is not N or N-M", spec, tok);
			break;
		}
		if (dash) {
			b = strtoull(dash + 1, &end, 10);
			if (errno || end == dash + 1 || *end || b < a || b - a > 1000000) {
				ret = error("sweep: --seeds '%s': bad range '%s'", spec, tok);
				break;
			}
		}
		if (b > LAYOUT_SEED_MAX) {
			ret = error("sweep: --seeds '%s': %llu is over the largest seed, %llu", spec, b, LAYOUT_SEED_MAX);
			break;
		}
		for (unsigned long long s = a;; s++) {
			int dup = 0;
			for (size_t i = 0; i < *n && !dup; i++)
				dup = (*out)[i] == s;
			if (!dup) {
				*out = xrealloc(*out, (*n + 1) * sizeof(**out));
				(*out)[(*n)++] = s;
			}
			if (s == b)
				break;
		}
	}
	free(copy);
	return ret;
}

/* ---- the reference build ------------------------------------------------------- */

/* The newest build (or sel) with a layout call; fills the layout outputs. */
static const char *reference_build(struct sweep *sw, const char *sel)
{
	struct ctl *ctl = sw->ctl;
	const char *want = sel ? ctl_build_select(ctl, sel) : NULL;
	if (sel && !want)
		return NULL;
	const char *build = NULL;
	for (size_t i = ctl->nr; i-- > 0;) {
		if (!ctl_rec_is(ctl, i, "call", want) || (build && !ctl_rec_is(ctl, i, NULL, build)) ||
		    !ctl_rec_may_hold(ctl, i, "layout"))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build");
		if (!rec_is_call(r) || !b || !json_object_get(r, "layout") || (want && strcmp(b, want) != 0))
			continue;
		if (!build)
			build = b;
		if (strcmp(b, build) != 0)
			continue;
		const char *bdir = ctl_build_dir_of(ctl, build), *cwd = rec_str(r, "cwd");
		const json_t *outs = json_object_get(r, "outputs");
		for (size_t k = 0; k < json_array_size(outs); k++) {
			char *p = json_bytes_decode(json_array_get(outs, k));
			char *key = p && cwd ? output_key(cwd, p, bdir) : NULL;
			int seen = 0;
			for (size_t j = 0; key && j < sw->layout_outputs.nr; j++)
				seen |= strcmp(sw->layout_outputs.v[j], key) == 0;
			if (key && !seen)
				strvec_push(&sw->layout_outputs, key);
			free(key);
			free(p);
		}
	}
	if (!build)
		error("sweep: no call %s had a layout rule; add one (e.g. rules/layout-vmlinux.ini) and build once",
		      sel ? "of that build" : "in the log");
	return build;
}

/* Rule files under the log's rules.d that the reference build applied: copies get them via KSHIM_RULES. */
static void local_rule_files(struct sweep *sw, const char *build)
{
	char *local = path_join(sw->ctl->dir, "rules.d/");
	for (size_t i = 0; i < sw->ctl->nr; i++) {
		if (!ctl_rec_is(sw->ctl, i, NULL, build))
			continue;
		const json_t *r = ctl_rec(sw->ctl, i), *rules = json_object_get(r, "rules");
		const char *b = rec_str(r, "build");
		if (!b || strcmp(b, build) != 0)
			continue;
		for (size_t k = 0; k < json_array_size(rules); k++) {
			const char *at = json_string_value(json_object_get(json_array_get(rules, k), "at"));
			const char *colon = at ? strrchr(at, ':') : NULL;
			if (!colon || !starts_with(at, local))
				continue;
			char *f = xstrndup(at, (size_t)(colon - at));
			int seen = 0;
			for (size_t j = 0; j < sw->extra_rules.nr; j++)
				seen |= strcmp(sw->extra_rules.v[j], f) == 0;
			if (!seen)
				strvec_push(&sw->extra_rules, f);
			free(f);
		}
	}
	free(local);
}

/* ---- one seed ------------------------------------------------------------------ */

/* What the log says about build id (records after offset): compiles, link time, layout digests, link outputs. */
static void scan_relink(const struct tree *t, const char *id, off_t offset, double t0, json_t *res,
			struct strvec *link_outs)
{
	char *path = path_join(t->log_dir, LOG_FILE);
	struct log_reader rd;
	long compiles = 0, downstream = 0, links = 0;
	double link_wall = 0, chain_start = 0, chain_end = 0;
	json_t *layout = json_object(), *compiled = json_array();
	if (log_reader_open(&rd, path) == 0) {
		rd.quiet = 1;
		fseeko(rd.f, offset, SEEK_SET);
		json_t *r;
		while (log_reader_next(&rd, &r) > 0) {
			const char *b = rec_str(r, "build"), *mode = rec_str(r, "mode"), *role = rec_str(r, "role");
			if (!b || strcmp(b, id) != 0 || !rec_is_call(r) || rec_bool(r, "probe") || !mode || !role) {
				json_decref(r);
				continue;
			}
			const json_t *outs = json_object_get(r, "outputs");
			const char *cwd = rec_str(r, "cwd");
			if ((strcmp(role, "cc") == 0 || strcmp(role, "hostcc") == 0) &&
			    (strcmp(mode, "compile") == 0 || strcmp(mode, "assemble") == 0)) {
				if (ctl_compile_downstream(r, t0)) {
					downstream++;
				} else {
					compiles++;
					if (json_array_size(compiled) < 10 && json_array_size(outs))
						json_array_append(compiled, json_array_get(outs, 0));
				}
			}
			if (strcmp(mode, "link") == 0 || strcmp(mode, "relocatable") == 0) {
				links++;
				link_wall += rec_num(r, "wall");
				if (rec_num(r, "end") > chain_end)
					chain_end = rec_num(r, "end");
				for (size_t k = 0; k < json_array_size(outs); k++) {
					char *p = json_bytes_decode(json_array_get(outs, k));
					char *key = p && cwd ? output_key(cwd, p, t->build_dir) : NULL;
					if (key)
						strvec_push(link_outs, key);
					free(key);
					free(p);
				}
			}
			const json_t *lay = json_object_get(r, "layout");
			if (lay && (!chain_start || rec_num(r, "start") < chain_start))
				chain_start = rec_num(r, "start");
			if (lay && json_array_size(outs) && cwd) {
				char *p = json_bytes_decode(json_array_get(outs, 0));
				char *key = p ? output_key(cwd, p, t->build_dir) : NULL;
				if (key) {
					json_t *d = json_pack("{s:O*,s:O*,s:O*}", "digest", json_object_get(lay, "digest"),
							      "method", json_object_get(lay, "method"), "pads",
							      json_object_get(lay, "pads"));
					json_object_set_new(layout, key, d);
				}
				free(key);
				free(p);
			}
			json_decref(r);
		}
		log_reader_close(&rd);
	}
	free(path);
	json_object_set_new(res, "compiles", json_integer(compiles));
	if (compiles)
		json_object_set_new(res, "compiled", compiled);
	else
		json_decref(compiled);
	json_object_set_new(res, "downstream_compiles", json_integer(downstream));
	json_object_set_new(res, "links", json_integer(links));
	json_t *secs = json_object_get(res, "seconds");
	json_object_set_new(secs, "links", json_real(round(link_wall * 1000) / 1000));
	if (chain_start && chain_end > chain_start)	/* from the layout call to the last link: the link chain */
		json_object_set_new(secs, "link_chain", json_real(round((chain_end - chain_start) * 1000) / 1000));
	json_object_set_new(res, "layout", layout);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of the link outputs and of arch/STAR/boot/bzImage, keyed by path in the build directory. */
static json_t *artifact_digests(const struct tree *t, struct strvec *keys)
{
	DIR *d;
	char *arch = path_join(t->build_dir, "arch");
	if ((d = opendir(arch))) {
		for (struct dirent *de; (de = readdir(d));) {
			if (de->d_name[0] == '.')
				continue;
			char *k = xasprintf("arch/%s/boot/bzImage", de->d_name);
			char *p = path_join(t->build_dir, k);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
				strvec_push(keys, k);
			free(p);
			free(k);
		}
		closedir(d);
	}
	free(arch);
	qsort(keys->v, keys->nr, sizeof(*keys->v), cmp_strp);
	json_t *files = json_object();
	for (size_t i = 0; i < keys->nr; i++) {
		if (i && strcmp(keys->v[i], keys->v[i - 1]) == 0)
			continue;
		char *p = keys->v[i][0] == '/' ? xstrdup(keys->v[i]) : path_join(t->build_dir, keys->v[i]);
		char hex[SHA256_HEX_LEN + 1];
		if (sha256_file_hex(p, hex) == 0)
			json_object_set_new(files, keys->v[i], json_string(hex));
		free(p);
	}
	return files;
}

/* Remove the layout calls' outputs from tree t. */
static void remove_layout_outputs(const struct sweep *sw, const struct tree *t)
{
	for (size_t i = 0; i < sw->layout_outputs.nr; i++) {
		char *p = path_join(t->build_dir, sw->layout_outputs.v[i]);
		if (unlink(p) < 0 && errno != ENOENT)
			warning("sweep: cannot remove '%s': %s", p, strerror(errno));
		free(p);
	}
}

/* How many of the layout calls' outputs tree t has. */
static size_t layout_outputs_present(const struct sweep *sw, const struct tree *t)
{
	size_t n = 0;
	for (size_t i = 0; i < sw->layout_outputs.nr; i++) {
		char *p = path_join(t->build_dir, sw->layout_outputs.v[i]);
		n += access(p, F_OK) == 0;
		free(p);
	}
	return n;
}

/* Where the records of a relink that starts now begin in tree t's log. */
static off_t log_size(const struct tree *t)
{
	char *log = path_join(t->log_dir, LOG_FILE);
	struct stat st;
	off_t size = stat(log, &st) == 0 ? st.st_size : 0;
	free(log);
	return size;
}

/*
 * Relink tree t with seed, then run the test (if any). Returns the seed's
 * result object: result pass|fail|build-error, reason, tail, layout, files.
 */
static json_t *run_seed(const struct sweep *sw, const struct tree *t, uint64_t seed, const char *sdir)
{
	json_t *res = json_object();
	char sbuf[32];
	snprintf(sbuf, sizeof(sbuf), "%llu", (unsigned long long)seed);
	json_object_set_new(res, "seed", json_integer((json_int_t)seed));
	json_object_set_new(res, "seconds", json_object());
	char host[256] = "?";
	gethostname(host, sizeof(host) - 1);
	json_object_set_new(res, "host", json_string(host));
	json_object_set_new(res, "tree", json_bytes(t->copy ? t->copy : t->build_dir));

	remove_layout_outputs(sw, t);
	off_t offset = log_size(t);

	char *id = xasprintf("seed-%llu-%d", (unsigned long long)seed, (int)getpid());
	json_object_set_new(res, "build", json_string(id));
	struct strvec env = STRVEC_INIT;
	strvec_push_nodup(&env, xasprintf("KSHIM_SEED=%s", sbuf));
	if (sw->extra_rules.nr) {
		const char *old = getenv("KSHIM_RULES");
		char *v = xstrdup("KSHIM_RULES=");
		for (size_t i = 0; i < sw->extra_rules.nr; i++) {
			char *n = xasprintf("%s%s%s", v, i ? ":" : "", sw->extra_rules.v[i]);
			free(v);
			v = n;
		}
		if (old && *old) {
			char *n = xasprintf("%s:%s", v, old);
			free(v);
			v = n;
		}
		strvec_push_nodup(&env, v);
	}
	char *mlog = xasprintf("%s/seed-%s.make.log", sdir, sbuf);
	char *steps_path = path_join(sdir, STEPS_FILE);
	json_t *learned = sw->relink_make ? NULL : json_load_file(steps_path, 0, NULL);
	/* learned, with steps or with why there are none (then make, without learning again) */
	json_t *steps = json_array_size(json_object_get(learned, "steps")) ? json_object_get(learned, "steps") : NULL;
	const char *how = steps ? "steps" : "make";
	double t0 = now_mono(), t0_epoch = now_epoch();
	int mst;
	if (steps) {
		mst = ctl_steps_run(steps, t->log_dir, t->build_dir, t->cwd, &t->make_args, t->preload_only, id,
				    &env, mlog);
		if (mst || layout_outputs_present(sw, t) < sw->layout_outputs.nr) {
			/* not an answer about the seed: the whole make says whether the seed links */
			json_object_set_new(res, "steps_failed", mst ? json_sprintf("exit %d (see %s/seed-%s.make.log)", mst,
										    sw->sweep_dir, sbuf) :
					    json_string("the steps did not write the layout outputs"));
			remove_layout_outputs(sw, t);
			offset = log_size(t);
			free(id);
			id = xasprintf("seed-%llu-%d-make", (unsigned long long)seed, (int)getpid());
			json_object_set_new(res, "build", json_string(id));
			how = "make";
			mst = ctl_remake(t->log_dir, t->cwd, &t->make_args, t->preload_only, id, &env, mlog);
		}
	} else {
		/* learn the link sub-makes from this relink (make's exec records carry their environment) */
		struct strvec menv = STRVEC_INIT;
		for (size_t i = 0; i < env.nr; i++)
			strvec_push(&menv, env.v[i]);
		if (!sw->relink_make && !learned)
			strvec_push(&menv, "KSHIM_ALL_EXECS=make");
		mst = ctl_remake(t->log_dir, t->cwd, &t->make_args, t->preload_only, id, &menv, mlog);
		strvec_clear(&menv);
	}
	json_object_set_new(json_object_get(res, "seconds"), "build", json_real(round((now_mono() - t0) * 1000) / 1000));
	json_object_set_new(res, "relink", json_string(how));

	struct strvec keys = STRVEC_INIT;
	scan_relink(t, id, offset, t0_epoch, res, &keys);
	for (size_t i = 0; i < sw->layout_outputs.nr; i++)
		strvec_push(&keys, sw->layout_outputs.v[i]);
	json_object_set_new(res, "files", artifact_digests(t, &keys));
	strvec_clear(&keys);
	/* learn from a clean relink (a relink that compiled is no model: the next seed tries again) */
	if (!learned && !sw->relink_make && mst == 0 && json_integer_value(json_object_get(res, "compiles")) == 0) {
		char *why;
		json_t *got = ctl_steps_learn(t->log_dir, id, offset, &why);
		json_t *f = json_pack("{s:s,s:O*}", "build", id, "steps", got);
		if (got) {
			json_object_set_new(res, "steps_learned", json_integer((json_int_t)json_array_size(got)));
		} else {
			fprintf(stderr, "sweep: every seed relinks through make: %s\n", why);
			json_object_set_new(f, "why", json_string(why));
		}
		ctl_write_json_atomic(steps_path, f);
		json_decref(f);
		json_decref(got);
		free(why);
	}
	json_decref(learned);
	free(steps_path);

	if (mst != 0) {
		json_object_set_new(res, "result", json_string("build-error"));
		json_object_set_new(res, "exit", json_integer(mst));
		char *why = ctl_build_error_reason(mlog);
		json_object_set_new(res, "reason", json_bytes(why));
		free(why);
		json_object_set_new(res, "tail", ctl_file_tail(mlog, TAIL_LINES));
	} else if (sw->test) {
		char *tlog = xasprintf("%s/seed-%s.test.log", sdir, sbuf);
		strvec_push_nodup(&env, xasprintf("KSHIM_SWEEP_BUILD_DIR=%s", t->build_dir));
		json_t *tr = ctl_run_test(sw->test, t->build_dir, tlog, &env, sw->timeout);
		json_object_set(json_object_get(res, "seconds"), "test", json_object_get(tr, "seconds"));
		json_object_del(tr, "seconds");
		json_object_update(res, tr);
		json_decref(tr);
		char *shown = xasprintf("%s/seed-%s.test.log", sw->sweep_dir, sbuf);
		json_object_set_new(res, "test_log", json_bytes(shown));
		free(shown);
		free(tlog);
	} else {
		json_object_set_new(res, "result", json_string("built"));
	}
	char *shown = xasprintf("%s/seed-%s.make.log", sw->sweep_dir, sbuf);
	json_object_set_new(res, "make_log", json_bytes(shown));
	free(shown);
	strvec_clear(&env);
	free(mlog);
	free(id);
	return res;
}

/* ---- results ---------------------------------------------------------------------- */

static json_t *results_load(const char *path, const char *test, int *bad)
{
	json_error_t jerr;
	*bad = 0;
	if (access(path, F_OK) != 0)
		return json_pack("{s:i,s:s*,s:{}}", "kshim_sweep", 1, "test", test, "seeds");
	json_t *j = json_load_file(path, 0, &jerr);
	if (!j || !json_is_object(json_object_get(j, "seeds"))) {
		error("%s:%d: not a kshimctl sweep results file: %s", path, jerr.line, j ? "no \"seeds\"" : jerr.text);
		*bad = 1;
		json_decref(j);
		return NULL;
	}
	const char *had = json_string_value(json_object_get(j, "test"));
	if (test && had && strcmp(had, test) != 0) {
		error("%s: its results are for the test '%s', not '%s'; use --results FILE for another test", path, had,
		      test);
		*bad = 1;
		json_decref(j);
		return NULL;
	}
	if (test && !had)
		json_object_set_new(j, "test", json_string(test));
	return j;
}

static const char *result_of(const json_t *r)
{
	const char *s = json_string_value(json_object_get(r, "result"));
	return s ? s : "?";
}

static const char *layout_digest_of(const json_t *r)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(r, "layout"), k, v)
		return json_string_value(json_object_get(v, "digest"));
	return NULL;
}

static void print_table(const json_t *results, FILE *f)
{
	const char *k;
	json_t *v;
	size_t n = json_object_size(json_object_get(results, "seeds")), i = 0;
	const json_t **rows = xcalloc(n ? n : 1, sizeof(*rows));
	json_object_foreach(json_object_get(results, "seeds"), k, v)
		rows[i++] = v;
	/* by seed */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && json_integer_value(json_object_get(rows[b - 1], "seed")) >
						json_integer_value(json_object_get(rows[b], "seed")); b--) {
			const json_t *t = rows[b];
			rows[b] = rows[b - 1];
			rows[b - 1] = t;
		}
	int pass = 0, fail = 0, berr = 0;
	fprintf(f, "%-8s %-12s %-16s %8s %8s  %s\n", "seed", "result", "layout", "relink", "test", "reason");
	for (i = 0; i < n; i++) {
		const json_t *r = rows[i], *secs = json_object_get(r, "seconds");
		const char *res = result_of(r), *d = layout_digest_of(r), *why = json_string_value(json_object_get(r, "reason"));
		pass += strcmp(res, "pass") == 0;
		fail += strcmp(res, "fail") == 0;
		berr += strcmp(res, "build-error") == 0;
		fprintf(f, "%-8lld %-12s %-16.16s %7.1fs %7.1fs  %s\n", (long long)json_integer_value(json_object_get(r, "seed")),
			res, d ? d : "-", json_number_value(json_object_get(secs, "build")),
			json_number_value(json_object_get(secs, "test")), why ? why : "");
	}
	fprintf(f, "%d passed, %d failed, %d build errors (%zu seeds)\n", pass, fail, berr, n);
	free(rows);
}

/* ---- trees for --jobs ------------------------------------------------------------- */

/* path -> "ino mtime" of every file under dir, except the log directory */
static void snapshot(const char *dir, const char *rel, const char *skip, json_t *out)
{
	char *full = rel[0] ? path_join(dir, rel) : xstrdup(dir);
	DIR *d = opendir(full);
	if (!d) {
		free(full);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *r = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *p = path_join(dir, r);
		struct stat st;
		if (strcmp(p, skip) != 0 && lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				snapshot(dir, r, skip, out);
			} else {
				char *v = xasprintf("%lu %ld.%09ld", (unsigned long)st.st_ino, (long)st.st_mtim.tv_sec,
						    st.st_mtim.tv_nsec);
				json_object_set_new(out, r, json_string(v));
				free(v);
			}
		}
		free(p);
		free(r);
	}
	closedir(d);
	free(full);
}

/* Tree k: a hard-link copy of tree 0 in which every file of written is a real copy. */
static int make_tree(struct sweep *sw, int k, const json_t *written)
{
	struct tree *t0 = &sw->trees[0], *t = &sw->trees[k];
	char *dir = xasprintf("%s/sweep/tree-%d", t0->log_dir, k);
	struct strvec rm = STRVEC_INIT, cp = STRVEC_INIT, env = STRVEC_INIT;
	strvec_push(&rm, "rm");
	strvec_push(&rm, "-rf");
	strvec_push(&rm, dir);
	int tmo, ret = 0;
	char *log = xasprintf("%s/sweep/tree-%d.log", t0->log_dir, k);
	if (ctl_run_logged(rm.v, "/", log, &env, 0, &tmo) != 0 || mkdir_p(dir, 0755) < 0)
		ret = error("sweep: cannot make the tree '%s'", dir);
	/* cp -al of every entry but the log directory */
	DIR *d = ret ? NULL : opendir(t0->build_dir);
	strvec_push(&cp, "cp");
	strvec_push(&cp, "-al");
	size_t fixed = cp.nr;
	for (struct dirent *de; d && (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *p = path_join(t0->build_dir, de->d_name);
		if (strcmp(p, t0->log_dir) != 0)
			strvec_push(&cp, p);
		free(p);
	}
	if (d)
		closedir(d);
	strvec_push(&cp, dir);
	if (!ret && cp.nr > fixed + 1 && ctl_run_logged(cp.v, "/", log, &env, 0, &tmo) != 0)
		ret = error("sweep: 'cp -al' into '%s' failed (see %s)", dir, log);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)written, key, v) {
		if (ret)
			break;
		char *from = path_join(t0->build_dir, key), *to = path_join(dir, key);
		struct stat st;
		if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) && ctl_copy_file(from, to, 1) < 0)
			ret = error("sweep: cannot copy '%s' to '%s': %s", from, to, strerror(errno));
		free(from);
		free(to);
	}
	/* its own log; the project's rule files the reference applied come along (KSHIM_RULES) */
	char *log_dir = path_join(dir, KSHIM_LOG_DIRNAME), *rules = path_join(log_dir, "sweep-rules");
	mkdir_p(rules, 0755);
	for (size_t i = 0; i < sw->extra_rules.nr && !ret; i++) {
		char *to = path_join(rules, path_basename(sw->extra_rules.v[i]));
		if (ctl_copy_file(sw->extra_rules.v[i], to, 1) < 0)
			ret = error("sweep: cannot copy the rule file '%s' into '%s'", sw->extra_rules.v[i], rules);
		free(to);
	}
	free(rules);
	free(log_dir);
	t->copy = dir;
	t->build_dir = xstrdup(t0->build_dir);
	t->log_dir = path_join(t0->build_dir, KSHIM_LOG_DIRNAME);
	t->cwd = xstrdup(t0->cwd);
	strvec_init(&t->make_args);
	for (size_t i = 0; i < t0->make_args.nr; i++)
		strvec_push(&t->make_args, t0->make_args.v[i]);
	t->preload_only = t0->preload_only;
	strvec_clear(&rm);
	strvec_clear(&cp);
	free(log);
	return ret;
}

/* ---- the sweep -------------------------------------------------------------------- */

static void save_result(struct sweep *sw, json_t *res)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(json_object_get(res, "seed")));
	json_object_set_new(json_object_get(sw->results, "seeds"), key, res);
	ctl_write_json_atomic(sw->results_path, sw->results);
}

static void progress(struct sweep *sw, const json_t *res, size_t done, size_t total, int failed, double t_start)
{
	double per = (now_mono() - t_start) / (double)done;
	char eta[32];
	ctl_fmt_eta(per * (double)(total - done), eta, sizeof(eta));
	const char *why = json_string_value(json_object_get(res, "reason"));
	long compiles = (long)json_integer_value(json_object_get(res, "compiles"));
	fprintf(stderr, "sweep: seed %lld %s%s%s%s [%zu/%zu, %d failed, %.1f s/seed, ETA %s]\n",
		(long long)json_integer_value(json_object_get(res, "seed")), result_of(res), why ? " (" : "",
		why ? why : "", why ? ")" : "", done, total, failed, per, eta);
	if (compiles)
		fprintf(stderr, "sweep: warning: seed %lld compiled %ld file(s): the relink was not layout-only (see the "
			"\"compiled\" list in %s)\n", (long long)json_integer_value(json_object_get(res, "seed")), compiles,
			sw->results_path);
}

static int write_id_map(const char *file, unsigned id)
{
	char buf[64];
	int fd = open(file, O_WRONLY | O_CLOEXEC), n = snprintf(buf, sizeof(buf), "0 %u 1\n", id);
	int ok = fd >= 0 && write(fd, buf, (size_t)n) == n;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * In this process: a private mount namespace in which copy is mounted at
 * at. As root, a mount namespace; otherwise in a user namespace of its own
 * (Debian allows unprivileged ones). -1 with a message when neither works.
 */
static int mount_tree_at(const char *copy, const char *at)
{
	if (unshare(CLONE_NEWNS) < 0) {
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 || write_id_map("/proc/self/setgroups", 0) < 0 ||
		    write_id_map("/proc/self/uid_map", uid) < 0 || write_id_map("/proc/self/gid_map", gid) < 0)
			return error("sweep: --jobs needs a private mount namespace (root, or unprivileged user "
				     "namespaces): %s; use --jobs 1, or --emit", strerror(errno));
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(copy, at, NULL, MS_BIND | MS_REC, NULL) < 0)
		return error("sweep: cannot mount '%s' at '%s': %s", copy, at, strerror(errno));
	return 0;
}

/* Run seed in a child process on tree k; the parent collects its result file. */
static pid_t start_worker(struct sweep *sw, int k, uint64_t seed)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		struct tree *t = &sw->trees[k];
		/* the sweep directory, reachable under the mount too: through an open descriptor */
		int dfd = open(sw->sweep_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		char *sdir = dfd >= 0 ? xasprintf("/proc/self/fd/%d", dfd) : NULL;
		if (!sdir || (t->copy && mount_tree_at(t->copy, t->build_dir) < 0))
			_exit(3);
		if (t->copy && sw->extra_rules.nr) {
			/* the copies of the project's rule files (make_tree), as seen in the tree */
			struct strvec in_tree = STRVEC_INIT;
			for (size_t i = 0; i < sw->extra_rules.nr; i++)
				strvec_push_nodup(&in_tree, xasprintf("%s/sweep-rules/%s", t->log_dir,
								      path_basename(sw->extra_rules.v[i])));
			strvec_clear(&sw->extra_rules);
			strvec_move(&sw->extra_rules, &in_tree);
		}
		json_t *res = run_seed(sw, t, seed, sdir);
		char *p = xasprintf("%s/result-%llu.json", sdir, (unsigned long long)seed);
		int ret = ctl_write_json_atomic(p, res);
		_exit(ret ? 1 : 0);
	}
	if (pid > 0) {
		sw->trees[k].worker = pid;
		sw->trees[k].seed = seed;
	}
	return pid;
}

static json_t *collect_worker(struct sweep *sw, int k)
{
	char *p = xasprintf("%s/result-%llu.json", sw->sweep_dir, (unsigned long long)sw->trees[k].seed);
	json_error_t jerr;
	json_t *res = json_load_file(p, 0, &jerr);
	if (!res) {
		res = json_pack("{s:I,s:s,s:s}", "seed", (json_int_t)sw->trees[k].seed, "result", "build-error", "reason",
				"kshimctl's worker for this seed died");
	}
	unlink(p);
	free(p);
	sw->trees[k].worker = 0;
	return res;
}

static int sweep_run(struct sweep *sw, const uint64_t *seeds, size_t nseeds, int jobs, int stop_on_fail)
{
	size_t next = 0, done = 0;
	int failed = 0, stop = 0;
	double t_start = now_mono();
	json_t *written = NULL;
	while (next < nseeds && !stop) {
		/* the first seed alone, in the build directory: it measures what a relink writes */
		if (done == 0 && jobs > 1 && !written) {
			json_t *before = json_object(), *after = json_object();
			snapshot(sw->trees[0].build_dir, "", sw->trees[0].log_dir, before);
			start_worker(sw, 0, seeds[next++]);
			int st;
			waitpid(sw->trees[0].worker, &st, 0);
			json_t *res = collect_worker(sw, 0);
			snapshot(sw->trees[0].build_dir, "", sw->trees[0].log_dir, after);
			written = json_object();
			const char *key;
			json_t *v;
			json_object_foreach(after, key, v) {
				const json_t *was = json_object_get(before, key);
				if (!was || strcmp(json_string_value(was), json_string_value(v)) != 0)
					json_object_set_new(written, key, json_true());
			}
			json_decref(before);
			json_decref(after);
			done++;
			failed += strcmp(result_of(res), "pass") != 0;
			stop = stop_on_fail && strcmp(result_of(res), "pass") != 0;
			progress(sw, res, done, nseeds, failed, t_start);
			save_result(sw, res);
			if (stop || next >= nseeds)
				break;
			int ntrees = jobs < (int)(nseeds - next) + 1 ? jobs : (int)(nseeds - next) + 1;
			if (!sw->quiet)
				fprintf(stderr, "sweep: a relink writes %zu files; making %d more tree(s) of hard links\n",
					json_object_size(written), ntrees - 1);
			for (int k = 1; k < ntrees; k++) {
				if (make_tree(sw, k, written) < 0) {
					json_decref(written);
					return -1;
				}
				sw->ntrees = k + 1;
			}
			continue;
		}
		/* fill idle trees */
		for (int k = 0; k < sw->ntrees && next < nseeds && !stop; k++)
			if (!sw->trees[k].worker && start_worker(sw, k, seeds[next]) > 0)
				next++;
		int st;
		pid_t w = wait(&st);
		if (w < 0)
			break;
		for (int k = 0; k < sw->ntrees; k++) {
			if (sw->trees[k].worker != w)
				continue;
			json_t *res = collect_worker(sw, k);
			done++;
			failed += strcmp(result_of(res), "pass") != 0;
			if (stop_on_fail && strcmp(result_of(res), "pass") != 0)
				stop = 1;
			progress(sw, res, done, nseeds, failed, t_start);
			save_result(sw, res);
		}
	}
	/* drain: seeds still running finish and count */
	for (int k = 0; k < sw->ntrees; k++) {
		if (!sw->trees[k].worker)
			continue;
		int st;
		waitpid(sw->trees[k].worker, &st, 0);
		json_t *res = collect_worker(sw, k);
		done++;
		failed += strcmp(result_of(res), "pass") != 0;
		progress(sw, res, done, nseeds, failed, t_start);
		save_result(sw, res);
	}
	json_decref(written);
	return failed;
}

/* ---- commands --------------------------------------------------------------------- */

static void shell_quote(FILE *f, const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=/.,:@%") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

static int sweep_merge(const char *results_path, char **files, int n)
{
	int bad;
	json_t *out = results_load(results_path, NULL, &bad);
	if (!out)
		return 2;
	int ret = 0;
	for (int i = 0; i < n; i++) {
		json_t *in = results_load(files[i], json_string_value(json_object_get(out, "test")), &bad);
		if (!in) {
			ret = 2;
			continue;
		}
		if (!json_object_get(out, "test") && json_object_get(in, "test"))
			json_object_set(out, "test", json_object_get(in, "test"));
		json_object_update(json_object_get(out, "seeds"), json_object_get(in, "seeds"));
		json_decref(in);
	}
	if (ret == 0 && ctl_write_json_atomic(results_path, out) < 0)
		ret = 2;
	if (ret == 0)
		print_table(out, stdout);
	json_decref(out);
	return ret;
}

static void sweep_release(struct sweep *sw)
{
	for (int k = 0; k < sw->ntrees; k++) {
		free(sw->trees[k].build_dir);
		free(sw->trees[k].log_dir);
		free(sw->trees[k].cwd);
		free(sw->trees[k].copy);
		strvec_clear(&sw->trees[k].make_args);
	}
	free(sw->trees);
	strvec_clear(&sw->layout_outputs);
	strvec_clear(&sw->extra_rules);
	free(sw->results_path);
	free(sw->sweep_dir);
	json_decref(sw->results);
}

/* The reference build, its tree 0 and the make arguments (recorded, or given after --). */
static int sweep_setup(struct sweep *sw, const char *from, int argc, char **argv, int jobs)
{
	const char *build = reference_build(sw, from);
	if (!build)
		return 2;
	local_rule_files(sw, build);
	sw->sweep_dir = path_join(sw->ctl->dir, "sweep");
	if (mkdir_p(sw->sweep_dir, 0755) < 0) {
		error("sweep: cannot create '%s': %s", sw->sweep_dir, strerror(errno));
		return 2;
	}
	/* the link sub-makes are learned again by every sweep that uses them: the tree may have changed */
	char *steps = path_join(sw->sweep_dir, STEPS_FILE);
	if (!sw->relink_make && unlink(steps) < 0 && errno != ENOENT)
		warning("sweep: cannot remove '%s': %s", steps, strerror(errno));
	free(steps);
	sw->trees = xcalloc((size_t)(jobs > 0 ? jobs : 1), sizeof(*sw->trees));
	sw->ntrees = 1;
	struct tree *t = &sw->trees[0];
	strvec_init(&t->make_args);
	const char *bdir = ctl_build_dir_of(sw->ctl, build);
	char here[PATH_MAX];
	if (argc) {
		for (int i = 0; i < argc; i++)
			strvec_push(&t->make_args, argv[i]);
		t->cwd = xstrdup(getcwd(here, sizeof(here)) ? here : ".");
	} else if (ctl_make_args_of(sw->ctl, build, &t->make_args, &t->cwd, &t->preload_only) < 0) {
		bdir = NULL;
	}
	if (!bdir) {
		error("sweep: build %s was not made by 'kshimctl make' (or by an older one): give the make arguments after --",
		      build);
		return 2;
	}
	t->build_dir = xstrdup(bdir);
	t->log_dir = xstrdup(sw->ctl->dir);
	return 0;
}

int cmd_sweep(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "seeds", required_argument, NULL, 's' },
		{ "test", required_argument, NULL, 't' },
		{ "stop-on-fail", no_argument, NULL, 'x' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "results", required_argument, NULL, 'r' },
		{ "rerun", no_argument, NULL, 'R' },
		{ "from", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "emit", no_argument, NULL, 'e' },
		{ "merge", no_argument, NULL, 'm' },
		{ "table", no_argument, NULL, 'p' },
		{ "relink", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *seeds_spec = NULL, *test = NULL, *results = NULL, *from = NULL;
	int c, jobs = 1, stop_on_fail = 0, rerun = 0, emit = 0, merge = 0, table = 0, relink_make = 0;
	double timeout = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': seeds_spec = optarg; break;
		case 't': test = optarg; break;
		case 'x': stop_on_fail = 1; break;
		case 'j':
			jobs = atoi(optarg);
			if (jobs < 1 || jobs > 64)
				return error("sweep: --jobs '%s': expected 1 to 64", optarg), 2;
			break;
		case 'r': results = optarg; break;
		case 'R': rerun = 1; break;
		case 'f': from = optarg; break;
		case 'T':
			timeout = atof(optarg);
			if (timeout <= 0)
				return error("sweep: --timeout '%s': expected seconds > 0", optarg), 2;
			break;
		case 'e': emit = 1; break;
		case 'm': merge = 1; break;
		case 'p': table = 1; break;
		case 'L':
			if (strcmp(optarg, "make") != 0 && strcmp(optarg, "steps") != 0)
				return error("sweep: --relink '%s': expected steps or make", optarg), 2;
			relink_make = strcmp(optarg, "make") == 0;
			break;
		case 'h': return ctl_usage(ctl_find_cmd("sweep"), stdout);
		default: return ctl_bad_option("sweep", argv[optind - 1]);
		}
	}
	if (ctl_find_dir(ctl, dir) < 0)
		return 2;
	struct sweep sw = { .ctl = ctl, .test = test, .timeout = timeout, .relink_make = relink_make };
	strvec_init(&sw.layout_outputs);
	strvec_init(&sw.extra_rules);
	sw.results_path = results ? xstrdup(results) : path_join(ctl->dir, "sweep.json");
	if (merge) {
		int r = sweep_merge(sw.results_path, argv + optind, argc - optind);
		free(sw.results_path);
		return r;
	}
	if (table) {
		int bad;
		json_t *r = results_load(sw.results_path, NULL, &bad);
		free(sw.results_path);
		if (!r)
			return 2;
		print_table(r, stdout);
		json_decref(r);
		return 0;
	}
	uint64_t *seeds = NULL;
	size_t nseeds = 0;
	if (!seeds_spec || !test) {
		free(sw.results_path);
		return error("sweep: --seeds and --test are required (see --help)"), 2;
	}
	if (parse_seeds(seeds_spec, &seeds, &nseeds) < 0) {
		free(sw.results_path);
		return 2;
	}
	int ret = 2;
	if (ctl_load(ctl) < 0 || sweep_setup(&sw, from, argc - optind, argv + optind, jobs) != 0)
		goto out;
	if (emit) {
		/* one self-contained command per seed, for a job runner elsewhere */
		for (size_t i = 0; i < nseeds; i++) {
			printf("cd ");
			shell_quote(stdout, sw.trees[0].cwd);
			printf(" && kshimctl sweep --dir ");
			shell_quote(stdout, ctl->dir);
			printf(" --seeds %llu --test ", (unsigned long long)seeds[i]);
			shell_quote(stdout, test);
			printf(" --results ");
			char *rp = xasprintf("%s/sweep-seed-%llu.json", ctl->dir, (unsigned long long)seeds[i]);
			shell_quote(stdout, rp);
			free(rp);
			printf(" --");
			for (size_t k = 0; k < sw.trees[0].make_args.nr; k++) {
				putchar(' ');
				shell_quote(stdout, sw.trees[0].make_args.v[k]);
			}
			putchar('\n');
		}
		ret = 0;
		goto out;
	}
	int bad;
	sw.results = results_load(sw.results_path, test, &bad);
	if (!sw.results)
		goto out;
	/* a later sweep extends an earlier one */
	size_t todo = 0;
	for (size_t i = 0; i < nseeds; i++) {
		char key[32];
		snprintf(key, sizeof(key), "%llu", (unsigned long long)seeds[i]);
		if (rerun || !json_object_get(json_object_get(sw.results, "seeds"), key))
			seeds[todo++] = seeds[i];
	}
	if (todo < nseeds)
		fprintf(stderr, "sweep: %zu seed(s) already in %s (--rerun to test them again)\n", nseeds - todo,
			sw.results_path);
	json_object_set_new(sw.results, "build_dir", json_bytes(sw.trees[0].build_dir));
	json_t *outs = json_array();
	for (size_t i = 0; i < sw.layout_outputs.nr; i++)
		json_array_append_new(outs, json_bytes(sw.layout_outputs.v[i]));
	json_object_set_new(sw.results, "layout_outputs", outs);
	fprintf(stderr, "sweep: %zu seed(s), relinking %s%s in %s, test: %s\n", todo, sw.layout_outputs.v[0],
		sw.layout_outputs.nr > 1 ? " ..." : "", sw.trees[0].build_dir, test);
	int failed = todo ? sweep_run(&sw, seeds, todo, jobs, stop_on_fail) : 0;
	print_table(sw.results, stdout);
	fprintf(stderr, "sweep: results in %s; the build directory now has the layout of the last seed run "
		"('kshimctl replay --seed 0' restores the plain one)\n", sw.results_path);
	ret = failed < 0 ? 2 : failed > 0 ? 1 : 0;
	/* exit 1 if any seed of the request failed, also earlier ones */
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(sw.results, "seeds"), k, v)
		for (size_t i = 0; i < nseeds && ret == 0; i++)
			if ((uint64_t)json_integer_value(json_object_get(v, "seed")) == seeds[i] && strcmp(result_of(v), "pass"))
				ret = 1;
out:
	free(seeds);
	sweep_release(&sw);
	return ret;
}

int cmd_replay(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "verify", no_argument, NULL, 'v' },
		{ "test", required_argument, NULL, 't' },
		{ "results", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *seed_s = NULL, *test = NULL, *results = NULL, *from = NULL;
	int c, verify = 0, as_json = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': seed_s = optarg; break;
		case 'v': verify = 1; break;
		case 't': test = optarg; break;
		case 'r': results = optarg; break;
		case 'f': from = optarg; break;
		case 'J': as_json = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("replay"), stdout);
		default: return ctl_bad_option("replay", argv[optind - 1]);
		}
	}
	uint64_t *seeds = NULL;
	size_t n = 0;
	if (!seed_s || parse_seeds(seed_s, &seeds, &n) < 0 || n != 1) {
		free(seeds);
		return error("replay: --seed N is required (one seed)"), 2;
	}
	uint64_t seed = seeds[0];
	free(seeds);
	if (ctl_find_dir(ctl, dir) < 0)
		return 2;
	/* one seed, exactly: through the top-level make, which checks the whole tree on the way */
	struct sweep sw = { .ctl = ctl, .test = test, .relink_make = 1 };
	strvec_init(&sw.layout_outputs);
	strvec_init(&sw.extra_rules);
	sw.results_path = results ? xstrdup(results) : path_join(ctl->dir, "sweep.json");
	int ret = 2;
	json_t *res = NULL, *want = NULL;
	if (ctl_load(ctl) < 0 || sweep_setup(&sw, from, argc - optind, argv + optind, 1) != 0)
		goto out;
	if (verify) {
		int bad;
		json_t *r = results_load(sw.results_path, NULL, &bad);
		char key[32];
		snprintf(key, sizeof(key), "%llu", (unsigned long long)seed);
		want = r ? json_incref(json_object_get(json_object_get(r, "seeds"), key)) : NULL;
		json_decref(r);
		if (!want) {
			error("replay: --verify: seed %s is not in %s (sweep it first)", key, sw.results_path);
			goto out;
		}
	}
	fprintf(stderr, "replay: relinking %s with seed %llu in %s\n", sw.layout_outputs.v[0], (unsigned long long)seed,
		sw.trees[0].build_dir);
	res = run_seed(&sw, &sw.trees[0], seed, sw.sweep_dir);
	const char *result = result_of(res);
	ret = strcmp(result, "build-error") == 0 ? 1 : test && strcmp(result, "pass") != 0 ? 1 : 0;
	if (as_json) {
		json_dumpf(res, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		printf("seed %llu: %s%s%s\n", (unsigned long long)seed, result,
		       json_object_get(res, "reason") ? ": " : "",
		       json_object_get(res, "reason") ? json_string_value(json_object_get(res, "reason")) : "");
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(res, "layout"), k, v)
			printf("  layout %-24s %s\n", k, json_string_value(json_object_get(v, "digest")));
		json_object_foreach(json_object_get(res, "files"), k, v)
			printf("  sha256 %-24s %s\n", k, json_string_value(v));
		if (json_integer_value(json_object_get(res, "compiles")))
			printf("  warning: %lld compiler call(s) during the relink\n",
			       (long long)json_integer_value(json_object_get(res, "compiles")));
	}
	if (verify && ret != 2) {
		int diffs = 0;
		const char *sections[] = { "layout", "files" };
		for (int s = 0; s < 2; s++) {
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(want, sections[s]), k, v) {
				const json_t *got = json_object_get(json_object_get(res, sections[s]), k);
				const json_t *a = s == 0 ? json_object_get(v, "digest") : v;
				const json_t *b = s == 0 ? json_object_get(got, "digest") : got;
				if (!b || !json_equal(a, b)) {
					printf("  DIFFERS %s %s: recorded %s, now %s\n", sections[s], k, json_string_value(a),
					       b ? json_string_value(b) : "(missing)");
					diffs++;
				}
			}
		}
		if (diffs) {
			printf("replay: seed %llu: %d digest(s) differ from %s\n", (unsigned long long)seed, diffs,
			       sw.results_path);
			ret = 1;
		} else {
			printf("replay: seed %llu: every recorded digest matches (%zu layout, %zu files)\n",
			       (unsigned long long)seed, json_object_size(json_object_get(want, "layout")),
			       json_object_size(json_object_get(want, "files")));
		}
	}
out:
	json_decref(res);
	json_decref(want);
	sweep_release(&sw);
	return ret;
}
