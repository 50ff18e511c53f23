/* kshimctl log, stats, builds, compdb: reading the log. */
#include "ctl.h"
#include "util.h"
#include "classify.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct filter {
	const char *role;
	const char *output;	/* glob */
	const char *build;	/* resolved id */
	int failed;
	int probes;		/* -1 any, 0 real calls only, 1 probes only */
	int execs;		/* also "exec" records (kshimctl make --all-execs) */
};

static int is_type(const json_t *rec, const char *type)
{
	const char *t = rec_str(rec, "type");
	return t && strcmp(t, type) == 0;
}

/* "exec" records (when asked for) and "preload" notes: no role, mode, outputs or probes. */
static int filter_other(const struct filter *f, const json_t *rec)
{
	int exec = is_type(rec, "exec");
	if (exec ? !f->execs : !is_type(rec, "preload"))
		return 0;
	if (f->build && strcmp(rec_str(rec, "build") ? rec_str(rec, "build") : "", f->build) != 0)
		return 0;
	if (f->role && (!exec || strcmp(f->role, "exec") != 0))
		return 0;
	if (f->output || f->probes == 1 || (f->failed && (!exec || !rec_failed(rec))))
		return 0;
	return 1;
}

static int filter_match(const struct filter *f, const json_t *rec)
{
	if (!rec_is_call(rec))
		return filter_other(f, rec);
	if (f->role && strcmp(f->role, "exec") == 0)
		return 0;
	if (f->build && strcmp(rec_str(rec, "build") ? rec_str(rec, "build") : "", f->build) != 0)
		return 0;
	if (f->role && strcmp(rec_str(rec, "role") ? rec_str(rec, "role") : "", f->role) != 0)
		return 0;
	if (f->failed && !rec_failed(rec))
		return 0;
	if (f->probes >= 0 && rec_bool(rec, "probe") != f->probes)
		return 0;
	if (f->output) {
		json_t *outs = json_object_get(rec, "outputs"), *o;
		size_t i;
		int hit = 0;
		json_array_foreach(outs, i, o) {
			const char *s = json_string_value(o);
			if (s && glob_match(f->output, s))
				hit = 1;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* Can record i match, judged from the scan and its bytes (filter_match decides)? */
static int filter_may_match(const struct filter *f, const struct ctl *ctl, size_t i)
{
	const char *t = ctl_rec_type(ctl, i);
	if (!t || (strcmp(t, "call") != 0 && strcmp(t, "preload") != 0 && !(f->execs && strcmp(t, "exec") == 0)))
		return 0;
	if (!ctl_rec_is(ctl, i, NULL, f->build))
		return 0;
	/* a literal --output: the record's bytes must hold it */
	return !f->output || strpbrk(f->output, "*?[\\") || ctl_rec_may_hold(ctl, i, f->output);
}

static void fmt_time(double t, char *buf, size_t n)
{
	time_t s = (time_t)t;
	struct tm tm;
	localtime_r(&s, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%03d", (int)((t - (double)s) * 1000));
}

static void print_argv(const json_t *a)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		char *s = json_bytes_decode(v);
		printf("%s%s", i ? " " : "    ", s ? s : "?");
		free(s);
	}
	putchar('\n');
}

static void print_record(const json_t *rec, int verbose)
{
	char t[64], st[32];
	if (is_type(rec, "preload")) {
		fmt_time(rec_num(rec, "time"), t, sizeof(t));
		printf("%s preload not intercepted: %s: %s\n", t, rec_str(rec, "program"), rec_str(rec, "why"));
		return;
	}
	if (is_type(rec, "exec")) {
		fmt_time(rec_num(rec, "start"), t, sizeof(t));
		const char *prog = rec_str(rec, "program");
		printf("%s %-7s %-11s %-7s %8.3fs -\n", t, "exec", prog ? path_basename(prog) : "?",
		       rec_status(rec, st, sizeof(st)), rec_num(rec, "wall"));
		if (verbose)
			print_argv(json_object_get(rec, "argv"));
		return;
	}
	fmt_time(rec_num(rec, "start"), t, sizeof(t));
	printf("%s %-7s %-11s %-7s %8.3fs ", t, rec_str(rec, "role"), rec_str(rec, "mode"),
	       rec_status(rec, st, sizeof(st)), rec_num(rec, "wall"));
	json_t *outs = json_object_get(rec, "outputs"), *o;
	size_t i;
	if (json_array_size(outs) == 0)
		printf("-");
	json_array_foreach(outs, i, o) printf("%s%s", i ? "," : "", json_string_value(o) ? json_string_value(o) : "?");
	if (rec_bool(rec, "probe"))
		printf(" [probe: %s]", rec_str(rec, "probe_why"));
	putchar('\n');
	if (verbose)
		print_argv(json_object_get(rec, "argv_run"));
}

/* Shared option parsing for the filtering commands. */
enum { OPT_DIR = 256, OPT_NO_PROBES };

static int parse_filter_opts(struct ctl *ctl, int argc, char **argv, struct filter *f, int *json, int *verbose,
			     const char **build_sel, const char *cmd, int allow_filters)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "build", required_argument, NULL, 'b' },
		{ "role", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "failed", no_argument, NULL, 'f' },
		{ "probes", no_argument, NULL, 'p' },
		{ "no-probes", no_argument, NULL, OPT_NO_PROBES },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "execs", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL;
	int c;
	f->probes = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:r:o:fpjveh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			dir = optarg;
			break;
		case 'b':
			*build_sel = optarg;
			break;
		case 'j':
			*json = 1;
			break;
		case 'v':
			if (verbose) {
				*verbose = 1;
				break;
			}
			return ctl_bad_option(cmd, "--verbose");
		case 'h':
			ctl_usage(ctl_find_cmd(cmd), stdout);
			return -1;	/* help printed: exit 0 */
		case 'r':
		case 'o':
		case 'f':
		case 'p':
		case 'e':
		case OPT_NO_PROBES:
			if (!allow_filters)
				return ctl_bad_option(cmd, argv[optind - 1]);
			if (c == 'r') {
				enum role r;
				if (strcmp(optarg, "exec") == 0) {
					f->execs = 1;
				} else if (role_parse(optarg, &r) < 0) {
					error("%s: unknown role '%s' (cc, hostcc, ld, objtool, exec)", cmd, optarg);
					return 2;
				}
				f->role = optarg;
			} else if (c == 'e') {
				f->execs = 1;
			} else if (c == 'o') {
				const char *why;
				if (glob_check(optarg, &why) < 0) {
					error("%s: bad glob '%s': %s", cmd, optarg, why);
					return 2;
				}
				f->output = optarg;
			} else if (c == 'f') {
				f->failed = 1;
			} else {
				f->probes = c == 'p';
			}
			break;
		default:
			return ctl_bad_option(cmd, argv[optind - 1]);
		}
	}
	if (optind < argc) {
		error("%s: unexpected argument '%s'", cmd, argv[optind]);
		return 2;
	}
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		return 2;
	return 0;
}



int cmd_log(struct ctl *ctl, int argc, char **argv)
{
	struct filter f = { 0 };
	int json = 0, verbose = 0;
	const char *sel = NULL;
	int r = parse_filter_opts(ctl, argc, argv, &f, &json, &verbose, &sel, "log", 1);
	if (r)
		return r < 0 ? 0 : r;
	if (sel && !(f.build = ctl_build_select(ctl, sel)))
		return 2;
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!filter_may_match(&f, ctl, i) || !filter_match(&f, ctl_rec(ctl, i)))
			continue;
		if (json) {
			char *s = json_dumps(ctl_rec(ctl, i), JSON_COMPACT);
			puts(s);
			free(s);
		} else {
			print_record(ctl_rec(ctl, i), verbose);
		}
	}
	return 0;
}

struct role_stats {
	long calls, probes, failed;
	double wall, cpu;
};

static int cmp_wall_desc(const void *a, const void *b)
{
	double x = rec_num(*(json_t *const *)a, "wall"), y = rec_num(*(json_t *const *)b, "wall");
	return (x < y) - (x > y);
}

int cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	struct filter f = { 0 };
	int json = 0;
	const char *sel = "last";
	int r = parse_filter_opts(ctl, argc, argv, &f, &json, NULL, &sel, "stats", 0);
	if (r)
		return r < 0 ? 0 : r;
	f.probes = -1;
	if (!(f.build = ctl_build_select(ctl, sel)))
		return 2;

	struct role_stats rs[ROLE__N] = { 0 }, total = { 0 };
	json_t **real = xcalloc(ctl->nr + 1, sizeof(*real));
	size_t nreal = 0;
	double first = 0, last = 0;
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!filter_may_match(&f, ctl, i))
			continue;
		json_t *rec = ctl_rec(ctl, i);
		if (!filter_match(&f, rec))
			continue;
		enum role role;
		if (!rec_str(rec, "role") || role_parse(rec_str(rec, "role"), &role) < 0)
			continue;
		struct role_stats *s = &rs[role];
		int probe = rec_bool(rec, "probe"), failed = rec_failed(rec);
		double wall = rec_num(rec, "wall"), cpu = rec_num(rec, "utime") + rec_num(rec, "stime");
		s->calls++, total.calls++;
		s->probes += probe, total.probes += probe;
		s->failed += failed, total.failed += failed;
		s->wall += wall, total.wall += wall;
		s->cpu += cpu, total.cpu += cpu;
		double st = rec_num(rec, "start"), en = rec_num(rec, "end");
		if (!first || st < first)
			first = st;
		if (en > last)
			last = en;
		if (!probe)
			real[nreal++] = rec;
	}
	qsort(real, nreal, sizeof(*real), cmp_wall_desc);
	long lost = log_lost_count(ctl->dir, f.build);
	size_t nslow = nreal < 10 ? nreal : 10;

	if (json) {
		json_t *o = json_object(), *roles = json_object(), *slow = json_array();
		json_object_set_new(o, "build", json_string(f.build));
		json_object_set_new(o, "calls", json_integer(total.calls));
		json_object_set_new(o, "probes", json_integer(total.probes));
		json_object_set_new(o, "failed", json_integer(total.failed));
		json_object_set_new(o, "tool_wall", json_real(total.wall));
		json_object_set_new(o, "tool_cpu", json_real(total.cpu));
		json_object_set_new(o, "span", json_real(last > first ? last - first : 0));
		json_object_set_new(o, "lost", json_integer(lost));
		json_object_set_new(o, "torn", json_integer(ctl->torn));
		for (int i = 0; i < ROLE__N; i++)
			json_object_set_new(roles, role_str(i),
					    json_pack("{s:I,s:I,s:I,s:f,s:f}", "calls", (json_int_t)rs[i].calls, "probes",
						      (json_int_t)rs[i].probes, "failed", (json_int_t)rs[i].failed,
						      "wall", rs[i].wall, "cpu", rs[i].cpu));
		json_object_set_new(o, "roles", roles);
		for (size_t i = 0; i < nslow; i++) {
			json_t *outs = json_object_get(real[i], "outputs");
			json_array_append_new(slow, json_pack("{s:O,s:s,s:f}", "outputs", outs, "role",
							       rec_str(real[i], "role"), "wall", rec_num(real[i], "wall")));
		}
		json_object_set_new(o, "slowest", slow);
		char *s = json_dumps(o, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("build %s: %ld calls (%ld probes), %ld failed, span %.1fs\n", f.build, total.calls,
		       total.probes, total.failed, last > first ? last - first : 0);
		printf("%-8s %8s %8s %8s %10s %10s\n", "role", "calls", "probes", "failed", "wall(s)", "cpu(s)");
		for (int i = 0; i < ROLE__N; i++)
			printf("%-8s %8ld %8ld %8ld %10.2f %10.2f\n", role_str(i), rs[i].calls, rs[i].probes,
			       rs[i].failed, rs[i].wall, rs[i].cpu);
		printf("%-8s %8ld %8ld %8ld %10.2f %10.2f\n", "total", total.calls, total.probes, total.failed,
		       total.wall, total.cpu);
		if (lost)
			printf("LOST: %ld record(s) of this build could not be written (see %s)\n", lost,
			       log_lost_path(ctl->dir, f.build));
		else
			printf("lost records: 0\n");
		if (ctl->torn)
			printf("torn records in the log: %ld\n", ctl->torn);
		if (nslow)
			printf("slowest:\n");
		for (size_t i = 0; i < nslow; i++) {
			json_t *o = json_array_get(json_object_get(real[i], "outputs"), 0);
			printf("  %8.3fs %-7s %s\n", rec_num(real[i], "wall"), rec_str(real[i], "role"),
			       json_string_value(o) ? json_string_value(o) : "-");
		}
	}
	free(real);
	return 0;
}

int cmd_builds(struct ctl *ctl, int argc, char **argv)
{
	struct filter f = { 0 };
	int json = 0;
	const char *sel = NULL;
	int r = parse_filter_opts(ctl, argc, argv, &f, &json, NULL, &sel, "builds", 0);
	if (r)
		return r < 0 ? 0 : r;
	size_t n;
	const char **ids = ctl_build_list(ctl, &n);
	struct bsum {
		long calls, probes, failed;
		double first, last;
		const json_t *start, *end;
	} *sum = xcalloc(n + 1, sizeof(*sum));
	json_t *index = json_object();	/* build id -> its place in ids */
	for (size_t b = 0; b < n; b++)
		json_object_set_new(index, ids[b], json_integer((json_int_t)b));
	for (size_t i = 0; i < ctl->nr; i++) {
		const char *id = ctl_rec_build(ctl, i);
		if (!id)
			continue;
		struct bsum *s = &sum[json_integer_value(json_object_get(index, id))];
		double st, en;
		/* calls: a few scalars, read from the bytes (a 100k-record log in a second, not seven) */
		static const char *const keys[] = { "probe", "exit", "signal", "start", "end" };
		const char *v[5];
		size_t l[5];
		if (ctl_rec_is(ctl, i, "call", NULL) && ctl_rec_members(ctl, i, keys, v, l, 5) == 0) {
			s->probes += v[0] && l[0] == 4 && memcmp(v[0], "true", 4) == 0;
			s->failed += v[2] || (v[1] && strtod(v[1], NULL) != 0);
			st = v[3] ? strtod(v[3], NULL) : 0;
			en = v[4] ? strtod(v[4], NULL) : 0;
		} else {
			const char *t = ctl_rec_type(ctl, i);
			if (t && strcmp(t, "call") != 0 && strcmp(t, "build") != 0)
				continue;	/* exec records and notes: neither calls nor events */
			json_t *rec = ctl_rec(ctl, i);
			if (!rec_is_call(rec)) {
				const char *ev = rec_str(rec, "event");
				if (ev && strcmp(ev, "start") == 0)
					s->start = rec;
				else if (ev && strcmp(ev, "end") == 0)
					s->end = rec;
				continue;
			}
			s->probes += rec_bool(rec, "probe");
			s->failed += rec_failed(rec);
			st = rec_num(rec, "start");
			en = rec_num(rec, "end");
		}
		s->calls++;
		if (!s->first || st < s->first)
			s->first = st;
		if (en > s->last)
			s->last = en;
	}
	json_decref(index);
	json_t *arr = json_array();
	for (size_t b = 0; b < n; b++) {
		const struct bsum *s = &sum[b];
		double first = s->start ? rec_num(s->start, "time") : s->first, last = s->end ? rec_num(s->end, "time") : s->last;
		json_t *o = json_pack("{s:s,s:f,s:f,s:I,s:I,s:I}", "build", ids[b], "start", first, "end", last,
				      "calls", (json_int_t)s->calls, "probes", (json_int_t)s->probes, "failed",
				      (json_int_t)s->failed);
		if (s->start)
			json_object_set(o, "argv", json_object_get(s->start, "argv"));
		if (s->end)
			json_object_set(o, "exit", json_object_get(s->end, "exit"));
		json_array_append_new(arr, o);
	}
	free(sum);
	free(ids);
	size_t i;
	json_t *o;
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		puts(s);
		free(s);
	} else {
		printf("%-28s %-23s %8s %6s %7s %6s  %s\n", "BUILD", "START", "SECONDS", "CALLS", "PROBES", "FAILED",
		       "COMMAND");
		json_array_foreach(arr, i, o) {
			char t[64];
			fmt_time(rec_num(o, "start"), t, sizeof(t));
			printf("%-28s %-23s %8.1f %6lld %7lld %6lld  ", rec_str(o, "build"), t,
			       rec_num(o, "end") - rec_num(o, "start"),
			       (long long)json_integer_value(json_object_get(o, "calls")),
			       (long long)json_integer_value(json_object_get(o, "probes")),
			       (long long)json_integer_value(json_object_get(o, "failed")));
			json_t *a = json_object_get(o, "argv"), *v;
			size_t k;
			if (!a)
				printf(starts_with(rec_str(o, "build"), "make-") ? "(make run by hand)" : "(calls outside make)");
			json_array_foreach(a, k, v) printf("%s%s", k ? " " : "", json_string_value(v) ? json_string_value(v) : "?");
			json_t *ex = json_object_get(o, "exit");
			if (ex)
				printf("  => exit %lld", (long long)json_integer_value(ex));
			putchar('\n');
		}
	}
	json_decref(arr);
	return 0;
}

/* compile_commands.json from what actually ran: one entry per source, the latest call wins. */
