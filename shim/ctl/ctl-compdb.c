/*
 * kshimctl compdb: compile_commands.json from the commands that ran.
 *
 * One entry per compile, assemble or preprocess call that is not a probe,
 * for each file the call compiles: the operands of its argv as the clang
 * driver reads them (argmodel), never an option's argument (-include and
 * -imacros headers, the -MF depfile, -o). "arguments" is the argv that ran,
 * after kshim's rules, without a launcher (ccache, distcc: a launcher rule)
 * unless --keep-launcher, as Bear writes it. A file compiled into two
 * objects has two entries (keyed by file and output, as Bear does);
 * --latest keeps the last call per file. --exclude GLOB (repeatable) leaves
 * out files whose path relative to the build directory matches.
 */
#include "argmodel.h"
#include "ctl.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct compdb_opts {
	int latest, keep_launcher;
	struct strvec exclude;
	const char *build_dir;
};

static int excluded(const struct compdb_opts *o, const char *abs)
{
	const char *rel = abs;
	size_t n = o->build_dir ? strlen(o->build_dir) : 0;
	if (n && strncmp(abs, o->build_dir, n) == 0 && abs[n] == '/')
		rel = abs + n + 1;
	for (size_t i = 0; i < o->exclude.nr; i++)
		if (glob_match(o->exclude.v[i], rel))
			return 1;
	return 0;
}

/* The entries of one call record, into by_key. */
static void compdb_add(const struct compdb_opts *o, json_t *rec, json_t *by_key)
{
	const char *cwd = rec_str(rec, "cwd");
	struct strvec argv = STRVEC_INIT;
	size_t j;
	json_t *a;
	json_array_foreach(json_object_get(rec, "argv_run"), j, a) {
		char *s = json_bytes_decode(a);
		strvec_push(&argv, s ? s : "");
		free(s);
	}
	/* the launcher is argv_run[0] when the record names one */
	size_t skip = json_object_get(rec, "launcher") && argv.nr > 1 ? 1 : 0;
	struct cmdline cl;
	cmdline_parse(&cl, FAM_CLANG, argv.v + skip);
	json_t *args = json_array();
	for (size_t k = o->keep_launcher ? 0 : skip; k < argv.nr; k++)
		json_array_append_new(args, json_string(argv.v[k]));
	const char *out = json_string_value(json_array_get(json_object_get(rec, "outputs"), 0));
	char *absout = out ? path_join(cwd, out) : NULL;
	for (size_t i = 1; i < cl.nr; i++) {
		const struct arg *ar = &cl.args[i];
		if (ar->is_option || !ar->value || strcmp(ar->value, "-") == 0)
			continue;
		char *abs = path_join(cwd, ar->value);
		if (!excluded(o, abs)) {
			json_t *e = json_pack("{s:s,s:O,s:s}", "directory", cwd, "arguments", args, "file", abs);
			if (absout)
				json_object_set_new(e, "output", json_string(absout));
			char *key = o->latest || !absout ? xstrdup(abs) : xasprintf("%s\t%s", abs, absout);
			json_object_del(by_key, key);	/* a later call replaces an earlier one, and goes last */
			json_object_set_new(by_key, key, e);
			free(key);
		}
		free(abs);
	}
	free(absout);
	json_decref(args);
	cmdline_release(&cl);
	strvec_clear(&argv);
}

static int wanted(json_t *rec)
{
	const char *mode = rec_str(rec, "mode"), *role = rec_str(rec, "role");
	if (!rec_is_call(rec) || rec_bool(rec, "probe") || !mode || !role || !rec_str(rec, "cwd"))
		return 0;
	if (strcmp(role, "cc") != 0 && strcmp(role, "hostcc") != 0)
		return 0;
	return !strcmp(mode, "compile") || !strcmp(mode, "assemble") || !strcmp(mode, "preprocess");
}

static int write_db(const json_t *arr, const char *outpath)
{
	FILE *f = strcmp(outpath, "-") == 0 ? stdout : fopen(outpath, "we");
	if (!f)
		return error("compdb: cannot write '%s': %m", outpath);
	json_dumpf(arr, f, JSON_INDENT(2));
	fputc('\n', f);
	int bad = f != stdout ? fclose(f) != 0 : fflush(f) != 0;
	if (bad)
		return error("compdb: cannot write '%s': %m", outpath);
	if (f != stdout)
		fprintf(stderr, "kshimctl: wrote %zu entries to %s\n", json_array_size(arr), outpath);
	return 0;
}

enum { OPT_DIR = 256, OPT_LATEST, OPT_KEEP_LAUNCHER, OPT_EXCLUDE };

int cmd_compdb(struct ctl *ctl, int argc, char **argv)
{
	const char *outpath = "compile_commands.json", *dir = NULL, *sel = NULL;
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "build", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "latest", no_argument, NULL, OPT_LATEST },
		{ "keep-launcher", no_argument, NULL, OPT_KEEP_LAUNCHER },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct compdb_opts o = { 0 };
	strvec_init(&o.exclude);
	int c, ret = 2;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR: dir = optarg; break;
		case 'b': sel = optarg; break;
		case 'o': outpath = optarg; break;
		case OPT_LATEST: o.latest = 1; break;
		case OPT_KEEP_LAUNCHER: o.keep_launcher = 1; break;
		case OPT_EXCLUDE: {
			const char *why;
			if (glob_check(optarg, &why) < 0) {
				error("compdb: --exclude '%s': %s", optarg, why);
				goto out;
			}
			strvec_push(&o.exclude, optarg);
			break;
		}
		case 'h': ret = ctl_usage(ctl_find_cmd("compdb"), stdout); goto out;
		default: ret = ctl_bad_option("compdb", argv[optind - 1]); goto out;
		}
	}
	if (optind < argc) {
		error("compdb: unexpected argument '%s' (a build is -b BUILD)", argv[optind]);
		goto out;
	}
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		goto out;
	const char *build = NULL;
	if (sel && !(build = ctl_build_select(ctl, sel)))
		goto out;
	json_t *by_key = json_object(), *arr = json_array();
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		json_t *rec = ctl_rec(ctl, i);
		if (!wanted(rec))
			continue;
		const char *b = rec_str(rec, "build");
		o.build_dir = b ? ctl_build_dir_of(ctl, b) : NULL;
		compdb_add(&o, rec, by_key);
	}
	const char *key;
	json_t *val;
	json_object_foreach(by_key, key, val)
		json_array_append(arr, val);
	ret = write_db(arr, outpath) < 0 ? 2 : 0;
	json_decref(by_key);
	json_decref(arr);
out:
	strvec_clear(&o.exclude);
	return ret;
}
