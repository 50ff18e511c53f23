/*
 * kshimctl bisect --good G --bad B --test CMD: the object, then the flag,
 * that separates a good build from a bad one.
 *
 * G and B are pins or builds of the log; a build stands for the tree as it
 * left it (pin save --whole-tree), written as a pin under <log>/bisect/.
 * The candidates are the compiled objects (.o of cc and hostcc calls) whose
 * pinned argv or tool differ. Everything else (links, objtool) is the good
 * side's: every make that bisect runs enforces a pin.
 *
 *  1. populate: each side's candidates are built once with its pin enforced
 *     (kbuild's own recipe: compile, objtool; only the candidates' outputs are
 *     removed, so make rebuilds exactly them), unless the tree already holds
 *     the bytes the side's records say; every candidate's two versions go to a
 *     content-addressed store, <log>/objects/ab/cdef... Candidates whose two
 *     versions are the same bytes drop out.
 *  2. objects: mixes are placed in the tree (copies from the store, new
 *     times, so make relinks and compiles nothing), relinked by `kshimctl
 *     make` with the recorded make arguments and the good pin, and tested.
 *     The all-good and all-bad mixes first, then halving (bisect.h):
 *     ceil(log2 N) + 2 test runs for N candidates. --all goes on until the
 *     bad build without the culprits found passes.
 *  3. flags: on the culprit, subsets of the difference between its good and
 *     bad argv (bisect.h's items) are compiled through make with a pin whose
 *     block for the culprit says that argv, and tested. All items = the bad
 *     object, no items = the good one: known, never compiled. A result whose
 *     bytes were tested before is not tested again.
 *  When no single item fails alone (the culprit passes by itself), a minimal
 *  failing subset is searched instead and named as a combination.
 *
 * Every test result is kept in <log>/bisect/state.json (keyed by the digest of
 * the mix, and for flags by the subset), so an interrupted bisect started
 * again with the same arguments asks again only what it had not asked. At the
 * end the tree is the good build's again, relinked.
 */
#include "bisect.h"
#include "ctl.h"
#include "digest.h"
#include "fingerprint.h"
#include "log.h"
#include "pin.h"
#include "strvec.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1

struct side {
	const char *name;	/* "good" | "bad" */
	const char *arg;	/* as given */
	const char *build;	/* a build of the log, or NULL for a pin file */
	char *pin;		/* the pin enforced for this side */
	struct pin_block *b;
	size_t n;
	json_t *index;		/* "output role" -> block index */
	json_t *seeds;		/* layout seeds of the build's link calls */
	json_t *final;		/* output -> sha256 the side's records left it with */
};

struct cand {
	char *path;		/* relative to the build directory */
	size_t gi, bi;		/* cc blocks */
	char sha[2][SHA256_HEX_LEN + 1];	/* 0 good, 1 bad */
	char cur[SHA256_HEX_LEN + 1];		/* in the tree now ("" unknown) */
};

struct bis {
	struct ctl *ctl;
	const char *test;
	double timeout;
	char *bdir, *sdir, *dir, *store, *state_path;
	struct strvec make_args;
	int preload_only;	/* the builds ran as kshimctl make --preload-only */
	char *make_cwd;
	struct side s[2];
	struct cand *c;
	size_t nc;
	size_t *act;		/* candidates whose two versions differ */
	size_t nact;
	json_t *state;
	json_t *others;		/* other blocks that differ, not bisected */
	unsigned steps, tests, compiles;
	double t_start;
	/* the stage the oracle serves */
	const char *stage;
	unsigned asked, budget;
	size_t culprit;
	struct flag_diff fd;
	int tool_item;		/* index of the "another tool" item, or -1 */
	int failed_setup;
};

/* ---- the two sides ------------------------------------------------------------ */

static char *block_key(const struct pin_block *b)
{
	return xasprintf("%s %s", b->output, b->role);
}

static int block_same(const struct pin_block *a, const struct pin_block *b)
{
	return strcmp(a->tool, b->tool) == 0 && strcmp(a->tool_sha, b->tool_sha) == 0 && strvec_equal(&a->args, &b->args);
}

/* Seeds of the build's layout calls, and what each output's last call left in it (sha256). */
static void side_records(struct bis *bs, struct side *sd)
{
	const struct ctl *ctl = bs->ctl;
	size_t end = ctl_build_end(ctl, sd->build);
	json_t *same = json_object();
	for (size_t i = 0; i < end; i++) {
		if (!ctl_rec_is(ctl, i, "call", NULL) || !ctl_rec_build(ctl, i) ||
		    !ctl_same_tree(ctl, ctl_rec_build(ctl, i), sd->build, bs->bdir, same))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build"), *cwd = rec_str(r, "cwd");
		if (!rec_is_call(r) || !b || !cwd || rec_bool(r, "probe") || json_integer_value(json_object_get(r, "exit")))
			continue;
		const json_t *lay = json_object_get(r, "layout");
		if (lay && strcmp(b, sd->build) == 0) {
			json_t *seed = json_object_get(lay, "seed");
			size_t k;
			json_t *x;
			int seen = 0;
			json_array_foreach(sd->seeds, k, x)
				seen |= json_equal(x, seed);
			if (!seen && seed)
				json_array_append(sd->seeds, seed);
		}
		const char *k;
		json_t *o;
		json_object_foreach(json_object_get(json_object_get(r, "fp"), "outputs"), k, o) {
			const char *sha = json_string_value(json_object_get(o, "sha256"));
			char *p = json_key_decode(k);
			char *key = p ? output_key(cwd, p, bs->bdir) : NULL;
			if (key && sha)
				json_object_set_new(sd->final, key, json_string(sha));
			free(key);
			free(p);
		}
	}
	json_decref(same);
}

static int side_load(struct bis *bs, struct side *sd)
{
	struct stat st;
	sd->seeds = json_array();
	sd->final = json_object();
	sd->index = json_object();
	if (stat(sd->arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if (pin_load(sd->arg, &sd->b, &sd->n) < 0)
			return -1;
		char real[PATH_MAX];
		sd->pin = xstrdup(realpath(sd->arg, real) ? real : sd->arg);
	} else {
		sd->build = ctl_build_select(bs->ctl, sd->arg);
		if (!sd->build) {
			error("bisect: --%s %s: neither a pin file nor a build of the log", sd->name, sd->arg);
			return -1;
		}
		const char *d = ctl_build_dir_of(bs->ctl, sd->build);
		if (!d || strcmp(d, bs->bdir) != 0) {
			error("bisect: --%s %s: build %s is of '%s', not of this build directory '%s'", sd->name, sd->arg,
			      sd->build, d ? d : "?", bs->bdir);
			return -1;
		}
		sd->b = ctl_pin_blocks(bs->ctl, sd->build, 1, &sd->n);
		sd->pin = xasprintf("%s/%s.pin", bs->dir, sd->name);
		char *tmp = xasprintf("%s.tmp", sd->pin), *comment = xasprintf("kshimctl bisect: the %s side, the tree as build "
									     "%s left it", sd->name, sd->build);
		FILE *f = fopen(tmp, "w");
		if (f)
			pin_write(f, sd->b, sd->n, comment);
		int bad = !f || fclose(f) != 0 || rename(tmp, sd->pin) != 0;
		free(comment);
		free(tmp);
		if (bad)
			return error("bisect: cannot write '%s': %s", sd->pin, strerror(errno));
		side_records(bs, sd);
	}
	if (!sd->n)
		return error("bisect: --%s %s: nothing pinned (no successful call with outputs)", sd->name, sd->arg);
	for (size_t i = 0; i < sd->n; i++) {
		char *k = block_key(&sd->b[i]);
		json_object_set_new(sd->index, k, json_integer((json_int_t)i));
		free(k);
	}
	return 0;
}

static void side_release(struct side *sd)
{
	pin_blocks_free(sd->b, sd->n);
	free(sd->pin);
	json_decref(sd->index);
	json_decref(sd->seeds);
	json_decref(sd->final);
}

/* Candidates: compiled objects whose blocks differ; other differences are listed. */
static void find_candidates(struct bis *bs)
{
	struct side *g = &bs->s[0], *b = &bs->s[1];
	bs->others = json_array();
	bs->c = xcalloc(b->n + 1, sizeof(*bs->c));
	for (size_t i = 0; i < b->n; i++) {
		const struct pin_block *bb = &b->b[i];
		char *k = block_key(bb);
		json_t *at = json_object_get(g->index, k);
		free(k);
		const struct pin_block *gb = at ? &g->b[json_integer_value(at)] : NULL;
		if (gb && block_same(gb, bb))
			continue;
		const char *why;
		char *out = pin_unescape(bb->output, NULL, NULL, &why);
		int object = out && ends_with(out, ".o") && (strcmp(bb->role, "cc") == 0 || strcmp(bb->role, "hostcc") == 0);
		if (gb && object) {
			struct cand *c = &bs->c[bs->nc++];
			c->path = out;
			c->gi = (size_t)json_integer_value(at);
			c->bi = i;
			continue;
		}
		json_array_append_new(bs->others, json_sprintf("%s (%s)%s", bb->output, bb->role, gb ? "" : ": only in bad"));
		free(out);
	}
	for (size_t i = 0; i < g->n; i++) {
		char *k = block_key(&g->b[i]);
		if (!json_object_get(b->index, k))
			json_array_append_new(bs->others, json_sprintf("%s (%s): only in good", g->b[i].output, g->b[i].role));
		free(k);
	}
}

/* ---- the store and the tree ----------------------------------------------------- */

static char *store_path(const struct bis *bs, const char *sha)
{
	return xasprintf("%s/%.2s/%s", bs->store, sha, sha + 2);
}

/* The file at the candidate's path into the store; its digest into sha. 0 or -1. */
static int store_put(struct bis *bs, const struct cand *c, char sha[SHA256_HEX_LEN + 1])
{
	char *p = path_join(bs->bdir, c->path);
	int ret = -1;
	if (sha256_file_hex(p, sha) < 0) {
		error("bisect: cannot read '%s': %s", p, strerror(errno));
		goto out;
	}
	char *to = store_path(bs, sha);
	struct stat st;
	if (stat(to, &st) == 0) {
		ret = 0;
	} else {
		char *d = xstrndup(to, (size_t)(path_basename(to) - to)), *tmp = xasprintf("%s.tmp.%d", to, (int)getpid());
		if (mkdir_p(d, 0755) == 0 && ctl_copy_file(p, tmp, 0) == 0 && rename(tmp, to) == 0)
			ret = 0;
		else
			error("bisect: cannot store '%s' in '%s': %s", p, to, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(d);
	}
	free(to);
out:
	free(p);
	return ret;
}

/* Put version sha of candidate c in the tree (a copy, dated now: make relinks, compiles nothing). */
static int place(struct bis *bs, struct cand *c, const char *sha)
{
	if (strcmp(c->cur, sha) == 0)
		return 0;
	char *from = store_path(bs, sha), *to = path_join(bs->bdir, c->path);
	char *tmp = xasprintf("%s.kshim-bisect.%d", to, (int)getpid());
	int ret = ctl_copy_file(from, tmp, 0) == 0 && rename(tmp, to) == 0 ? 0 : -1;
	if (ret < 0) {
		error("bisect: cannot put '%s' in place of '%s': %s", from, to, strerror(errno));
		unlink(tmp);
	} else {
		snprintf(c->cur, sizeof(c->cur), "%s", sha);
	}
	free(tmp);
	free(from);
	free(to);
	return ret;
}

static void state_save(struct bis *bs)
{
	ctl_write_json_atomic(bs->state_path, bs->state);
}

/* `kshimctl make` with the recorded arguments and pin enforced; 0 or make's status (its error printed). */
static int remake(struct bis *bs, const char *pin, const char *what, const char *logname)
{
	struct strvec env = STRVEC_INIT;
	strvec_push_nodup(&env, xasprintf("KSHIM_PIN=%s", pin));
	strvec_push(&env, "KSHIM_PIN_MODE=enforce");
	char *id = xasprintf("bisect-%s-%d", logname, (int)getpid()), *log = xasprintf("%s/%s.make.log", bs->dir, logname);
	int st = ctl_remake(bs->ctl->dir, bs->make_cwd, &bs->make_args, bs->preload_only, id, &env, log);
	if (st != 0) {
		char *why = ctl_build_error_reason(log);
		error("bisect: %s: make failed (exit %d): %s (see %s)", what, st, why, log);
		free(why);
	}
	strvec_clear(&env);
	free(id);
	free(log);
	return st;
}

/* Build each candidate of side k once, with its pin enforced, and store both versions. */
static int populate(struct bis *bs, int k)
{
	struct side *sd = &bs->s[k];
	json_t *cands = json_object_get(bs->state, "candidates");
	struct strvec todo = STRVEC_INIT;
	size_t have = 0;
	for (size_t i = 0; i < bs->nc; i++) {
		struct cand *c = &bs->c[i];
		const char *known = json_string_value(json_object_get(json_object_get(cands, c->path), sd->name));
		char *sp = known ? store_path(bs, known) : NULL;
		if (sp && access(sp, R_OK) == 0) {
			snprintf(c->sha[k], sizeof(c->sha[k]), "%s", known);
			have++;
			free(sp);
			continue;
		}
		free(sp);
		const char *left = json_string_value(json_object_get(sd->final, c->path));
		char now[SHA256_HEX_LEN + 1] = "";
		char *p = path_join(bs->bdir, c->path);
		if (left && sha256_file_hex(p, now) == 0 && strcmp(now, left) == 0 && store_put(bs, c, c->sha[k]) == 0) {
			have++;	/* the tree holds what this side's build left: no need to build it again */
			snprintf(c->cur, sizeof(c->cur), "%s", now);
		} else {
			strvec_push(&todo, p);
		}
		free(p);
	}
	if (todo.nr) {
		fprintf(stderr, "bisect: populate %s: building %zu of %zu candidate object(s) with %s enforced%s\n", sd->name,
			todo.nr, bs->nc, sd->pin, have ? " (the rest are in the store or the tree)" : "");
		for (size_t i = 0; i < todo.nr; i++)
			if (unlink(todo.v[i]) < 0 && errno != ENOENT)
				warning("bisect: cannot remove '%s': %s", todo.v[i], strerror(errno));
		char *what = xasprintf("populate %s", sd->name), *logname = xasprintf("populate-%s", sd->name);
		double t0 = now_mono();
		int st = remake(bs, sd->pin, what, logname);
		free(what);
		free(logname);
		if (st != 0) {
			strvec_clear(&todo);
			return -1;
		}
		fprintf(stderr, "bisect: populate %s: built in %.1f s\n", sd->name, now_mono() - t0);
	} else {
		fprintf(stderr, "bisect: populate %s: all %zu candidate object(s) already in the store or the tree\n",
			sd->name, bs->nc);
	}
	strvec_clear(&todo);
	for (size_t i = 0; i < bs->nc; i++) {
		struct cand *c = &bs->c[i];
		if (!c->sha[k][0]) {
			if (store_put(bs, c, c->sha[k]) < 0)
				return -1;
			snprintf(c->cur, sizeof(c->cur), "%s", c->sha[k]);
		}
		json_t *e = json_object_get(cands, c->path);
		if (!e)
			json_object_set_new(cands, c->path, e = json_object());
		json_object_set_new(e, sd->name, json_string(c->sha[k]));
	}
	state_save(bs);
	return 0;
}

/* ---- one test ------------------------------------------------------------------- */

/*
 * The digest of the candidates' versions in the tree now: the key of a test
 * result. Candidates whose two versions are the same bytes are left out: they
 * are the same in every mix.
 */
static void mix_key(const struct bis *bs, char out[SHA256_HEX_LEN + 1])
{
	char *buf = xstrdup("");
	for (size_t i = 0; i < bs->nc; i++) {
		if (strcmp(bs->c[i].sha[0], bs->c[i].sha[1]) == 0)
			continue;
		char *n = xasprintf("%s%s=%s\n", buf, bs->c[i].path, bs->c[i].cur);
		free(buf);
		buf = n;
	}
	sha256_hex(buf, strlen(buf), out);
	free(buf);
}

static void progress(struct bis *bs, const char *what, const json_t *res, int known)
{
	const char *why = json_string_value(json_object_get(res, "reason"));
	char eta[32] = "";
	unsigned left = bs->budget > bs->asked ? bs->budget - bs->asked : 0;
	double per = bs->tests ? (now_mono() - bs->t_start) / bs->tests : 0;
	if (per > 0 && left)
		ctl_fmt_eta(per * left, eta, sizeof(eta));
	fprintf(stderr, "bisect: %s %u/%u%s%s: %s: %s%s%s%s%s\n", bs->stage, bs->asked, bs->budget, *eta ? ", ETA " : "", eta,
		what, json_string_value(json_object_get(res, "result")), why ? " (" : "", why ? why : "", why ? ")" : "",
		known ? " [known]" : "");
}

/* After make: are the placed objects still the ones placed? (make -B, a touched source, a clock skew rebuild them) */
static int tree_holds_mix(const struct bis *bs)
{
	for (size_t i = 0; i < bs->nc; i++) {
		const struct cand *c = &bs->c[i];
		char *p = path_join(bs->bdir, c->path), now[SHA256_HEX_LEN + 1] = "";
		int same = !c->cur[0] || (sha256_file_hex(p, now) == 0 && strcmp(now, c->cur) == 0);
		free(p);
		if (!same)
			return error("bisect: make rebuilt %s while relinking a mix (a newer source or header, or make -B in the "
				     "arguments?): that mix is not what it should be, so it is not tested", c->path);
	}
	return 0;
}

/*
 * Relink what is in the tree (unless built), test it, remember the result
 * under the mix's key. 1 fail, 0 pass, -1 error.
 */
static int judge(struct bis *bs, const char *what, int built)
{
	char key[SHA256_HEX_LEN + 1];
	mix_key(bs, key);
	json_t *results = json_object_get(bs->state, "results"), *res = json_object_get(results, key);
	bs->asked++;
	if (res) {
		progress(bs, what, res, 1);
		return strcmp(json_string_value(json_object_get(res, "result")), "pass") != 0;
	}
	bs->steps++;
	char name[32];
	snprintf(name, sizeof(name), "step-%u", bs->steps);
	res = json_object();
	if (!built) {
		int st = remake(bs, bs->s[0].pin, what, name);
		if (st != 0 || tree_holds_mix(bs) < 0) {
			json_decref(res);
			return -1;
		}
	}
	char *tlog = xasprintf("%s/%s.test.log", bs->dir, name);
	struct strvec env = STRVEC_INIT;
	strvec_push_nodup(&env, xasprintf("KSHIM_BISECT_STEP=%u", bs->steps));
	json_t *tr = ctl_run_test(bs->test, bs->bdir, tlog, &env, bs->timeout);
	strvec_clear(&env);
	bs->tests++;
	json_object_update(res, tr);
	json_decref(tr);
	json_object_set_new(res, "what", json_string(what));
	json_object_set_new(res, "stage", json_string(bs->stage));
	json_object_set_new(res, "test_log", json_string(tlog));
	free(tlog);
	json_object_set_new(results, key, res);
	state_save(bs);
	progress(bs, what, res, 0);
	return strcmp(json_string_value(json_object_get(res, "result")), "pass") != 0;
}

/* ---- the object stage --------------------------------------------------------------- */

static int objects_oracle(void *ctx, const unsigned char *set, size_t n)
{
	struct bis *bs = ctx;
	size_t nbad = 0;
	for (size_t i = 0; i < n; i++) {
		struct cand *c = &bs->c[bs->act[i]];
		nbad += set[i] != 0;
		if (place(bs, c, c->sha[set[i] ? 1 : 0]) < 0)
			return -1;
	}
	char *what = nbad == 1 ? NULL : xasprintf("%zu of %zu object(s) from bad", nbad, n);
	for (size_t i = 0; !what && i < n; i++)
		if (set[i])
			what = xasprintf("only %s from bad", bs->c[bs->act[i]].path);
	int r = judge(bs, what, 0);
	free(what);
	return r;
}

/* ---- the flag stage ------------------------------------------------------------------ */

static int flags_oracle(void *ctx, const unsigned char *set, size_t n)
{
	struct bis *bs = ctx;
	struct cand *c = &bs->c[bs->culprit];
	size_t nset = 0;
	for (size_t i = 0; i < n; i++)
		nset += set[i] != 0;
	char *what = NULL;
	if (nset == 1) {
		for (size_t i = 0; i < n; i++)
			if (set[i])
				what = (int)i == bs->tool_item ? xstrdup("the bad tool only") :
					flag_item_describe(&bs->fd.items[i]);
	} else {
		what = xasprintf("%zu of %zu difference(s)", nset, n);
	}
	char *full = xasprintf("%s: %s", c->path, what);
	free(what);
	int r;
	if (nset == 0 || nset == n) {		/* the stored versions: no compile */
		r = place(bs, c, c->sha[nset ? 1 : 0]) < 0 ? -1 : judge(bs, full, 0);
		free(full);
		return r;
	}
	/* the subset's argv, compiled through make under a pin that says it */
	char *bits = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		bits[i] = set[i] ? '1' : '0';
	json_t *compiled = json_object_get(bs->state, "compiled");
	char *ckey = xasprintf("%s:%s", c->path, bits);
	free(bits);
	const char *known = json_string_value(json_object_get(compiled, ckey));
	char *sp = known ? store_path(bs, known) : NULL;
	if (sp && access(sp, R_OK) == 0) {
		r = place(bs, c, known) < 0 ? -1 : judge(bs, full, 0);
		free(sp);
		free(ckey);
		free(full);
		return r;
	}
	free(sp);
	struct side *g = &bs->s[0], *b = &bs->s[1];
	struct pin_block *blocks = xcalloc(g->n, sizeof(*blocks)), *cb = &blocks[c->gi];
	memcpy(blocks, g->b, g->n * sizeof(*blocks));
	struct pin_block mine = *cb;
	strvec_init(&mine.args);
	flag_diff_apply(&bs->fd, set, &mine.args);
	if (bs->tool_item >= 0 && set[bs->tool_item]) {
		mine.tool = b->b[c->bi].tool;
		memcpy(mine.tool_sha, b->b[c->bi].tool_sha, sizeof(mine.tool_sha));
	}
	*cb = mine;
	char *pin = xasprintf("%s/flags.pin", bs->dir), *tmp = xasprintf("%s.tmp", pin);
	FILE *f = fopen(tmp, "w");
	if (f)
		pin_write(f, blocks, g->n, "kshimctl bisect: the good side with one block changed");
	r = !f || fclose(f) != 0 || rename(tmp, pin) != 0 ? -1 : 0;
	strvec_clear(&mine.args);
	free(blocks);
	free(tmp);
	if (r < 0) {
		error("bisect: cannot write '%s': %s", pin, strerror(errno));
	} else {
		char *p = path_join(bs->bdir, c->path);
		unlink(p);
		free(p);
		c->cur[0] = 0;
		char name[32];
		snprintf(name, sizeof(name), "compile-%u", bs->compiles + 1);
		bs->compiles++;
		if (remake(bs, pin, full, name) != 0) {
			r = -1;
		} else if (store_put(bs, c, c->cur) == 0) {
			json_object_set_new(compiled, ckey, json_string(c->cur));
			state_save(bs);
			r = judge(bs, full, 1);
		} else {
			r = -1;
		}
	}
	free(pin);
	free(ckey);
	free(full);
	return r;
}

/* The answer in words: on stdout, and as the answer's "message" (--json prints only JSON). */
static void say(json_t *answer, int as_json, const char *fmt, ...) ATTR_PRINTF(3, 4);
static void say(json_t *answer, int as_json, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m;
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m)
		return;
	if (!as_json)
		fputs(m, stdout);
	const char *had = json_string_value(json_object_get(answer, "message"));
	json_object_set_new(answer, "message", json_sprintf("%s%s", had ? had : "", m));
	free(m);
}

/* ---- reporting ------------------------------------------------------------------------ */

/* Rules of the bad build whose changes on the culprit mention the item's words. */
static json_t *rules_behind(const struct bis *bs, const struct cand *c, const char *words)
{
	json_t *out = json_array();
	const struct side *b = &bs->s[1];
	if (!b->build || !words)
		return out;
	const json_t *last = NULL;
	for (size_t i = 0; i < bs->ctl->nr; i++) {
		if (!ctl_rec_is(bs->ctl, i, "call", NULL))
			continue;
		const json_t *r = ctl_rec(bs->ctl, i);
		const char *cwd = rec_str(r, "cwd"), *role = rec_str(r, "role");
		const json_t *outs = json_object_get(r, "outputs");
		if (!rec_is_call(r) || !cwd || !role || (strcmp(role, "cc") && strcmp(role, "hostcc")) || !json_array_size(outs))
			continue;
		char *o = json_bytes_decode(json_array_get(outs, 0));
		char *key = o ? output_key(cwd, o, bs->bdir) : NULL;
		if (key && strcmp(key, c->path) == 0)
			last = r;
		free(key);
		free(o);
		if (rec_str(r, "build") && strcmp(rec_str(r, "build"), b->build) == 0 && last == r)
			break;
	}
	size_t i;
	json_t *a;
	json_array_foreach(last ? json_object_get(last, "rules") : NULL, i, a) {
		char *dump = json_dumps(json_object_get(a, "changes"), JSON_COMPACT);
		char *w = xstrdup(words);
		int hit = 0;
		for (char *t = strtok(w, " "); t && dump; t = strtok(NULL, " "))
			hit |= strstr(dump, t) != NULL;
		if (hit)
			json_array_append_new(out, json_pack("{s:O,s:O}", "rule", json_object_get(a, "rule"), "at",
							    json_object_get(a, "at")));
		free(w);
		free(dump);
	}
	return out;
}

/* One rule that undoes the items on the culprit (NULL when an item is the tool: only a pin says that). */
static char *fix_rule_text(const struct bis *bs, const struct cand *c, const unsigned char *items)
{
	if (bs->tool_item >= 0 && items[bs->tool_item])
		return NULL;
	char *name = xstrdup(c->path);
	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p))
			*p = '_';
	char *t = xasprintf("[rule bisect-fix-%s]\nwhy    = kshimctl bisect: these differences on %s fail the test\n"
			    "role   = %s\noutput = %s\n", name, c->path, bs->s[1].b[c->bi].role, c->path);
	free(name);
	for (size_t i = 0; i < bs->fd.nitems; i++) {
		if (!items[i])
			continue;
		const struct flag_item *it = &bs->fd.items[i];
		char *n = it->kind == FLAG_ADD ? xasprintf("%sremove = %s\n", t, it->to) :
			  it->kind == FLAG_REMOVE ? xasprintf("%sadd    = %s\n", t, it->from) :
			  xasprintf("%sreplace = %s => %s\n", t, it->to, it->from);
		free(t);
		t = n;
	}
	return t;
}

/* The rule file of the fixes (for KSHIM_RULES, after the others). */
static char *write_fix_rules(const struct bis *bs, const struct strvec *rules)
{
	char *path = xasprintf("%s/fix.ini", bs->dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "; written by kshimctl bisect (good %s, bad %s, test: %s)\n", bs->s[0].arg, bs->s[1].arg, bs->test);
		fprintf(f, "; load it after the rules that made the bad build: KSHIM_RULES=...:%s\n", path);
		for (size_t i = 0; i < rules->nr; i++)
			fprintf(f, "%s%s", i ? "\n" : "", rules->v[i]);
	}
	if (!f || fclose(f) != 0) {
		error("bisect: cannot write '%s': %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

/* The bad pin with the culprits' blocks from the good one. */
static char *write_fix_pin(const struct bis *bs, const size_t *culprits, size_t n)
{
	const struct side *g = &bs->s[0], *b = &bs->s[1];
	char *path = xasprintf("%s/fix.pin", bs->dir);
	struct pin_block *blocks = xcalloc(b->n, sizeof(*blocks));
	memcpy(blocks, b->b, b->n * sizeof(*blocks));
	char *names = xstrdup("");
	for (size_t k = 0; k < n; k++) {
		const struct cand *c = &bs->c[culprits[k]];
		blocks[c->bi] = g->b[c->gi];
		blocks[c->bi].output = b->b[c->bi].output;
		blocks[c->bi].role = b->b[c->bi].role;
		char *nn = xasprintf("%s%s%s", names, k ? " " : "", c->path);
		free(names);
		names = nn;
	}
	FILE *f = fopen(path, "w");
	if (f) {
		char *comment = xasprintf("kshimctl bisect: the bad side (%s) with %s as in the good one (%s)", b->arg, names,
					  g->arg);
		pin_write(f, blocks, b->n, comment);
		free(comment);
	}
	free(names);
	if (!f || fclose(f) != 0) {
		error("bisect: cannot write '%s': %s", path, strerror(errno));
		free(path);
		path = NULL;
	}
	free(blocks);
	return path;
}

/*
 * The flag stage on one culprit (every other candidate good): which of its
 * differences fail. Fills jf; appends the fix rule's text to fixes.
 * 0 answered, 1 no answer (the object passes by itself), -1 error.
 */
static int flag_stage(struct bis *bs, size_t ci, json_t *jculprit, json_t *jf, struct strvec *fixes, json_t *answer,
		      int as_json)
{
	struct cand *cc = &bs->c[ci];
	bs->culprit = ci;
	for (size_t i = 0; i < bs->nc; i++)	/* the rest good */
		if (i != ci && place(bs, &bs->c[i], bs->c[i].sha[0]) < 0)
			return -1;
	const struct pin_block *gb = &bs->s[0].b[cc->gi], *bb = &bs->s[1].b[cc->bi];
	flag_diff_release(&bs->fd);
	flag_diff_compute(&gb->args, &bb->args, &bs->fd);
	size_t nitems = bs->fd.nitems;
	bs->tool_item = -1;
	if (strcmp(gb->tool, bb->tool) != 0 || strcmp(gb->tool_sha, bb->tool_sha) != 0)
		bs->tool_item = (int)nitems++;
	bs->stage = "flags";
	bs->asked = 0;
	bs->compiles = 0;
	bs->budget = bisect_log2_ceil(nitems) + 2;
	unsigned tests_before = bs->tests;
	json_object_set_new(jf, "object", json_string(cc->path));
	json_object_set_new(jf, "differences", json_integer((json_int_t)nitems));
	fprintf(stderr, "bisect: %s: %zu difference(s) between its good and bad command\n", cc->path, nitems);
	unsigned char *take = xcalloc(nitems + 1, 1), *needed = xcalloc(nitems + 1, 1);
	memset(take, 1, nitems);
	int ret = 0;
	int alone = flags_oracle(bs, take, nitems);	/* the culprit alone, all its differences: the bad object */
	int fr = alone < 0 ? -1 : 0;
	if (alone == 1)		/* an inferred culprit is now seen failing alone */
		json_object_set_new(jculprit, "verified", json_true());
	if (alone == 0) {
		say(answer, as_json, "bisect: %s does not fail by itself: the failure needs more than one object (try --all)\n",
		    cc->path);
		json_object_set_new(jf, "object_alone_passes", json_true());
		ret = 1;
	} else if (alone == 1 && nitems == 1) {
		needed[0] = 1;
	} else if (alone == 1) {
		size_t fc = 0;
		int verified = 0;
		fr = bisect_halve(nitems, flags_oracle, bs, &fc, &verified);
		if (fr == 0 && !verified) {	/* inferred: see it fail alone */
			memset(take, 0, nitems);
			take[fc] = 1;
			int v = flags_oracle(bs, take, nitems);
			fr = v < 0 ? -1 : 0;
			verified = v == 1;
		}
		if (fr == 0 && verified) {
			needed[fc] = 1;
		} else if (fr == 0) {
			fprintf(stderr, "bisect: no single difference fails alone: looking for the smallest combination\n");
			bs->budget = bs->asked + 2 * (bisect_log2_ceil(nitems) + 1);
			fr = bisect_minimal(nitems, flags_oracle, bs, needed);
		}
	}
	free(take);
	if (fr < 0) {
		free(needed);
		return -1;
	}
	json_object_set_new(jf, "compiles", json_integer(bs->compiles));
	json_object_set_new(jf, "tests", json_integer(bs->tests - tests_before));
	json_object_set_new(jf, "bound", json_integer(bisect_log2_ceil(nitems) + 2));
	json_t *items = json_array();
	json_object_set_new(jf, "culprits", items);
	for (size_t i = 0; i < nitems && ret == 0; i++) {
		if (!needed[i])
			continue;
		char *d = (int)i == bs->tool_item ? xasprintf("tool %s => %s", gb->tool, bb->tool) :
			  flag_item_describe(&bs->fd.items[i]);
		const struct flag_item *it = (int)i == bs->tool_item ? NULL : &bs->fd.items[i];
		json_array_append_new(items, json_pack("{s:s,s:o}", "difference", d, "rules",
						       rules_behind(bs, cc, it ? (it->to ? it->to : it->from) : NULL)));
		free(d);
	}
	char *rule = ret == 0 ? fix_rule_text(bs, cc, needed) : NULL;
	if (rule)
		strvec_push_nodup(fixes, rule);
	free(needed);
	return ret;
}

/* ---- the command -------------------------------------------------------------------------- */

static int setup(struct bis *bs, const char *good, const char *bad, int argc, char **argv)
{
	bs->bdir = ctl_build_dir(bs->ctl);
	const char *last = ctl_build_select(bs->ctl, "last");
	if (!bs->bdir && last)
		bs->bdir = xstrdup(ctl_build_dir_of(bs->ctl, last));
	if (!bs->bdir)
		return error("bisect: which build directory? (no build in the log %s)", bs->ctl->dir);
	bs->dir = path_join(bs->ctl->dir, "bisect");
	bs->store = path_join(bs->ctl->dir, "objects");
	bs->state_path = path_join(bs->dir, "state.json");
	if (mkdir_p(bs->dir, 0755) < 0 || mkdir_p(bs->store, 0755) < 0)
		return error("bisect: cannot create '%s' and '%s': %s", bs->dir, bs->store, strerror(errno));
	bs->s[0] = (struct side){ .name = "good", .arg = good };
	bs->s[1] = (struct side){ .name = "bad", .arg = bad };
	if (side_load(bs, &bs->s[0]) < 0 || side_load(bs, &bs->s[1]) < 0)
		return -1;
	strvec_init(&bs->make_args);
	if (argc) {
		char here[PATH_MAX];
		for (int i = 0; i < argc; i++)
			strvec_push(&bs->make_args, argv[i]);
		bs->make_cwd = xstrdup(getcwd(here, sizeof(here)) ? here : ".");
		return 0;
	}
	for (int k = 1; k >= 0; k--)
		if (bs->s[k].build && ctl_make_args_of(bs->ctl, bs->s[k].build, &bs->make_args, &bs->make_cwd, &bs->preload_only) == 0)
			return 0;
	for (size_t i = bs->ctl->nr; i-- > 0;) {
		const char *b = ctl_rec_build(bs->ctl, i);
		const char *d = b ? ctl_build_dir_of(bs->ctl, b) : NULL;
		if (d && strcmp(d, bs->bdir) == 0 && ctl_make_args_of(bs->ctl, b, &bs->make_args, &bs->make_cwd, &bs->preload_only) == 0)
			return 0;
	}
	return error("bisect: no build of %s was made by 'kshimctl make': give the make arguments after --", bs->bdir);
}

/* Resume a state of the same question, else start a new one. */
static void state_open(struct bis *bs)
{
	json_t *st = json_load_file(bs->state_path, 0, NULL);
	const char *g = json_string_value(json_object_get(st, "good")), *b = json_string_value(json_object_get(st, "bad")),
		   *t = json_string_value(json_object_get(st, "test"));
	if (st && json_integer_value(json_object_get(st, "kshim_bisect")) == STATE_VERSION && g && b && t &&
	    strcmp(g, bs->s[0].arg) == 0 && strcmp(b, bs->s[1].arg) == 0 && strcmp(t, bs->test) == 0) {
		fprintf(stderr, "bisect: resuming %s (%zu test result(s) known)\n", bs->state_path,
			json_object_size(json_object_get(st, "results")));
		bs->state = st;
		return;
	}
	if (st)
		fprintf(stderr, "bisect: %s was another bisect: starting over\n", bs->state_path);
	json_decref(st);
	bs->state = json_pack("{s:i,s:s,s:s,s:s,s:{},s:{},s:{}}", "kshim_bisect", STATE_VERSION, "good", bs->s[0].arg,
			      "bad", bs->s[1].arg, "test", bs->test, "candidates", "results", "compiled");
}

static void bis_release(struct bis *bs)
{
	for (int k = 0; k < 2; k++)
		side_release(&bs->s[k]);
	for (size_t i = 0; i < bs->nc; i++)
		free(bs->c[i].path);
	free(bs->c);
	free(bs->act);
	free(bs->bdir);
	free(bs->dir);
	free(bs->store);
	free(bs->state_path);
	free(bs->make_cwd);
	strvec_clear(&bs->make_args);
	json_decref(bs->state);
	json_decref(bs->others);
	flag_diff_release(&bs->fd);
}

static char *seeds_str(const json_t *seeds)
{
	char *s = xstrdup(json_array_size(seeds) ? "" : "0");
	size_t i;
	json_t *x;
	json_array_foreach(seeds, i, x) {
		char *n = xasprintf("%s%s%lld", s, i ? "," : "", (long long)json_integer_value(x));
		free(s);
		s = n;
	}
	return s;
}

/* Put the good build back: every candidate's good version, relinked. */
static void restore_good(struct bis *bs)
{
	int moved = 0;
	for (size_t i = 0; i < bs->nc; i++) {
		moved |= strcmp(bs->c[i].cur, bs->c[i].sha[0]) != 0;
		place(bs, &bs->c[i], bs->c[i].sha[0]);
	}
	if (moved && remake(bs, bs->s[0].pin, "putting the good build back", "restore") == 0)
		fprintf(stderr, "bisect: the tree is the good build again (relinked)\n");
}

int cmd_bisect(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "good", required_argument, NULL, 'g' },
		{ "bad", required_argument, NULL, 'b' },
		{ "test", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "all", no_argument, NULL, 'a' },
		{ "objects-only", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *good = NULL, *bad = NULL, *test = NULL;
	int c, all = 0, objects_only = 0, as_json = 0;
	double timeout = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'g': good = optarg; break;
		case 'b': bad = optarg; break;
		case 't': test = optarg; break;
		case 'T': {
			char *end;
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0))
				return error("bisect: --timeout %s: want seconds > 0", optarg), 2;
			break;
		}
		case 'a': all = 1; break;
		case 'o': objects_only = 1; break;
		case 'j': as_json = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("bisect"), stdout);
		default: return ctl_bad_option("bisect", argv[optind - 1]);
		}
	}
	if (!good || !bad || !test)
		return error("bisect: --good, --bad and --test are all required (see 'kshimctl bisect --help')"), 2;
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		return 2;
	struct bis bs = { .ctl = ctl, .test = test, .timeout = timeout, .tool_item = -1 };
	int ret = 2;
	json_t *answer = json_object();
	if (setup(&bs, good, bad, argc - optind, argv + optind) < 0)
		goto out;
	find_candidates(&bs);
	state_open(&bs);
	json_object_set_new(answer, "good", json_string(good));
	json_object_set_new(answer, "bad", json_string(bad));
	json_object_set_new(answer, "others", json_incref(bs.others));
	fprintf(stderr, "bisect: %zu compiled object(s) differ between good and bad%s", bs.nc,
		json_array_size(bs.others) ? "; also differ, not bisected (the good side's are used):" : "\n");
	for (size_t i = 0; i < json_array_size(bs.others); i++)
		fprintf(stderr, "%s %s%s", i ? "," : "", i < 5 ? json_string_value(json_array_get(bs.others, i)) : "",
			i + 1 == json_array_size(bs.others) ? "\n" : "");
	if (bs.nc == 0) {
		ret = 1;
		if (bs.s[0].build && bs.s[1].build && !json_equal(bs.s[0].seeds, bs.s[1].seeds)) {
			char *gs = seeds_str(bs.s[0].seeds), *bsd = seeds_str(bs.s[1].seeds);
			say(answer, as_json, "bisect: good and bad differ only in their layout (seed %s vs %s): the failure is "
			    "layout-only.\n  Reproduce it: kshimctl replay --seed %s --test '%s'\n  Explore it:   kshimctl "
			    "sweep --seeds 1-50 --test '%s'\n", gs, bsd, bsd, test, test);
			free(gs);
			free(bsd);
			json_object_set_new(answer, "layout_only", json_true());
			ret = 3;
		} else {
			say(answer, as_json, "bisect: no compiled object differs between good and bad: nothing to bisect by "
			    "objects\n");
		}
		goto report;
	}

	/* 1. both versions of every candidate */
	if (populate(&bs, 1) < 0 || populate(&bs, 0) < 0)
		goto out;
	bs.act = xcalloc(bs.nc, sizeof(*bs.act));
	for (size_t i = 0; i < bs.nc; i++)
		if (strcmp(bs.c[i].sha[0], bs.c[i].sha[1]) != 0)
			bs.act[bs.nact++] = i;
	fprintf(stderr, "bisect: %zu candidate object(s) differ in their bytes (%zu with other flags but the same bytes)\n",
		bs.nact, bs.nc - bs.nact);
	json_object_set_new(answer, "objects", json_pack("{s:i,s:i}", "differing_flags", (json_int_t)bs.nc,
							 "candidates", (json_int_t)bs.nact));
	json_t *jo = json_object_get(answer, "objects");
	if (!bs.nact) {
		say(answer, as_json, "bisect: the differing flags change no object's bytes: nothing to bisect by objects\n");
		ret = 1;
		goto report;
	}

	/* 2. objects: the endpoints, then halving */
	bs.t_start = now_mono();
	bs.stage = "objects";
	bs.budget = bisect_log2_ceil(bs.nact) + 2;
	unsigned char *set = xcalloc(bs.nact, 1);
	int r0 = objects_oracle(&bs, set, bs.nact);
	memset(set, 1, bs.nact);
	int r1 = r0 < 0 ? -1 : objects_oracle(&bs, set, bs.nact);
	if (r0 < 0 || r1 < 0) {
		free(set);
		ret = 2;
		goto out;
	}
	if (r0 != 0 || r1 != 1) {
		say(answer, as_json, "bisect: the endpoints do not hold: the good build %s and the bad one %s the test\n",
		    r0 ? "FAILS" : "passes", r1 ? "fails" : "PASSES");
		json_object_set_new(answer, "endpoints", json_pack("{s:b,s:b}", "good_fails", r0, "bad_fails", r1));
		free(set);
		ret = 1;
		restore_good(&bs);
		goto report;
	}
	json_t *culprits = json_array();
	json_object_set_new(jo, "culprits", culprits);
	unsigned char *found = xcalloc(bs.nact, 1);
	size_t *sub = xcalloc(bs.nact, sizeof(*sub));
	int err = 0;
	unsigned mark = 0;	/* a culprit's tests: the endpoints count for the first, the "another one?" test for the next */
	for (;;) {
		/* the candidates not found yet; the found ones are good in every mix from here */
		size_t ns = 0;
		for (size_t i = 0; i < bs.nact; i++)
			if (!found[i])
				sub[ns++] = i;
		size_t *saved = bs.act, cul = 0;
		size_t *sub_act = xcalloc(ns + 1, sizeof(*sub_act));
		for (size_t i = 0; i < ns; i++)
			sub_act[i] = saved[sub[i]];
		for (size_t i = 0; i < bs.nact; i++)	/* found culprits back to good */
			if (found[i])
				place(&bs, &bs.c[saved[i]], bs.c[saved[i]].sha[0]);
		bs.act = sub_act;
		int verified = 0;
		unsigned before = mark;
		int r = bisect_halve(ns, objects_oracle, &bs, &cul, &verified);
		bs.act = saved;
		size_t ci = sub_act[cul];
		free(sub_act);
		if (r < 0) {
			err = 1;
			break;
		}
		found[sub[cul]] = 1;
		json_array_append_new(culprits, json_pack("{s:s,s:b,s:i}", "object", bs.c[ci].path, "verified", verified,
							  "tests", (json_int_t)(bs.asked - before)));
		fprintf(stderr, "bisect: culprit object: %s (%s)\n", bs.c[ci].path, verified ? "seen failing alone" :
			"inferred: the rest passes without it");
		mark = bs.asked;
		if (!all || ns == 1)
			break;
		/* is there another one? the bad build without the culprits found so far */
		for (size_t i = 0; i < bs.nact; i++)
			set[i] = !found[i];
		bs.budget = bs.asked + 1 + bisect_log2_ceil(ns - 1);
		r = objects_oracle(&bs, set, bs.nact);
		if (r < 0) {
			err = 1;
			break;
		}
		if (!r)
			break;
	}
	json_object_set_new(jo, "tests", json_integer(bs.asked));
	json_object_set_new(jo, "test_runs", json_integer(bs.tests));
	json_object_set_new(jo, "bound", json_integer(bisect_log2_ceil(bs.nact) + 2));
	free(sub);
	free(found);
	free(set);
	if (err) {
		ret = 2;
		goto out;
	}

	/* 3. flags, on each culprit (the first only without --all) */
	size_t nfound = json_array_size(culprits), *cis = xcalloc(nfound + 1, sizeof(*cis));
	for (size_t k = 0; k < nfound; k++) {
		const char *cpath = json_string_value(json_object_get(json_array_get(culprits, k), "object"));
		for (size_t i = 0; i < bs.nc; i++)
			if (strcmp(bs.c[i].path, cpath) == 0)
				cis[k] = i;
	}
	ret = 0;
	struct strvec fixes = STRVEC_INIT;
	for (size_t k = 0; !objects_only && k < nfound && ret == 0; k++) {
		json_t *jf = json_object(), *jc = json_array_get(culprits, k);
		json_object_set(jc, "flags", jf);
		if (k == 0)
			json_object_set(answer, "flags", jf);
		json_decref(jf);
		int fr = flag_stage(&bs, cis[k], jc, jf, &fixes, answer, as_json);
		ret = fr < 0 ? 2 : fr;
		if (!all)
			break;
	}
	if (ret == 0 && fixes.nr) {
		char *fix = write_fix_rules(&bs, &fixes);
		if (fix)
			json_object_set_new(answer, "fix_rule", json_string(fix));
		free(fix);
	}
	strvec_clear(&fixes);
	if (ret == 0) {
		char *fp = write_fix_pin(&bs, cis, all ? nfound : 1);
		if (fp)
			json_object_set_new(answer, "fix_pin", json_string(fp));
		free(fp);
	}
	free(cis);
	if (ret == 2)
		goto out;
	restore_good(&bs);
report:
	json_object_set(bs.state, "answer", answer);
	state_save(&bs);
	if (as_json) {
		json_dumpf(answer, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		putchar('\n');
		goto out;
	}
	const json_t *o = json_object_get(answer, "objects");
	size_t i, k;
	json_t *x, *cx;
	json_array_foreach(json_object_get(o, "culprits"), i, x)
		printf("bisect: culprit object: %s (%s; among %lld objects: %lld tests, bound %lld)\n",
		       json_string_value(json_object_get(x, "object")),
		       json_is_true(json_object_get(x, "verified")) ? "fails alone" : "inferred",
		       (long long)json_integer_value(json_object_get(o, "candidates")),
		       (long long)json_integer_value(json_object_get(x, "tests")),
		       (long long)json_integer_value(json_object_get(o, "bound")));
	json_array_foreach(json_object_get(o, "culprits"), k, cx) {
		const json_t *fl = json_object_get(cx, "flags");
		json_array_foreach(json_object_get(fl, "culprits"), i, x) {
			printf("bisect: culprit flag:   %s on %s (of %lld differences; %lld compiles, bound %lld)\n",
			       json_string_value(json_object_get(x, "difference")), json_string_value(json_object_get(fl, "object")),
			       (long long)json_integer_value(json_object_get(fl, "differences")),
			       (long long)json_integer_value(json_object_get(fl, "compiles")),
			       (long long)json_integer_value(json_object_get(fl, "bound")));
			size_t r;
			json_t *rl;
			json_array_foreach(json_object_get(x, "rules"), r, rl)
				printf("  put there by rule %s (%s)\n", json_string_value(json_object_get(rl, "rule")),
				       json_string_value(json_object_get(rl, "at")));
			if (!json_array_size(json_object_get(x, "rules")))
				printf("  put there by: %s\n", bs.s[1].build ? "no rule of the bad build (its make arguments or "
				       "the tree)" : "the bad pin");
		}
	}
	if (json_object_get(answer, "fix_rule"))
		printf("  fix: the rule %s, or\n", json_string_value(json_object_get(answer, "fix_rule")));
	if (json_object_get(answer, "fix_pin"))
		printf("  fix: the pin %s (KSHIM_PIN=... KSHIM_PIN_MODE=enforce)\n",
		       json_string_value(json_object_get(answer, "fix_pin")));
out:
	json_decref(answer);
	bis_release(&bs);
	return ret;
}
