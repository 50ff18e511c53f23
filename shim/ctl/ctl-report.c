/*
 * kshimctl report [BUILD] [-o FILE] [--diff BASE] [--sweep FILE]: a build,
 * a sweep and a diff as one self-contained HTML page, and a plain summary on
 * the terminal.
 *
 * The page (report.html, compiled in) holds no data of its own: the data is
 * one JSON document, gzip-compressed and base64-encoded into a script element,
 * which the page inflates with the browser's DecompressionStream. Kernel
 * command lines are long and alike (a hundred words, most of them the same
 * from call to call), so every word is stored once in a string table and a
 * call's argv is a list of indices; the columns of the calls (start, duration,
 * lane, role, ...) are arrays of integers. gzip then takes a 30k-call build
 * to a few MB. The JSON is written as text, not built as jansson objects: a
 * kernel build has millions of argv words.
 *
 * Lanes: calls in order of their start, each put in the first lane that is
 * free by then (the parallel slots make -j used, as far as the log shows).
 * Critical path: the longest chain (by time in calls) of calls each of which
 * wrote an input of the next and ended before it started. Thin archives
 * (made by ar, which kshim does not see) count as their members; other tools
 * kshim does not see (kallsyms, objcopy) end a chain.
 */
#include "ctl.h"
#include "log.h"
#include "strvec.h"
#include "thinar.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "report-html.h"	/* REPORT_HTML, generated from report.html */

#define SLOWEST 20
#define DIFF_SHOWN 5000

/* ---- a growing text buffer -------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) ATTR_PRINTF(2, 3);
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k < sizeof(tmp)) {
		buf_add(b, tmp, (size_t)k);
		return;
	}
	char *s;
	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k >= 0) {
		buf_add(b, s, (size_t)k);
		free(s);
	}
}

/* A JSON string of any bytes: invalid UTF-8 is shown as \xNN (text for people, not bytes to run). */
static void buf_json_str(struct buf *b, const char *s)
{
	int valid = utf8_valid(s, strlen(s));
	buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			buf_add(b, e, 2);
		} else if (*p < 0x20 || *p == 0x7f || (!valid && *p >= 0x80)) {
			buf_printf(b, *p >= 0x80 ? "\\\\x%02x" : "\\u%04x", *p);
		} else {
			buf_add(b, (const char *)p, 1);
		}
	}
	buf_add(b, "\"", 1);
}

/* ---- the calls of a build ---------------------------------------------------------- */

struct call {
	const json_t *r;
	double s, e;		/* seconds since the build's first call */
	int lane;
	long pred;		/* critical path predecessor, -1 none */
};

struct report {
	struct ctl *ctl;
	const char *build;
	struct call *c;
	size_t n;
	double t0, wall;
	int lanes;
	json_t *words;		/* word -> index */
	size_t nwords;
	struct buf wtab;	/* the string table, as JSON array items */
	json_t *roles, *modes;	/* name -> index */
	json_t *rules;		/* "rule\tat" -> index in rule_list */
	json_t *rule_list;
	long *crit;
	size_t ncrit;
};

static long intern(struct report *rp, const char *w)
{
	json_t *k = json_object_get(rp->words, w);
	if (k)
		return (long)json_integer_value(k);
	json_object_set_new(rp->words, w, json_integer((json_int_t)rp->nwords));
	if (rp->nwords)
		buf_add(&rp->wtab, ",", 1);
	buf_json_str(&rp->wtab, w);
	return (long)rp->nwords++;
}

static int name_index(json_t *names, const char *name)
{
	json_t *k = json_object_get(names, name ? name : "?");
	if (!k) {
		k = json_integer((json_int_t)json_object_size(names));
		json_object_set_new(names, name ? name : "?", k);
	}
	return (int)json_integer_value(k);
}

static int by_start(const void *a, const void *b)
{
	const struct call *x = a, *y = b;
	return x->s < y->s ? -1 : x->s > y->s ? 1 : 0;
}

static int collect(struct report *rp)
{
	size_t cap = 0;
	double t0 = 0, tend = 0;
	for (size_t i = 0; i < rp->ctl->nr; i++) {
		if (!ctl_rec_is(rp->ctl, i, "call", rp->build))
			continue;
		const json_t *r = ctl_rec(rp->ctl, i);
		const char *b = rec_str(r, "build");
		if (!rec_is_call(r) || !b || strcmp(b, rp->build) != 0)
			continue;
		if (rp->n == cap)
			rp->c = xrealloc(rp->c, (cap = cap ? 2 * cap : 1024) * sizeof(*rp->c));
		double s = rec_num(r, "start"), e = rec_num(r, "end");
		if (e < s)
			e = s + rec_num(r, "wall");
		rp->c[rp->n++] = (struct call){ .r = r, .s = s, .e = e, .pred = -1 };
		if (rp->n == 1 || s < t0)
			t0 = s;
		if (e > tend)
			tend = e;
	}
	if (!rp->n)
		return error("report: build %s has no calls in the log %s", rp->build, rp->ctl->dir);
	for (size_t i = 0; i < rp->n; i++) {
		rp->c[i].s -= t0;
		rp->c[i].e -= t0;
	}
	rp->t0 = t0;
	rp->wall = tend - t0;
	qsort(rp->c, rp->n, sizeof(*rp->c), by_start);
	return 0;
}

/* The first lane free at each call's start. */
static void assign_lanes(struct report *rp)
{
	double *busy = NULL;
	int nl = 0;
	for (size_t i = 0; i < rp->n; i++) {
		int l = 0;
		while (l < nl && busy[l] > rp->c[i].s + 1e-6)
			l++;
		if (l == nl) {
			busy = xrealloc(busy, (size_t)++nl * sizeof(*busy));
		}
		busy[l] = rp->c[i].e;
		rp->c[i].lane = l;
	}
	free(busy);
	rp->lanes = nl;
}

static char *abs_path(const char *cwd, const char *p)
{
	return p[0] == '/' || !cwd ? xstrdup(p) : path_join(cwd, p);
}

/*
 * A call's predecessor: of the calls that wrote one of its inputs (or a
 * member of an input that is a thin archive) and ended before it started,
 * the one with the longest chain. The critical path is the longest chain,
 * by the time spent in its calls.
 */
static void critical_path(struct report *rp)
{
	json_t *writer = json_object();	/* absolute output path -> call index */
	json_t *archives = json_object();	/* absolute path -> [member absolute paths] or null */
	double *chain = xcalloc(rp->n, sizeof(*chain));
	for (size_t i = 0; i < rp->n; i++) {
		const json_t *r = rp->c[i].r, *v;
		const char *cwd = rec_str(r, "cwd");
		size_t k;
		double best = -1;
		struct strvec ins = STRVEC_INIT;
		json_array_foreach(json_object_get(r, "inputs"), k, v) {
			char *in = json_bytes_decode(v);
			if (in)
				strvec_push_nodup(&ins, abs_path(cwd, in));
			free(in);
		}
		for (size_t q = 0; q < ins.nr; q++) {
			const char *a = ins.v[q];
			json_t *w = json_object_get(writer, a);
			if (!w && ends_with(a, ".a") && q < 4096) {	/* an archive made outside kshim: its members */
				json_t *m = json_object_get(archives, a);
				if (!m) {
					struct strvec mem = STRVEC_INIT;
					m = json_array();
					if (thin_archive_members(a, &mem))
						for (size_t x = 0; x < mem.nr; x++) {
							char *ma = abs_path(cwd, mem.v[x]);
							json_array_append_new(m, json_string(ma));
							free(ma);
						}
					strvec_clear(&mem);
					json_object_set_new(archives, a, m);
				}
				size_t x;
				json_t *mv;
				json_array_foreach(m, x, mv)
					strvec_push(&ins, json_string_value(mv));
				continue;
			}
			if (!w)
				continue;
			size_t p = (size_t)json_integer_value(w);
			if (rp->c[p].e <= rp->c[i].s + 1e-3 && chain[p] > best) {
				best = chain[p];
				rp->c[i].pred = (long)p;
			}
		}
		strvec_clear(&ins);
		chain[i] = (rp->c[i].e - rp->c[i].s) + (best > 0 ? best : 0);
		json_array_foreach(json_object_get(r, "outputs"), k, v) {
			char *o = json_bytes_decode(v), *a = o ? abs_path(cwd, o) : NULL;
			if (a && !rec_failed(r))
				json_object_set_new(writer, a, json_integer((json_int_t)i));
			free(a);
			free(o);
		}
	}
	json_decref(writer);
	json_decref(archives);
	size_t last = 0;
	for (size_t i = 1; i < rp->n; i++)
		if (chain[i] > chain[last])
			last = i;
	free(chain);
	for (long i = (long)last; i >= 0; i = rp->c[i].pred) {
		rp->crit = xrealloc(rp->crit, (rp->ncrit + 1) * sizeof(*rp->crit));
		rp->crit[rp->ncrit++] = i;
		if (rp->ncrit > rp->n)	/* a cycle cannot happen (pred ended before), but never loop */
			break;
	}
	for (size_t i = 0; i < rp->ncrit / 2; i++) {	/* first call first */
		long t = rp->crit[i];
		rp->crit[i] = rp->crit[rp->ncrit - 1 - i];
		rp->crit[rp->ncrit - 1 - i] = t;
	}
}

static int by_wall_desc(const void *a, const void *b, void *ctx)
{
	const struct call *c = ctx;
	double x = c[*(const size_t *)a].e - c[*(const size_t *)a].s, y = c[*(const size_t *)b].e - c[*(const size_t *)b].s;
	return x > y ? -1 : x < y ? 1 : 0;
}

/* ---- the data document ------------------------------------------------------------- */

static void json_int_array(struct buf *b, const char *name, long (*get)(const struct report *, size_t),
			   const struct report *rp)
{
	buf_printf(b, "\"%s\":[", name);
	for (size_t i = 0; i < rp->n; i++)
		buf_printf(b, i ? ",%ld" : "%ld", get(rp, i));
	buf_add(b, "]", 1);
}

static long col_start(const struct report *rp, size_t i) { return (long)(rp->c[i].s * 1000 + 0.5); }
static long col_dur(const struct report *rp, size_t i) { return (long)((rp->c[i].e - rp->c[i].s) * 10000 + 0.5); }
static long col_lane(const struct report *rp, size_t i) { return rp->c[i].lane; }
static long col_probe(const struct report *rp, size_t i) { return rec_bool(rp->c[i].r, "probe"); }
static long col_exit(const struct report *rp, size_t i)
{
	const json_t *sig = json_object_get(rp->c[i].r, "signal");
	return sig ? -(long)json_integer_value(sig) : (long)rec_num(rp->c[i].r, "exit");
}

static void add_json(struct buf *b, const char *name, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	buf_printf(b, ",\"%s\":%s", name, s ? s : "null");
	free(s);
}

static const char *first_output(const json_t *r)
{
	return json_string_value(json_array_get(json_object_get(r, "outputs"), 0));
}

static void fmt_secs(double s, char *out, size_t n)
{
	if (s < 60)
		snprintf(out, n, "%.1f s", s);
	else
		snprintf(out, n, "%d min %.0f s", (int)(s / 60), s - 60 * (int)(s / 60));
}

/* The sweep's seeds, ordered by number: seed, result, reason, first layout digest. */
static json_t *sweep_data(const char *path, int *npass, int *nfail)
{
	json_t *j = json_load_file(path, 0, NULL), *seeds = json_object_get(j, "seeds");
	if (!json_is_object(seeds)) {
		json_decref(j);
		return NULL;
	}
	json_t *list = json_array();
	{
		const char *k;
		json_t *v;
		json_object_foreach(seeds, k, v) {
			const char *digest = NULL, *lk;
			json_t *lv;
			json_object_foreach(json_object_get(v, "layout"), lk, lv) {
				digest = json_string_value(json_object_get(lv, "digest"));
				break;
			}
			const char *res = rec_str(v, "result");
			*npass += res && strcmp(res, "pass") == 0;
			*nfail += res && strcmp(res, "pass") != 0;
			json_t *why = json_object_get(v, "reason");
			char *reason = why ? json_bytes_decode(why) : NULL;
			json_array_append_new(list, json_pack("{s:I,s:s,s:s*,s:s*}", "seed", json_integer_value(json_object_get(v, "seed")),
							      "result", res ? res : "?", "digest", digest, "reason", reason));
			free(reason);
		}
	}
	/* by seed number */
	size_t n = json_array_size(list);
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0; k--) {
			json_t *a = json_array_get(list, k - 1), *b = json_array_get(list, k);
			if (json_integer_value(json_object_get(a, "seed")) <= json_integer_value(json_object_get(b, "seed")))
				break;
			json_incref(a);
			json_array_set(list, k - 1, b);
			json_array_set_new(list, k, a);
		}
	json_t *out = json_pack("{s:s,s:O*,s:o}", "file", path, "test", json_object_get(j, "test"), "seeds", list);
	json_decref(j);
	return out;
}

/* The diff, shortened for the page: counts, and per output its reason and one line of detail. */
static json_t *diff_data(struct ctl *ctl, const char *base, const char *build, long *differ)
{
	json_t *d = ctl_diff(ctl, base, build), *outs = json_object_get(d, "outputs"), *list = json_array();
	const char *k;
	json_t *v;
	size_t shown = 0;
	json_object_foreach(outs, k, v) {
		if (shown++ >= DIFF_SHOWN)
			break;
		const json_t *why = json_object_get(v, "why"), *fl = json_object_get(why, "flags");
		char *only_b = json_dumps(json_object_get(fl, "only_b"), JSON_COMPACT);
		char *only_a = json_dumps(json_object_get(fl, "only_a"), JSON_COMPACT);
		const char *lay = rec_str(json_object_get(v, "elf"), "layout");
		char *detail = xasprintf("%s%s%s%s%s%s", only_a ? "only in A " : "", only_a ? only_a : "", only_b ? " only in B " : "",
					 only_b ? only_b : "", lay ? " layout " : "", lay ? lay : "");
		json_array_append_new(list, json_pack("{s:s,s:O,s:s}", "key", k, "reason", json_object_get(v, "reason"), "detail",
						      detail));
		free(detail);
		free(only_a);
		free(only_b);
	}
	*differ = (long)json_object_size(outs);
	json_t *out = json_pack("{s:O,s:O,s:O,s:O,s:I,s:I,s:o}", "a", json_object_get(d, "a"), "b", json_object_get(d, "b"),
				"same", json_object_get(d, "same"), "counts", json_object_get(d, "counts"), "differ",
				(json_int_t)*differ, "shown", (json_int_t)json_array_size(list), "outputs", list);
	json_decref(d);
	return out;
}

static void build_data(struct report *rp, struct buf *b, json_t *sweep, json_t *diff, json_t *summary)
{
	struct buf argv = { 0 }, rules = { 0 }, outs = { 0 };
	int *role = xcalloc(rp->n + 1, sizeof(int)), *mode = xcalloc(rp->n + 1, sizeof(int));
	long probes = 0, failed = 0;
	double cpu = 0;
	json_t *kinds = json_object();
	for (size_t i = 0; i < rp->n; i++) {
		const json_t *r = rp->c[i].r, *v;
		size_t k;
		role[i] = name_index(rp->roles, rec_str(r, "role"));
		mode[i] = name_index(rp->modes, rec_str(r, "mode"));
		const json_t *av = json_object_get(r, "argv_run");
		if (!json_array_size(av))
			av = json_object_get(r, "argv");
		buf_add(&argv, i ? ",[" : "[", i ? 2 : 1);
		json_array_foreach(av, k, v) {
			char *w = json_bytes_decode(v);
			buf_printf(&argv, k ? ",%ld" : "%ld", intern(rp, w ? w : "?"));
			free(w);
		}
		buf_add(&argv, "]", 1);
		const json_t *o = json_array_get(json_object_get(r, "outputs"), 0);
		char *os = o ? json_bytes_decode(o) : NULL;
		buf_printf(&outs, i ? ",%ld" : "%ld", os ? intern(rp, os) : -1L);
		free(os);
		buf_add(&rules, i ? ",[" : "[", i ? 2 : 1);
		json_array_foreach(json_object_get(r, "rules"), k, v) {
			const char *name = rec_str(v, "rule"), *at = rec_str(v, "at");
			char *key = xasprintf("%s\t%s", name ? name : "?", at ? at : "?");
			json_t *known = json_object_get(rp->rules, key);
			size_t idx = known ? (size_t)json_integer_value(known) : json_array_size(rp->rule_list);
			if (!known) {
				json_object_set_new(rp->rules, key, json_integer((json_int_t)idx));
				json_array_append_new(rp->rule_list, json_pack("{s:s,s:s,s:i}", "rule", name ? name : "?", "at",
									      at ? at : "?", "calls", 0));
			}
			json_t *e = json_array_get(rp->rule_list, idx);
			json_object_set_new(e, "calls", json_integer(json_integer_value(json_object_get(e, "calls")) + 1));
			buf_printf(&rules, k ? ",%zu" : "%zu", idx);
			free(key);
		}
		buf_add(&rules, "]", 1);
		int probe = rec_bool(r, "probe"), fail = rec_failed(r);
		double ms = (rp->c[i].e - rp->c[i].s) * 1000;
		probes += probe;
		failed += fail;
		cpu += rec_num(r, "utime") + rec_num(r, "stime");
		const char *rn = rec_str(r, "role");
		json_t *kd = json_object_get(kinds, rn ? rn : "?");
		if (!kd)
			json_object_set_new(kinds, rn ? rn : "?", kd = json_pack("{s:s,s:i,s:f,s:i,s:f,s:i}", "role", rn ? rn : "?",
										"calls", 0, "ms", 0.0, "probes", 0, "probe_ms", 0.0,
										"failed", 0));
		const char *ck = probe ? "probes" : "calls", *mk = probe ? "probe_ms" : "ms";
		json_object_set_new(kd, ck, json_integer(json_integer_value(json_object_get(kd, ck)) + 1));
		json_object_set_new(kd, mk, json_real(json_real_value(json_object_get(kd, mk)) + ms));
		json_object_set_new(kd, "failed", json_integer(json_integer_value(json_object_get(kd, "failed")) + fail));
	}
	/* slowest real calls */
	size_t *idx = xcalloc(rp->n, sizeof(*idx)), ns = 0;
	for (size_t i = 0; i < rp->n; i++)
		if (!rec_bool(rp->c[i].r, "probe"))
			idx[ns++] = i;
	qsort_r(idx, ns, sizeof(*idx), by_wall_desc, rp->c);
	if (ns > SLOWEST)
		ns = SLOWEST;

	const json_t *start = ctl_build_start(rp->ctl, rp->build);
	char started[64] = "?";
	time_t t = (time_t)rp->t0;
	struct tm tm;
	if (localtime_r(&t, &tm))
		strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S %z", &tm);
	struct buf cmd = { 0 };
	size_t k;
	const json_t *v;
	json_array_foreach(json_object_get(start, "argv"), k, v) {
		char *w = json_bytes_decode(v);
		buf_printf(&cmd, "%s%s", k ? " " : "", w ? w : "?");
		free(w);
	}
	const char *bdir = ctl_build_dir_of(rp->ctl, rp->build);

	buf_puts(b, "{\"kshim_report\":1,\"build\":{\"id\":");
	buf_json_str(b, rp->build);
	buf_puts(b, ",\"dir\":");
	buf_json_str(b, bdir ? bdir : "?");
	buf_puts(b, ",\"log\":");
	buf_json_str(b, rp->ctl->dir);
	buf_puts(b, ",\"command\":");
	buf_json_str(b, cmd.p ? cmd.p : "(not made by kshimctl make)");
	buf_puts(b, ",\"started\":");
	buf_json_str(b, started);
	buf_printf(b, ",\"wall_ms\":%.1f,\"cpu_ms\":%.1f,\"calls\":%zu,\"probes\":%ld,\"failed\":%ld,\"lanes\":%d}", rp->wall * 1000,
		   cpu * 1000, rp->n, probes, failed, rp->lanes);
	/* columns */
	buf_puts(b, ",\"c\":{");
	json_int_array(b, "s", col_start, rp);
	buf_add(b, ",", 1);
	json_int_array(b, "d", col_dur, rp);
	buf_add(b, ",", 1);
	json_int_array(b, "l", col_lane, rp);
	buf_add(b, ",", 1);
	json_int_array(b, "p", col_probe, rp);
	buf_add(b, ",", 1);
	json_int_array(b, "x", col_exit, rp);
	buf_puts(b, ",\"r\":[");
	for (size_t i = 0; i < rp->n; i++)
		buf_printf(b, i ? ",%d" : "%d", role[i]);
	buf_puts(b, "],\"m\":[");
	for (size_t i = 0; i < rp->n; i++)
		buf_printf(b, i ? ",%d" : "%d", mode[i]);
	buf_printf(b, "],\"o\":[%s],\"a\":[%s],\"u\":[%s]}", outs.p ? outs.p : "", argv.p ? argv.p : "", rules.p ? rules.p : "");
	buf_printf(b, ",\"w\":[%s]", rp->wtab.p ? rp->wtab.p : "");
	/* names in index order */
	json_t *roles = json_array(), *modes = json_array();
	const char *name;
	json_t *iv;
	for (size_t i = 0; i < json_object_size(rp->roles); i++)
		json_array_append_new(roles, json_null());
	for (size_t i = 0; i < json_object_size(rp->modes); i++)
		json_array_append_new(modes, json_null());
	json_object_foreach(rp->roles, name, iv) json_array_set_new(roles, (size_t)json_integer_value(iv), json_string(name));
	json_object_foreach(rp->modes, name, iv) json_array_set_new(modes, (size_t)json_integer_value(iv), json_string(name));
	add_json(b, "roles", roles);
	add_json(b, "modes", modes);
	add_json(b, "rules", rp->rule_list);
	json_t *kl = json_array(), *crit = json_array(), *slow = json_array();
	json_object_foreach(kinds, name, iv) json_array_append(kl, iv);
	add_json(b, "kinds", kl);
	for (size_t i = 0; i < rp->ncrit; i++)
		json_array_append_new(crit, json_integer(rp->crit[i]));
	for (size_t i = 0; i < ns; i++)
		json_array_append_new(slow, json_integer((json_int_t)idx[i]));
	add_json(b, "crit", crit);
	add_json(b, "slow", slow);
	add_json(b, "sweep", sweep);
	add_json(b, "diff", diff);
	buf_add(b, "}", 1);

	/* the same facts for the terminal */
	double crit_s = 0;
	for (size_t i = 0; i < rp->ncrit; i++)
		crit_s += rp->c[rp->crit[i]].e - rp->c[rp->crit[i]].s;
	json_object_set_new(summary, "calls", json_integer((json_int_t)rp->n));
	json_object_set_new(summary, "probes", json_integer(probes));
	json_object_set_new(summary, "failed", json_integer(failed));
	json_object_set_new(summary, "lanes", json_integer(rp->lanes));
	json_object_set_new(summary, "wall", json_real(rp->wall));
	json_object_set_new(summary, "critical_calls", json_integer((json_int_t)rp->ncrit));
	json_object_set_new(summary, "critical_seconds", json_real(crit_s));
	json_object_set_new(summary, "rules", json_incref(rp->rule_list));
	json_t *sl = json_array();
	for (size_t i = 0; i < ns && i < 5; i++) {
		const json_t *r = rp->c[idx[i]].r;
		json_array_append_new(sl, json_pack("{s:f,s:s,s:s,s:s*}", "seconds", rp->c[idx[i]].e - rp->c[idx[i]].s, "role",
						    rec_str(r, "role") ? rec_str(r, "role") : "?", "mode",
						    rec_str(r, "mode") ? rec_str(r, "mode") : "?", "output", first_output(r)));
	}
	json_object_set_new(summary, "slowest", sl);
	json_decref(roles);
	json_decref(modes);
	json_decref(kl);
	json_decref(crit);
	json_decref(slow);
	json_decref(kinds);
	free(idx);
	free(role);
	free(mode);
	free(cmd.p);
	free(argv.p);
	free(rules.p);
	free(outs.p);
}

/* gzip of the document, base64: what the page's data element holds. NULL after an error message. */
static char *pack(const struct buf *doc, size_t *gz_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		error("report: zlib: cannot start deflate");
		return NULL;
	}
	size_t cap = deflateBound(&z, doc->n);
	unsigned char *gz = xmalloc(cap);
	z.next_in = (unsigned char *)doc->p;
	z.avail_in = (uInt)doc->n;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	int st = deflate(&z, Z_FINISH);
	*gz_len = z.total_out;
	deflateEnd(&z);
	if (st != Z_STREAM_END) {
		free(gz);
		error("report: zlib: deflate failed (%d)", st);
		return NULL;
	}
	char *b64 = base64_encode(gz, *gz_len);
	free(gz);
	return b64;
}

static int write_page(const char *path, const char *b64)
{
	const char *mark = strstr(REPORT_HTML, "@DATA@");
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		error("report: cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	fwrite(REPORT_HTML, 1, (size_t)(mark - REPORT_HTML), f);
	for (size_t i = 0, n = strlen(b64); i < n; i += 120) {	/* lines, for diff and less */
		fwrite(b64 + i, 1, n - i < 120 ? n - i : 120, f);
		fputc('\n', f);
	}
	fputs(mark + strlen("@DATA@"), f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		error("report: cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void print_summary(const struct report *rp, const json_t *s, const char *out, size_t page_bytes,
			  const json_t *sweep, int npass, int nfail, const json_t *diff)
{
	char w[32], cs[32];
	fmt_secs(json_real_value(json_object_get(s, "wall")), w, sizeof(w));
	fmt_secs(json_real_value(json_object_get(s, "critical_seconds")), cs, sizeof(cs));
	printf("report: build %s: %zu calls (%lld probes, %lld failed) in %s on %d lane(s)\n", rp->build, rp->n,
	       (long long)json_integer_value(json_object_get(s, "probes")),
	       (long long)json_integer_value(json_object_get(s, "failed")), w, rp->lanes);
	printf("  critical path: %zu call(s), %s in calls\n", rp->ncrit, cs);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(s, "slowest"), i, x)
		printf("  %s %7.2f s  %s %s %s\n", i ? "       " : "slowest", json_real_value(json_object_get(x, "seconds")),
		       rec_str(x, "role"), rec_str(x, "mode"), rec_str(x, "output") ? rec_str(x, "output") : "");
	json_array_foreach(json_object_get(s, "rules"), i, x)
		printf("  %s %s (%s): %lld call(s)\n", i ? "     " : "rules", rec_str(x, "rule"), rec_str(x, "at"),
		       (long long)json_integer_value(json_object_get(x, "calls")));
	if (!json_array_size(json_object_get(s, "rules")))
		printf("  rules: none changed a call\n");
	if (sweep)
		printf("  sweep: %zu seed(s) in %s: %d pass, %d fail or error\n", json_array_size(json_object_get(sweep, "seeds")),
		       rec_str(sweep, "file"), npass, nfail);
	if (diff)
		printf("  diff %s -> %s: %lld output(s) identical, %lld differ\n", rec_str(diff, "a"), rec_str(diff, "b"),
		       (long long)json_integer_value(json_object_get(diff, "same")),
		       (long long)json_integer_value(json_object_get(diff, "differ")));
	printf("  wrote %s (%.1f MB)\n", out, (double)page_bytes / 1e6);
}

int cmd_report(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "diff", required_argument, NULL, 'D' },
		{ "sweep", required_argument, NULL, 's' },
		{ "no-sweep", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *out = "report.html", *base = NULL, *sweep_path = NULL;
	int c, no_sweep = 0, as_json = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'D': base = optarg; break;
		case 's': sweep_path = optarg; break;
		case 'S': no_sweep = 1; break;
		case 'j': as_json = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("report"), stdout);
		default: return ctl_bad_option("report", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return error("report: one build at most (see 'kshimctl report --help')"), 2;
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		return 2;
	struct report rp = { .ctl = ctl };
	if (!(rp.build = ctl_build_select(ctl, optind < argc ? argv[optind] : "last")))
		return 2;
	const char *base_id = NULL;
	if (base && !(base_id = ctl_build_select(ctl, base)))
		return 2;
	struct stat st;
	char *default_sweep = path_join(ctl->dir, "sweep.json");
	if (sweep_path && stat(sweep_path, &st) != 0) {
		free(default_sweep);
		return error("report: --sweep %s: %s", sweep_path, strerror(errno)), 2;
	}
	if (!sweep_path && !no_sweep && stat(default_sweep, &st) == 0)
		sweep_path = default_sweep;
	if (collect(&rp) < 0) {
		free(default_sweep);
		return 2;
	}
	int npass = 0, nfail = 0, ret = 0;
	json_t *sweep = sweep_path ? sweep_data(sweep_path, &npass, &nfail) : NULL;
	if (sweep_path && !sweep && sweep_path != default_sweep) {
		free(default_sweep);
		free(rp.c);
		return error("report: --sweep %s: not a kshimctl sweep result file", sweep_path), 2;
	}
	long differ = 0;
	json_t *diff = base_id ? diff_data(ctl, base_id, rp.build, &differ) : NULL;
	rp.words = json_object();
	rp.roles = json_object();
	rp.modes = json_object();
	rp.rules = json_object();
	rp.rule_list = json_array();
	assign_lanes(&rp);
	critical_path(&rp);
	struct buf doc = { 0 };
	json_t *summary = json_object();
	build_data(&rp, &doc, sweep, diff, summary);
	size_t gz_len = 0;
	char *b64 = pack(&doc, &gz_len);
	if (!b64 || write_page(out, b64) < 0) {
		ret = 2;
	} else {
		size_t page = strlen(REPORT_HTML) - strlen("@DATA@") + strlen(b64) + strlen(b64) / 120 + 1;
		json_object_set_new(summary, "output", json_string(out));
		json_object_set_new(summary, "bytes", json_integer((json_int_t)page));
		json_object_set_new(summary, "data_bytes", json_integer((json_int_t)doc.n));
		json_object_set_new(summary, "gzip_bytes", json_integer((json_int_t)gz_len));
		if (as_json) {
			json_object_set_new(summary, "build", json_string(rp.build));
			json_dumpf(summary, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
			putchar('\n');
		} else {
			print_summary(&rp, summary, out, page, sweep, npass, nfail, diff);
		}
	}
	free(b64);
	free(doc.p);
	json_decref(summary);
	json_decref(sweep);
	json_decref(diff);
	json_decref(rp.words);
	json_decref(rp.roles);
	json_decref(rp.modes);
	json_decref(rp.rules);
	json_decref(rp.rule_list);
	free(rp.wtab.p);
	free(rp.crit);
	free(rp.c);
	free(default_sweep);
	return ret;
}
