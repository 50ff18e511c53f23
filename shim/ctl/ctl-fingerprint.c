/*
 * kshimctl fingerprint: the manifest of a build, from the "fp" members of its
 * records (see fingerprint.h).
 *
 *   {"kshim": 1,
 *    "outputs": {PATH: {"sha256", "layout"?, "role", "tool", "argv"}},
 *    "tools":   {PATH: {"sha256", "version"}},
 *    "rules":   {FILE: "sha256"}          (the rule files as they are now)
 *    "seeds":   {}}
 *
 * PATH is relative to the build directory. An output made more than once
 * (objtool rewriting an object) has its last state. Keys are sorted and
 * nothing depends on time, process ids or where the tree is, so two clean
 * builds of the same tree give byte-identical manifests.
 */
#include "ctl.h"
#include "digest.h"
#include "fingerprint.h"
#include "toolid.h"
#include "util.h"

#include <getopt.h>
#include <glob.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* A string member of the build's "build" start record; NULL if none (make run by hand). */
static const char *build_event_str(const struct ctl *ctl, const char *build, const char *member)
{
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "build", build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build"), *t = rec_str(r, "type");
		if (b && t && strcmp(b, build) == 0 && strcmp(t, "build") == 0 && rec_str(r, member))
			return rec_str(r, member);
	}
	return NULL;
}

const char *ctl_build_dir_of(const struct ctl *ctl, const char *build)
{
	const char *d = build_event_str(ctl, build, "build_dir");
	for (size_t i = 0; !d && i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		const char *b = rec_str(ctl_rec(ctl, i), "build");
		if (b && strcmp(b, build) == 0 && rec_is_call(ctl_rec(ctl, i)))
			d = rec_str(ctl_rec(ctl, i), "cwd");	/* the first call's directory */
	}
	return d;
}

const char *ctl_src_dir_of(const struct ctl *ctl, const char *build)
{
	return build_event_str(ctl, build, "src_dir");
}

json_t *build_manifest(const struct ctl *ctl, const char *build)
{
	const char *bdir = ctl_build_dir_of(ctl, build);
	json_t *outputs = json_object(), *tools = json_object(), *rules = json_object();
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build");
		json_t *fp = json_object_get(r, "fp");
		if (!rec_is_call(r) || !b || strcmp(b, build) != 0 || !fp || rec_bool(r, "probe"))
			continue;
		const char *tool = rec_str(r, "tool");
		json_t *tid = json_object_get(fp, "tool");
		if (tool && tid && !json_object_get(tools, tool)) {
			/* the version: asked now, once per binary, if it is still the binary that ran */
			json_t *t = json_deep_copy(tid);
			struct tool_id id;
			if (!json_object_get(t, "version") && tool_identity(tool, &id, 1) == 0) {
				if (id.version && strcmp(id.sha256, json_string_value(json_object_get(t, "sha256")) ?
							     json_string_value(json_object_get(t, "sha256")) : "") == 0)
					json_object_set_new(t, "version", json_bytes(id.version));
				tool_id_release(&id);
			}
			json_object_set_new(tools, tool, t);
		}
		json_t *applied = json_object_get(r, "rules"), *a;
		size_t k;
		json_array_foreach(applied, k, a) {
			const char *at = rec_str(a, "at");
			const char *colon = at ? strrchr(at, ':') : NULL;
			if (!colon)
				continue;
			char *file = xstrndup(at, (size_t)(colon - at));
			char hex[SHA256_HEX_LEN + 1];
			if (!json_object_get(rules, file))
				json_object_set_new(rules, file, sha256_file_hex(file, hex) == 0 ? json_string(hex) : json_null());
			free(file);
		}
		const char *key;
		json_t *o;
		json_object_foreach(json_object_get(fp, "outputs"), key, o) {
			json_t *e = json_object();
			json_object_set(e, "sha256", json_object_get(o, "sha256"));
			if (json_object_get(o, "layout"))
				json_object_set(e, "layout", json_object_get(o, "layout"));
			json_object_set(e, "role", json_object_get(r, "role"));
			if (tool)
				json_object_set_new(e, "tool", json_string(tool));
			json_object_set(e, "argv", json_object_get(fp, "argv"));
			char *path = json_key_decode(key);
			char *rk = output_key(rec_str(r, "cwd"), path, bdir);
			char *mk = json_key_bytes(rk);
			json_object_set_new(outputs, mk, e);	/* later records win: objtool after the compiler */
			free(mk);
			free(rk);
			free(path);
		}
	}
	/* no build id: the manifest is what was built, the same for every build of the same thing */
	return json_pack("{s:i,s:o,s:o,s:o,s:{}}", "kshim", LOG_SCHEMA, "outputs", outputs, "tools", tools, "rules",
			 rules, "seeds");
}

/* The build's start or end event ("start"/"end"), or NULL. */
static const json_t *build_event(const struct ctl *ctl, const char *build, const char *event)
{
	for (size_t i = 0; i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "build", build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build"), *t = rec_str(r, "type"), *e = rec_str(r, "event");
		if (b && t && e && strcmp(b, build) == 0 && strcmp(t, "build") == 0 && strcmp(e, event) == 0)
			return r;
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of obj, sorted: a statement is the same bytes for the same build. */
static void sorted_keys(const json_t *obj, struct strvec *out)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) strvec_push(out, k);
	qsort(out->v, out->nr, sizeof(*out->v), cmp_str);
}

static json_t *rfc3339(double t)
{
	char buf[32];
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *resource(const char *path, const char *sha, const json_t *annotations)
{
	json_t *r = json_pack("{s:s+}", "uri", "file://", path);
	if (sha)
		json_object_set_new(r, "digest", json_pack("{s:s}", "sha256", sha));
	if (annotations && json_object_size(annotations))
		json_object_set(r, "annotations", (json_t *)annotations);
	return r;
}

/*
 * An in-toto v1 Statement with a SLSA v1 provenance predicate: subjects are
 * vmlinux, arch/\*\/boot/bzImage and modules (*.ko); resolved dependencies are
 * the tools and rule files, with their digests. NULL when the build made none
 * of the subjects.
 */
/* A subject that no recorded call made (bzImage comes from arch/x86/boot/tools/build): by its file, if this build wrote it. */
static void file_subject(json_t *subjects, const char *bdir, const char *rel, double t0, double t1)
{
	char *path = path_join(bdir, rel);
	struct stat st;
	char hex[SHA256_HEX_LEN + 1];
	double mt = 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))	/* arch/x86_64/boot/bzImage is a link to x86's */
		mt = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
	if (mt && mt >= t0 && (!t1 || mt <= t1 + 60) && sha256_file_hex(path, hex) == 0)
		json_object_set_new(subjects, rel, json_string(hex));
	free(path);
}

static json_t *provenance(const struct ctl *ctl, const char *build, const json_t *m)
{
	const json_t *start = build_event(ctl, build, "start"), *end = build_event(ctl, build, "end");
	double t0 = 0, t1 = 0;
	for (size_t i = 0; i < ctl->nr; i++) {	/* without kshimctl make: the calls' span */
		if (!ctl_rec_is(ctl, i, "call", build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build");
		if (!b || strcmp(b, build) != 0 || !rec_is_call(r))
			continue;
		double s = json_number_value(json_object_get(r, "start")), f = json_number_value(json_object_get(r, "end"));
		if (!t0 || s < t0)
			t0 = s;
		if (f > t1)
			t1 = f;
	}
	if (start)
		t0 = json_number_value(json_object_get(start, "time"));
	if (end)
		t1 = json_number_value(json_object_get(end, "time"));

	/* subjects: name -> sha256; from the manifest, else from files this build wrote */
	json_t *named = json_object(), *deps = json_array();
	const json_t *outs = json_object_get(m, "outputs"), *tools = json_object_get(m, "tools"),
		     *rules = json_object_get(m, "rules");
	const char *k;
	json_t *v;
	const char *bdir = ctl_build_dir_of(ctl, build);
	json_object_foreach((json_t *)outs, k, v) {
		if (strcmp(k, "vmlinux") != 0 && !glob_match("arch/*/boot/bzImage", k) && !ends_with(k, ".ko"))
			continue;
		/*
		 * The file as it is, if this build wrote it: link-vmlinux.sh rewrites vmlinux in place
		 * after the link (scripts/sorttable), which kshim does not wrap; else the recorded digest.
		 */
		if (bdir)
			file_subject(named, bdir, k, t0, t1);
		if (!json_object_get(named, k))
			json_object_set(named, k, json_object_get(v, "sha256"));
	}
	if (bdir) {
		glob_t g;
		char *pat = path_join(bdir, "arch/*/boot/bzImage");
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				if (!json_object_get(named, g.gl_pathv[i] + strlen(bdir) + 1))
					file_subject(named, bdir, g.gl_pathv[i] + strlen(bdir) + 1, t0, t1);
			globfree(&g);
		}
		free(pat);
		if (!json_object_get(named, "vmlinux"))
			file_subject(named, bdir, "vmlinux", t0, t1);
		char *order = path_join(bdir, "modules.order"), *text;
		if (read_file(order, &text, NULL) == 0) {	/* kbuild lists the modules it built */
			for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
				if (!ends_with(line, ".o"))
					continue;
				char *ko = xasprintf("%.*sko", (int)strlen(line) - 1, line);
				if (!json_object_get(named, ko))
					file_subject(named, bdir, ko, t0, t1);
				free(ko);
			}
			free(text);
		}
		free(order);
	}
	if (!json_object_size(named)) {
		json_decref(named);
		json_decref(deps);
		return NULL;
	}
	json_t *subjects = json_array();
	struct strvec keys = STRVEC_INIT;
	sorted_keys(named, &keys);
	for (size_t i = 0; i < keys.nr; i++)
		json_array_append_new(subjects, json_pack("{s:s,s:{s:O}}", "name", keys.v[i], "digest", "sha256",
							  json_object_get(named, keys.v[i])));
	strvec_clear(&keys);
	json_decref(named);
	sorted_keys(tools, &keys);
	for (size_t i = 0; i < keys.nr; i++) {
		const json_t *e = json_object_get(tools, keys.v[i]);
		json_t *ann = json_object();
		if (rec_str(e, "version"))
			json_object_set(ann, "version", json_object_get(e, "version"));
		json_array_append_new(deps, resource(keys.v[i], rec_str(e, "sha256"), ann));
		json_decref(ann);
	}
	strvec_clear(&keys);
	sorted_keys(rules, &keys);
	for (size_t i = 0; i < keys.nr; i++) {
		json_t *ann = json_pack("{s:s}", "kind", "kshim rule file");
		json_array_append_new(deps, resource(keys.v[i], json_string_value(json_object_get(rules, keys.v[i])), ann));
		json_decref(ann);
	}
	strvec_clear(&keys);
	json_t *ext = json_object();
	if (start && json_object_get(start, "argv"))
		json_object_set(ext, "make", json_object_get(start, "argv"));
	if (ctl_build_dir_of(ctl, build))
		json_object_set_new(ext, "build_dir", json_string(ctl_build_dir_of(ctl, build)));
	if (ctl_src_dir_of(ctl, build))
		json_object_set_new(ext, "source_dir", json_string(ctl_src_dir_of(ctl, build)));
	return json_pack("{s:s,s:o,s:s,s:{s:{s:s,s:o,s:{s:s},s:o},s:{s:{s:s,s:s},s:{s:s,s:o,s:o}}}}",
			 "_type", "https://in-toto.io/Statement/v1", "subject", subjects,
			 "predicateType", "https://slsa.dev/provenance/v1", "predicate",
			 "buildDefinition", "buildType", "urn:kshim:buildtype:kbuild:v1", "externalParameters", ext,
			 "internalParameters", "kshim", KSHIM_VERSION, "resolvedDependencies", deps,
			 "runDetails", "builder", "id", "urn:kshim:kshimctl", "version", KSHIM_VERSION,
			 "metadata", "invocationId", build, "startedOn", rfc3339(t0), "finishedOn", rfc3339(t1));
}

int cmd_fingerprint(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "provenance", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *out = NULL, *sel = "last";
	int c, prov = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			prov = 1;
			break;
		case 'h':
			return ctl_usage(ctl_find_cmd("fingerprint"), stdout);
		default:
			return ctl_bad_option("fingerprint", argv[optind - 1]);
		}
	}
	if (optind < argc)
		sel = argv[optind++];
	if (optind < argc) {
		error("fingerprint: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	const char *build;
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0 || !(build = ctl_build_select(ctl, sel)))
		return 2;
	json_t *m = build_manifest(ctl, build);
	if (json_object_size(json_object_get(m, "outputs")) == 0)
		warning("build %s has no fingerprinted outputs (recorded before fingerprints, or KSHIM_FINGERPRINT=0)",
			build);
	if (prov) {
		json_t *st = provenance(ctl, build, m);
		json_decref(m);
		if (!st) {
			error("fingerprint: build %s made no vmlinux, bzImage or module to state provenance for", build);
			return 2;
		}
		m = st;
	}
	char *text = json_dumps(m, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(m);
	int ret = 0;
	FILE *f = out && strcmp(out, "-") != 0 ? fopen(out, "w") : stdout;
	if (!f) {
		error("fingerprint: cannot write '%s': %m", out);
		ret = 2;
	} else {
		fputs(text, f);
		fputc('\n', f);
		if (f != stdout && fclose(f) != 0) {
			error("fingerprint: cannot write '%s': %m", out);
			ret = 2;
		}
	}
	free(text);
	return ret;
}
