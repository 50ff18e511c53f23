/*
 * kshimctl pin save [BUILD] -o FILE: the effective flags and tools of each
 * output of a build, as a pin (see pin.h).
 * kshimctl pin check FILE [BUILD]: how a build differs from a pin.
 */
#include "ctl.h"
#include "fingerprint.h"
#include "log.h"
#include "pin.h"
#include "toolid.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t ctl_build_end(const struct ctl *ctl, const char *build)
{
	size_t end = ctl->nr;
	while (end > 0 && !ctl_rec_is(ctl, end - 1, NULL, build))
		end--;
	return end;
}

int ctl_same_tree(const struct ctl *ctl, const char *rb, const char *build, const char *bdir, json_t *seen)
{
	if (strcmp(rb, build) == 0)
		return 1;
	if (!bdir)
		return 0;
	json_t *v = json_object_get(seen, rb);
	if (!v) {
		const char *d = ctl_build_dir_of(ctl, rb);
		json_object_set_new(seen, rb, v = json_boolean(d && strcmp(d, bdir) == 0));
	}
	return json_is_true(v);
}

struct pin_block *ctl_pin_blocks(const struct ctl *ctl, const char *build, int whole_tree, size_t *nr)
{
	const char *bdir = ctl_build_dir_of(ctl, build), *sdir = ctl_src_dir_of(ctl, build);
	json_t *index = json_object(), *seen = json_object();
	struct pin_block *b = NULL;
	size_t n = 0, cap = 0, end = ctl->nr;
	long no_id = 0;
	if (whole_tree)		/* up to the build's last record: the tree as that build left it */
		end = ctl_build_end(ctl, build);
	for (size_t i = 0; i < end; i++) {
		const char *mb = ctl_rec_build(ctl, i);
		if (!ctl_rec_is(ctl, i, "call", NULL) || !mb ||
		    (whole_tree ? !ctl_same_tree(ctl, mb, build, bdir, seen) : strcmp(mb, build) != 0))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *rb = rec_str(r, "build"), *tool = rec_str(r, "tool");
		json_t *outs = json_object_get(r, "outputs"), *argv = json_object_get(r, "argv_run");
		if (!rec_is_call(r) || !rb || rec_bool(r, "probe") || !json_array_size(outs) ||
		    json_integer_value(json_object_get(r, "exit")) != 0 || json_object_get(r, "signal") || !tool || !argv)
			continue;
		char *out = json_bytes_decode(json_array_get(outs, 0));
		char *key = output_key(rec_str(r, "cwd"), out ? out : "", bdir);
		struct pin_block nb = { .args = STRVEC_INIT };
		nb.output = pin_escape(key, NULL, NULL, 1);
		nb.role = xstrdup(rec_str(r, "role") ? rec_str(r, "role") : "?");
		nb.tool = pin_escape(tool, NULL, NULL, 1);
		const char *sha = json_string_value(json_object_get(json_object_get(json_object_get(r, "fp"), "tool"), "sha256"));
		struct tool_id id;
		if (!sha && tool_identity(tool, &id, 0) == 0) {	/* recorded without fingerprints: the tool as it is now */
			snprintf(nb.tool_sha, sizeof(nb.tool_sha), "%s", id.sha256);
			tool_id_release(&id);
			no_id++;
		} else {
			snprintf(nb.tool_sha, sizeof(nb.tool_sha), "%s", sha ? sha : "");
		}
		size_t first = rec_str(r, "launcher") ? 2 : 1;
		for (size_t k = first; k < json_array_size(argv); k++) {
			char *w = json_bytes_decode(json_array_get(argv, k));
			strvec_push_nodup(&nb.args, pin_escape(w ? w : "", bdir, sdir, 0));
			free(w);
		}
		char *ik = xasprintf("%s %s", nb.output, nb.role);
		json_t *at = json_object_get(index, ik);
		if (at) {
			pin_block_release(&b[json_integer_value(at)]);
			b[json_integer_value(at)] = nb;
		} else {
			if (n == cap)
				b = xrealloc(b, (cap = cap ? 2 * cap : 256) * sizeof(*b));
			json_object_set_new(index, ik, json_integer((json_int_t)n));
			b[n++] = nb;
		}
		free(ik);
		free(key);
		free(out);
	}
	if (no_id)
		warning("%ld call(s) of %s were recorded without fingerprints: their tools' digests are of the binaries "
			"as they are now", no_id, build);
	json_decref(index);
	json_decref(seen);
	*nr = n;
	return b;
}

static int pin_save(struct ctl *ctl, const char *sel, const char *out, int whole_tree)
{
	const char *build = ctl_build_select(ctl, sel);
	if (!build)
		return 2;
	size_t n;
	struct pin_block *b = ctl_pin_blocks(ctl, build, whole_tree, &n);
	if (!n) {
		error("pin save: build %s has no successful calls with outputs to pin", build);
		free(b);
		return 2;
	}
	char *tmp = out ? xasprintf("%s.tmp.%d", out, (int)getpid()) : NULL;
	FILE *f = tmp ? fopen(tmp, "w") : stdout;
	if (!f) {
		error("pin save: cannot write '%s': %m", tmp);
		pin_blocks_free(b, n);
		free(tmp);
		return 2;
	}
	char *comment = xasprintf("from %sbuild %s of %s", whole_tree ? "the tree as left by " : "", build,
				  ctl_build_dir_of(ctl, build));
	pin_write(f, b, n, comment);
	free(comment);
	int ret = 0;
	/* written whole, then renamed: a pin that kshim reads live is never half-written */
	if (tmp && (fclose(f) != 0 || rename(tmp, out) != 0)) {
		error("pin save: cannot write '%s': %m", out);
		unlink(tmp);
		ret = 2;
	} else if (tmp) {
		fprintf(stderr, "kshimctl: pinned %zu output(s) of %s in %s\n", n, build, out);
	}
	free(tmp);
	pin_blocks_free(b, n);
	return ret;
}

static int pin_check(struct ctl *ctl, const char *file, const char *sel, int json, int whole_tree)
{
	struct pin_block *p;
	size_t np;
	if (pin_load(file, &p, &np) < 0)
		return 2;
	const char *build = ctl_build_select(ctl, sel);
	if (!build) {
		pin_blocks_free(p, np);
		return 2;
	}
	size_t nb;
	struct pin_block *b = ctl_pin_blocks(ctl, build, whole_tree, &nb);
	json_t *drift = json_object(), *unbuilt = json_array(), *unpinned = json_array();
	json_t *built = json_object();
	for (size_t i = 0; i < nb; i++) {
		char *k = xasprintf("%s %s", b[i].output, b[i].role);
		json_object_set_new(built, k, json_integer((json_int_t)i));
		free(k);
	}
	long same = 0;
	for (size_t i = 0; i < np; i++) {
		char *k = xasprintf("%s %s", p[i].output, p[i].role);
		json_t *at = json_object_get(built, k);
		if (!at) {
			json_array_append_new(unbuilt, json_string(k));
		} else {
			const struct pin_block *x = &b[json_integer_value(at)];
			json_t *added = pin_words_minus(&x->args, &p[i].args), *removed = pin_words_minus(&p[i].args, &x->args);
			int order = !json_array_size(added) && !json_array_size(removed) && !strvec_equal(&x->args, &p[i].args);
			int tool = strcmp(x->tool, p[i].tool) != 0 || strcmp(x->tool_sha, p[i].tool_sha) != 0;
			if (json_array_size(added) || json_array_size(removed) || order || tool) {
				json_t *d = json_pack("{s:i,s:o,s:o}", "line", p[i].line, "added", added, "removed", removed);
				if (order)
					json_object_set_new(d, "order", json_true());
				if (tool)
					json_object_set_new(d, "tool", json_pack("{s:s,s:s,s:s,s:s}", "pinned", p[i].tool,
										 "pinned_sha256", p[i].tool_sha, "now", x->tool,
										 "now_sha256", x->tool_sha));
				json_object_set_new(drift, k, d);
			} else {
				json_decref(added);
				json_decref(removed);
				same++;
			}
			json_object_del(built, k);
		}
		free(k);
	}
	const char *k;
	json_t *v;
	json_object_foreach(built, k, v) json_array_append_new(unpinned, json_string(k));
	int ret = json_object_size(drift) || json_array_size(unpinned) ? 1 : 0;
	if (json) {
		json_t *all = json_pack("{s:s,s:s,s:I,s:O,s:O,s:O}", "pin", file, "build", build, "same", (json_int_t)same,
					"drift", drift, "unpinned", unpinned, "not_built", unbuilt);
		char *s = json_dumps(all, JSON_SORT_KEYS | JSON_INDENT(1));
		puts(s);
		free(s);
		json_decref(all);
	} else {
		printf("%s against %s: %ld as pinned, %zu drifted, %zu not pinned, %zu pinned but not built\n", build, file,
		       same, json_object_size(drift), json_array_size(unpinned), json_array_size(unbuilt));
		json_t *d;
		json_object_foreach(drift, k, d) {
			printf("drift %s (%s:%lld)\n", k, file, (long long)json_integer_value(json_object_get(d, "line")));
			size_t i;
			json_t *w;
			json_array_foreach(json_object_get(d, "added"), i, w) printf("      + %s\n", json_string_value(w));
			json_array_foreach(json_object_get(d, "removed"), i, w) printf("      - %s\n", json_string_value(w));
			if (json_object_get(d, "order"))
				printf("      arguments reordered\n");
			json_t *t = json_object_get(d, "tool");
			if (t)
				printf("      tool: pinned %s sha256:%.16s..., now %s sha256:%.16s...\n", rec_str(t, "pinned"),
				       rec_str(t, "pinned_sha256"), rec_str(t, "now"), rec_str(t, "now_sha256"));
		}
		size_t i;
		json_array_foreach(unpinned, i, v) printf("unpinned %s\n", json_string_value(v));
	}
	json_decref(drift);
	json_decref(unbuilt);
	json_decref(unpinned);
	json_decref(built);
	pin_blocks_free(p, np);
	pin_blocks_free(b, nb);
	return ret;
}

int cmd_pin(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "whole-tree", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *out = NULL;
	int json = 0, whole_tree = 0, c;
	optind = 1;
	opterr = 0;
	/* "pin save|check" first, then its options and arguments */
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
			return ctl_usage(ctl_find_cmd("pin"), stdout);
		error("pin: say 'save' or 'check' (see 'kshimctl pin --help')");
		return 2;
	}
	const char *sub = argv[1];
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "o:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case 'w': whole_tree = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("pin"), stdout);
		default: return ctl_bad_option("pin", argv[optind - 1]);
		}
	}
	if (strcmp(sub, "save") == 0) {
		if (argc - optind > 1 || !out) {
			error(!out ? "pin save: say where with -o FILE ('-' for stdout)" : "pin save: one build at most");
			return 2;
		}
		if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
			return 2;
		return pin_save(ctl, optind < argc ? argv[optind] : "last", strcmp(out, "-") == 0 ? NULL : out, whole_tree);
	}
	if (strcmp(sub, "check") == 0) {
		if (argc - optind < 1 || argc - optind > 2) {
			error("pin check: FILE [BUILD]");
			return 2;
		}
		if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
			return 2;
		return pin_check(ctl, argv[optind], optind + 1 < argc ? argv[optind + 1] : "last", json, whole_tree);
	}
	error("pin: unknown subcommand '%s' (save or check)", sub);
	return 2;
}
