/*
 * ctl-relink: a relink by its link sub-makes alone.
 *
 * A seed changes only what the layout calls write (vmlinux.o) and what is
 * made from it. Through the top-level make, a relink of the e2e kernel
 * takes ~7 s, of which ~3.7 s is the top level itself: ~48 compiler probes
 * at parse time and the descent into every directory, all of it finding
 * nothing to do. The link itself happens in a few sub-makes (kbuild's
 * Makefile.vmlinux_o, Makefile.modpost, Makefile.vmlinux, the boot
 * image's), which run again by themselves just as well, given their
 * command line, directory and environment.
 *
 * So: one relink through make is run with KSHIM_ALL_EXECS=make, under which
 * every make gets an exec record with its environment and the make it runs
 * under (kshim-exec). Its sub-makes form a tree; the steps are the highest
 * makes in it that were still running when the first layout call started
 * (a make that finished before then did nothing the seed changes; one that
 * began after it is wholly part of the link; one that spans it is looked
 * into, or taken whole if nothing below it spans or follows that moment).
 * Later seeds run those steps, in order, with the environment recorded,
 * the seed's variables and a fresh build id, and make's jobserver
 * descriptors left out (the top-level make that owned them is gone).
 */
#include "ctl.h"
#include "log.h"
#include "strvec.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct submake {
	long long pid, parent;	/* the exec record's pid; the pid of the record of the make above (0: none) */
	double start, end;
	json_t *rec;
	int taken;
};

static int by_start(const void *a, const void *b)
{
	const struct submake *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Mark the steps in the subtree of m (see the top of the file). */
static void take(struct submake *m, size_t n, size_t i, double at)
{
	if (m[i].end < at)
		return;
	size_t below = 0;
	for (size_t k = 0; k < n; k++)
		below += m[k].parent == m[i].pid && m[k].end >= at;
	if (m[i].start >= at || !below) {
		m[i].taken = 1;
		return;
	}
	for (size_t k = 0; k < n; k++)
		if (m[k].parent == m[i].pid)
			take(m, n, k, at);
}

json_t *ctl_steps_learn(const char *log_dir, const char *id, off_t offset, char **why)
{
	*why = NULL;
	char *path = path_join(log_dir, LOG_FILE);
	struct log_reader rd;
	struct submake *m = NULL;
	size_t n = 0, cap = 0;
	double at = 0;
	json_t *calls = json_array();	/* [start, end] of every call of the build */
	if (log_reader_open(&rd, path) < 0) {
		*why = xasprintf("cannot read %s", path);
		free(path);
		json_decref(calls);
		return NULL;
	}
	rd.quiet = 1;
	fseeko(rd.f, offset, SEEK_SET);
	json_t *r;
	while (log_reader_next(&rd, &r) > 0) {
		const char *b = rec_str(r, "build"), *type = rec_str(r, "type");
		if (!b || strcmp(b, id) != 0 || !type) {
			json_decref(r);
			continue;
		}
		if (json_object_get(r, "layout") && (!at || rec_num(r, "start") < at))
			at = rec_num(r, "start");
		if (rec_is_call(r))
			json_array_append_new(calls, json_pack("[f,f]", rec_num(r, "start"), rec_num(r, "end")));
		if (strcmp(type, "exec") != 0 || !json_is_array(json_object_get(r, "env"))) {
			json_decref(r);
			continue;
		}
		if (n == cap)
			m = xrealloc(m, (cap = cap ? 2 * cap : 64) * sizeof(*m));
		m[n++] = (struct submake){ .pid = (long long)rec_num(r, "pid"), .parent = (long long)rec_num(r, "parent_make"),
					   .start = rec_num(r, "start"), .end = rec_num(r, "end"), .rec = r };
	}
	log_reader_close(&rd);
	free(path);
	json_t *steps = NULL;
	if (at > 0 && n) {
		for (size_t i = 0; i < n; i++) {
			int root = 1;
			for (size_t k = 0; k < n && root; k++)
				root = m[i].parent != m[k].pid;
			if (root)
				take(m, n, i, at);
		}
		qsort(m, n, sizeof(*m), by_start);
		steps = json_array();
		for (size_t i = 0; i < n; i++) {
			if (!m[i].taken)
				continue;
			const json_t *r2 = m[i].rec;
			json_array_append_new(steps, json_pack("{s:O,s:O,s:O,s:O,s:f}", "cwd", json_object_get(r2, "cwd"),
								   "program", json_object_get(r2, "program"), "argv",
								   json_object_get(r2, "argv"), "env", json_object_get(r2, "env"),
								   "seconds", round((m[i].end - m[i].start) * 1000) / 1000));
		}
		/*
		 * A call from the layout call on that no step's time holds ran in a make
		 * above the steps (a top-level recipe after the link): the steps alone
		 * would miss it, so the whole make it is.
		 */
		size_t k;
		const json_t *c;
		json_array_foreach(calls, k, c) {
			double cs = json_real_value(json_array_get(c, 0)), ce = json_real_value(json_array_get(c, 1));
			int inside = cs < at;
			for (size_t j = 0; j < n && !inside; j++)
				inside = m[j].taken && cs >= m[j].start && ce <= m[j].end;
			if (!inside) {
				*why = xstrdup("a call after the first layout call ran outside the link sub-makes");
				json_decref(steps);
				steps = NULL;
				break;
			}
		}
		if (steps && (!json_array_size(steps) || json_array_size(steps) == n)) {
			/* nothing, or everything: no shorter way than the whole make */
			*why = xstrdup(json_array_size(steps) ? "every make of the relink is a link step" :
				       "no make ran the link");
			json_decref(steps);
			steps = NULL;
		}
	} else {
		*why = xstrdup(at > 0 ? "no make of the relink was recorded (the link runs in the top-level make)" :
			       "no layout call in the relink");
	}
	json_decref(calls);
	for (size_t i = 0; i < n; i++)
		json_decref(m[i].rec);
	free(m);
	return steps;
}

/* A recorded KEY=VALUE: is it KEY? */
static int is_var(const char *kv, const char *key)
{
	size_t l = strlen(key);
	return strncmp(kv, key, l) == 0 && kv[l] == '=';
}

/* MAKEFLAGS / MFLAGS without the jobserver's descriptors: "--jobserver-auth=3,4" (or -fds, or fifo:PATH) */
static char *drop_jobserver(const char *kv)
{
	char *out = xstrdup(kv), *o = out;
	for (const char *p = kv; *p;) {
		if ((p == kv || p[-1] == ' ' || p[-1] == '=') &&
		    (starts_with(p, "--jobserver-auth=") || starts_with(p, "--jobserver-fds="))) {
			p += strcspn(p, " ");
			p += *p == ' ';
			continue;
		}
		*o++ = *p++;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = 0;
	return out;
}

static void log_event(const char *log_dir, json_t *rec)
{
	struct log_writer w;
	log_writer_open(&w, log_dir);
	ctl_append_event(&w, rec);
	log_writer_close(&w);
}

int ctl_steps_run(const json_t *steps, const char *log_dir, const char *build_dir, const char *make_cwd,
		  const struct strvec *make_args, int preload_only, const char *id, const struct strvec *env,
		  const char *logpath)
{
	/*
	 * A build of its own in the log, as kshimctl make would write it, with the
	 * make arguments the steps stand for (a later sweep may start from it).
	 */
	double t0 = now_mono();
	json_t *argvs = json_array(), *margs = json_array();
	size_t i;
	const json_t *s;
	json_array_foreach(steps, i, s) {
		/* one command line for `kshimctl builds`: the steps, ";" between them */
		if (i)
			json_array_append_new(argvs, json_string(";"));
		json_array_extend(argvs, json_object_get(s, "argv"));
	}
	for (size_t k = 0; k < make_args->nr; k++)
		json_array_append_new(margs, json_bytes(make_args->v[k]));
	json_t *start = json_pack("{s:i,s:s,s:s,s:s,s:f,s:s,s:s,s:o,s:s,s:o}", "kshim", LOG_SCHEMA, "type", "build",
				  "event", "start", "build", id, "time", now_epoch(), "cwd", make_cwd, "build_dir",
				  build_dir, "make_args", margs, "relink", "steps", "argv", argvs);
	if (preload_only)
		json_object_set_new(start, "preload_only", json_true());	/* as kshimctl make records it */
	log_event(log_dir, start);
	int st = 0;
	json_array_foreach(steps, i, s) {
		struct strvec e = STRVEC_INIT, av = STRVEC_INIT;
		size_t k;
		const json_t *v;
		json_array_foreach(json_object_get(s, "env"), k, v) {
			char *kv = json_bytes_decode(v);
			if (!kv)
				continue;
			int over = is_var(kv, "KSHIM_BUILD") || is_var(kv, "KSHIM_DIR") || is_var(kv, "KSHIM_ALL_EXECS");
			for (size_t j = 0; j < env->nr && !over; j++) {
				const char *eq = strchr(env->v[j], '=');
				over = eq && strncmp(kv, env->v[j], (size_t)(eq - env->v[j]) + 1) == 0;
			}
			if (!over)
				strvec_push_nodup(&e, is_var(kv, "MAKEFLAGS") || is_var(kv, "MFLAGS") ? drop_jobserver(kv) :
						  xstrdup(kv));
			free(kv);
		}
		for (size_t j = 0; j < env->nr; j++)
			strvec_push(&e, env->v[j]);
		strvec_push_nodup(&e, xasprintf("KSHIM_BUILD=%s", id));
		strvec_push_nodup(&e, xasprintf("KSHIM_DIR=%s", log_dir));
		json_array_foreach(json_object_get(s, "argv"), k, v) {
			char *a = json_bytes_decode(v);
			strvec_push_nodup(&av, a ? a : xstrdup(""));
		}
		char *prog = json_bytes_decode(json_object_get(s, "program"));
		char *dir = json_bytes_decode(json_object_get(s, "cwd"));
		st = prog && dir && av.nr ? ctl_run_env(prog, av.v, e.v, dir, logpath) : 127;
		free(prog);
		free(dir);
		strvec_clear(&e);
		strvec_clear(&av);
		if (st)
			break;
	}
	log_event(log_dir, json_pack("{s:i,s:s,s:s,s:s,s:f,s:f,s:i}", "kshim", LOG_SCHEMA, "type", "build", "event", "end",
				     "build", id, "time", now_epoch(), "wall", now_mono() - t0, "exit", st));
	return st;
}
