/*
 * kshimctl bundle OUTPUT -o FILE.tar.gz: a self-contained reproducer of the
 * recorded call that made OUTPUT, like lld's --reproduce and clang's
 * -gen-reproducer; kshimctl bundle --check FILE re-runs it in a temporary
 * directory and compares the output digests.
 *
 *   kshim-bundle/bundle.json   the call: argv and cwd with the build and
 *                              source directories written $B and $S (pin
 *                              escapes), the tool (path, SHA-256, version),
 *                              the allowlisted environment, every file it
 *                              read with its digest and whether it is in the
 *                              bundle, the outputs' digests
 *   kshim-bundle/run.sh        runs it by hand: sh run.sh
 *   kshim-bundle/B/...         files from the build directory
 *   kshim-bundle/S/...         files from the source directory
 *   kshim-bundle/abs/...       other files, only with --all-files (the
 *                              compiler's own headers, system libraries):
 *                              by default they are named with their digest
 *                              and --check verifies the machine's copies
 *
 * Files come from the record: its inputs (thin archives: their members), and
 * the headers of its depfile (the build's header table). A file that changed
 * since the call is an error: the bundle would not reproduce it.
 * Entries are written with mtime 0, owner 0 and sorted, so the same call
 * gives the same archive bytes.
 */
#include "ctl.h"
#include "deptab.h"
#include "digest.h"
#include "fingerprint.h"
#include "layout.h"
#include "log.h"
#include "pin.h"
#include "run.h"
#include "thinar.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_DIR "kshim-bundle"

/* ---- making a bundle ------------------------------------------------------------ */

struct bundle {
	const char *bdir, *sdir;
	json_t *files;		/* key -> {sha256, included} */
	struct strvec paths;	/* absolute paths of the files to include, parallel to keys */
	struct strvec keys;
	int all_files;
};

/* "$B/x" -> "B/x", "$S/x" -> "S/x", "/abs" -> "abs/abs" (heap), NULL when the key is none of these */
static char *entry_name(const char *key)
{
	if (key[0] == '$' && (key[1] == 'B' || key[1] == 'S') && key[2] == '/')
		return xasprintf(BUNDLE_DIR "/%c%s", key[1], key + 2);
	if (key[0] == '/')
		return xasprintf(BUNDLE_DIR "/abs%s", key);
	return NULL;
}

/* Add the file at path (relative to cwd) with its recorded digest (NULL: none recorded). */
static int add_file(struct bundle *b, const char *cwd, const char *path, const char *want)
{
	char *abs = path[0] == '/' ? xstrdup(path) : path_join(cwd, path);
	for (char *p; (p = strstr(abs, "/./"));)
		memmove(p, p + 2, strlen(p + 2) + 1);
	char *key = pin_escape(abs, b->bdir, b->sdir, 0);
	int ret = 0;
	if (json_object_get(b->files, key))
		goto out;
	char hex[SHA256_HEX_LEN + 1];
	if (sha256_file_hex(abs, hex) < 0) {
		ret = error("bundle: cannot read '%s', which the call read: %s", abs, strerror(errno));
		goto out;
	}
	if (want && strcmp(want, hex) != 0) {
		ret = error("bundle: '%s' changed since the call (sha256 %.16s... then, %.16s... now): the bundle would not "
			    "reproduce it; rebuild first", abs, want, hex);
		goto out;
	}
	int inside = key[0] == '$';
	int include = inside || b->all_files;
	json_object_set_new(b->files, key, json_pack("{s:s,s:b}", "sha256", hex, "included", include));
	if (include) {
		strvec_push(&b->paths, abs);
		strvec_push(&b->keys, key);
	}
out:
	free(key);
	free(abs);
	return ret;
}

/* A word of the bundle (pin escapes) as one shell word for run.sh. */
static void shell_word(FILE *f, const char *w)
{
	fputc('\'', f);
	for (const char *p = w; *p;) {
		if (p[0] == '$' && (p[1] == 'B' || p[1] == 'S')) {
			fprintf(f, "'\"$root/%c\"'", p[1]);
			p += 2;
		} else if (p[0] == '\\' && (p[1] == '\\' || p[1] == '$')) {
			fputc(p[1], f);
			p += 2;
		} else if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
			char hx[3] = { p[2], p[3], 0 };
			fputc((int)strtoul(hx, NULL, 16), f);
			p += 4;
		} else if (*p == '\'') {
			fputs("'\\''", f);
			p++;
		} else {
			fputc(*p++, f);
		}
	}
	fputc('\'', f);
}

/*
 * What a compiler writes of its directories (DWARF's comp_dir and file names
 * with -g, __FILE__), as if it ran where the call did: a re-run anywhere else
 * needs that. The words to put after argv[0] of a cc or hostcc step; only the
 * bundle's own directories are mapped (bdir, sdir: where they are now).
 */
static void prefix_maps(const json_t *meta, const json_t *step, const char *bdir, const char *sdir, struct strvec *out)
{
	const char *role = rec_str(step, "role");
	if (!role || (strcmp(role, "cc") != 0 && strcmp(role, "hostcc") != 0))
		return;
	if (rec_str(meta, "build_dir"))
		strvec_push_nodup(out, xasprintf("-ffile-prefix-map=%s=%s", bdir, rec_str(meta, "build_dir")));
	if (rec_str(meta, "src_dir") && (!rec_str(meta, "build_dir") || strcmp(rec_str(meta, "src_dir"), rec_str(meta, "build_dir"))))
		strvec_push_nodup(out, xasprintf("-ffile-prefix-map=%s=%s", sdir, rec_str(meta, "src_dir")));
}

static char *run_script(const json_t *meta)
{
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "#!/bin/sh\n# kshim bundle: re-run the call(s) that made %s. Output digests are in bundle.json;\n"
		   "# 'kshimctl bundle --check' runs the same and compares them.\nset -e\nroot=$(cd \"$(dirname \"$0\")\" && pwd)\n",
		json_string_value(json_object_get(meta, "output")));
	size_t si;
	json_t *step;
	json_array_foreach(json_object_get(meta, "steps"), si, step) {
		fprintf(f, "# %s %s\n(cd ", rec_str(step, "role"), rec_str(step, "mode"));
		shell_word(f, json_string_value(json_object_get(step, "cwd")));
		fputs(" && env -i PATH=/usr/bin:/bin", f);
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(step, "env"), k, v) {
			fprintf(f, " %s=", k);
			shell_word(f, json_string_value(v));
		}
		struct strvec maps = STRVEC_INIT;
		prefix_maps(meta, step, "$B", "$S", &maps);	/* shell_word writes $B as "$root/B" */
		size_t i;
		json_array_foreach(json_object_get(step, "argv"), i, v) {
			fputs(i ? " " : " \\\n\t", f);
			shell_word(f, json_string_value(v));
			for (size_t m = 0; i == 0 && m < maps.nr; m++) {
				fputc(' ', f);
				shell_word(f, maps.v[m]);
			}
		}
		strvec_clear(&maps);
		fputs(")\n", f);
	}
	fclose(f);
	return text;
}

static int archive_add(struct archive *a, const char *name, const void *data, size_t len, int mode)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode);
	archive_entry_set_mtime(e, 0, 0);
	int ret = archive_write_header(a, e) == ARCHIVE_OK &&
		  (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len) ? 0 : -1;
	archive_entry_free(e);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The record that made output key (the last one; objtool rewrites are not reproducible alone). */
static const json_t *find_maker(const struct ctl *ctl, const char *sel_build, const char *output, const char **build,
				size_t limit, size_t *at)
{
	const json_t *found = NULL;
	const char *last_build = NULL, *bdir = NULL;	/* ctl_build_dir_of scans the log: once per build */
	for (size_t i = 0; i < limit && i < ctl->nr; i++) {
		if (!ctl_rec_is(ctl, i, "call", sel_build))
			continue;
		const json_t *r = ctl_rec(ctl, i);
		const char *b = rec_str(r, "build");
		if (!rec_is_call(r) || rec_bool(r, "probe") || !b || (sel_build && strcmp(b, sel_build) != 0) ||
		    json_integer_value(json_object_get(r, "exit")) != 0 || json_object_get(r, "signal"))
			continue;
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(r, "outputs"), k, o) {
			char *p = json_bytes_decode(o);
			if (!last_build || strcmp(last_build, b) != 0)
				last_build = b, bdir = ctl_build_dir_of(ctl, b);
			char *key = output_key(rec_str(r, "cwd"), p ? p : "", bdir);
			if (strcmp(key, output) == 0 || (p && strcmp(p, output) == 0)) {
				found = r;
				*build = b;
				*at = i;
			}
			free(key);
			free(p);
		}
	}
	return found;
}

/* The files call r read into b (skip: keys made by an earlier step). 0 or 2. */
static int add_call_files(struct ctl *ctl, struct bundle *b, const json_t *r, const char *build, const json_t *skip)
{
	json_t *fp = json_object_get(r, "fp"), *v;
	const char *cwd = rec_str(r, "cwd");
	size_t i;
	json_array_foreach(json_object_get(r, "inputs"), i, v) {
		char *p = json_bytes_decode(v);
		char *abs = p ? (p[0] == '/' ? xstrdup(p) : path_join(cwd, p)) : NULL;
		char *key = abs ? pin_escape(abs, b->bdir, b->sdir, 0) : NULL;
		int made = key && json_object_get(skip, key);
		char *ik = p ? json_key_bytes(p) : NULL;
		int ret = !p || made ? 0 : add_file(b, cwd, p, rec_str(json_object_get(fp, "inputs"), ik));
		free(ik);
		struct strvec members = STRVEC_INIT;
		if (ret == 0 && !made && thin_archive_members(abs, &members))
			for (size_t k = 0; k < members.nr && ret == 0; k++)
				ret = add_file(b, cwd, members.v[k], NULL);
		strvec_clear(&members);
		free(key);
		free(abs);
		free(p);
		if (ret)
			return 2;
	}
	json_t *deps = json_object_get(fp, "deps");
	if (!deps)
		return 0;
	struct deptab *t = deptab_open_ro(ctl->dir, build);
	json_t *files = t ? deps_files(t, deps) : NULL;
	int ret = 0;
	if (!files || json_object_size(files) == 0) {
		error("bundle: the header table of build %s is gone (%s/deps): the call's headers are unknown", build,
		      ctl->dir);
		ret = 2;
	}
	const char *k;
	json_t *h;
	json_object_foreach(files, k, h) {
		const char *why;
		char *path = pin_unescape(k, b->bdir, b->sdir, &why);
		if (!path || add_file(b, cwd, path, json_string_value(h)) < 0)
			ret = 2;
		free(path);
		if (ret)
			break;
	}
	json_decref(files);
	deptab_close(t);
	return ret;
}

/* One step of the bundle: call r in the bundle's terms; its outputs go into outs. */
static json_t *call_step(const json_t *r, const struct bundle *b, json_t *outs)
{
	json_t *fp = json_object_get(r, "fp"), *argv = json_array(), *v;
	const char *cwd = rec_str(r, "cwd");
	size_t i;
	json_array_foreach(json_object_get(r, "argv_run"), i, v) {
		char *w = json_bytes_decode(v);
		/* the tool runs from where it is (objtool lives in the build tree): not a packed file */
		char *e = pin_escape(w ? w : "", i ? b->bdir : NULL, i ? b->sdir : NULL, 0);
		json_array_append_new(argv, json_string(e));
		free(e);
		free(w);
	}
	const char *k;
	json_object_foreach(json_object_get(fp, "outputs"), k, v) {
		char *path = json_key_decode(k);
		char *abs = path[0] == '/' ? path : path_join(cwd, path);
		if (abs != path)
			free(path);
		char *e = pin_escape(abs, b->bdir, b->sdir, 0);
		json_object_set(outs, e, json_object_get(v, "sha256"));
		free(e);
		free(abs);
	}
	json_t *tool = json_object_get(fp, "tool");
	char *ecwd = pin_escape(cwd, b->bdir, b->sdir, 0);
	json_t *step = json_pack("{s:s,s:s,s:s,s:o,s:{s:s,s:O,s:O},s:O}", "role", rec_str(r, "role"), "mode",
				 rec_str(r, "mode"), "cwd", ecwd, "argv", argv, "tool", "path", rec_str(r, "tool"),
				 "sha256", json_object_get(tool, "sha256") ? json_object_get(tool, "sha256") : json_null(),
				 "version", json_object_get(tool, "version") ? json_object_get(tool, "version") : json_null(),
				 "env", json_object_get(fp, "env") ? json_object_get(fp, "env") : json_object());
	free(ecwd);
	return step;
}

static int bundle_make(struct ctl *ctl, const char *sel, const char *output, const char *out, int all_files)
{
	const char *sel_build = sel ? ctl_build_select(ctl, sel) : NULL, *build = NULL, *build0 = NULL;
	if (sel && !sel_build)
		return 2;
	size_t at, at0;
	const json_t *r = find_maker(ctl, sel_build, output, &build, ctl->nr, &at), *r0 = NULL;
	if (!r) {
		error("bundle: no successful call made '%s'%s%s", output, sel_build ? " in build " : "",
		      sel_build ? sel_build : "");
		return 2;
	}
	if (strcmp(rec_str(r, "mode"), "rewrite") == 0) {
		/* objtool rewrote it in place: the object before is gone, so the call that made it is step 1 */
		r0 = find_maker(ctl, NULL, output, &build0, at, &at0);
		if (!r0 || strcmp(rec_str(r0, "mode"), "rewrite") == 0) {
			error("bundle: '%s' was rewritten in place by %s and the call that made it before is not in the log",
			      output, rec_str(r, "role"));
			return 2;
		}
	}
	for (const json_t *x = r0 ? r0 : r; x; x = x == r0 ? r : NULL)
		if (!json_object_get(x, "fp")) {
			error("bundle: the call that made '%s' was recorded without fingerprints (KSHIM_FINGERPRINT=0): "
			      "its inputs' digests are unknown", output);
			return 2;
		}
	struct bundle b = { .bdir = ctl_build_dir_of(ctl, build), .sdir = ctl_src_dir_of(ctl, build),
			    .files = json_object(), .paths = STRVEC_INIT, .keys = STRVEC_INIT, .all_files = all_files };
	json_t *steps = json_array(), *outs = json_object();
	int ret = 0;
	for (const json_t *x = r0 ? r0 : r; x && ret == 0; x = x == r0 ? r : NULL) {
		ret = add_call_files(ctl, &b, x, rec_str(x, "build"), outs);
		json_array_append_new(steps, call_step(x, &b, outs));
	}
	if (ret) {
		json_decref(b.files);
		json_decref(steps);
		json_decref(outs);
		strvec_clear(&b.paths);
		strvec_clear(&b.keys);
		return ret;
	}
	json_t *meta = json_pack("{s:i,s:s,s:s,s:o,s:o,s:o}", "kshim_bundle", 1, "output", output, "build", build,
				 "steps", steps, "files", b.files, "outputs", outs);
	/* where the call ran: --check maps its directories back to these in what a compiler writes */
	if (b.bdir)
		json_object_set_new(meta, "build_dir", json_string(b.bdir));
	if (b.sdir)
		json_object_set_new(meta, "src_dir", json_string(b.sdir));
	size_t i;
	char *mtext = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(1));
	char *script = run_script(meta);
	char *tmp = xasprintf("%s.tmp.%d", out, (int)getpid());
	struct archive *a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_set_filter_option(a, "gzip", "timestamp", NULL);	/* no time in the gzip header */
	size_t total = 0;
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		ret = error("bundle: cannot write '%s': %s", tmp, archive_error_string(a));
	} else if (archive_add(a, BUNDLE_DIR "/bundle.json", mtext, strlen(mtext), 0644) < 0 ||
		   archive_add(a, BUNDLE_DIR "/run.sh", script, strlen(script), 0755) < 0) {
		ret = error("bundle: cannot write '%s': %s", tmp, archive_error_string(a));
	}
	/* sorted: the same call gives the same bytes */
	struct strvec order = STRVEC_INIT;
	for (i = 0; i < b.keys.nr; i++)
		strvec_push_nodup(&order, xasprintf("%s\t%s", b.keys.v[i], b.paths.v[i]));
	qsort(order.v, order.nr, sizeof(*order.v), cmp_str);
	for (i = 0; i < order.nr && ret == 0; i++) {
		char *tab = strchr(order.v[i], '\t');
		*tab = '\0';
		char *name = entry_name(order.v[i]), *data;
		size_t len;
		if (!name || read_file(tab + 1, &data, &len) < 0) {
			ret = error("bundle: cannot read '%s': %s", tab + 1, strerror(errno));
		} else {
			if (archive_add(a, name, data, len, 0644) < 0)
				ret = error("bundle: cannot write '%s': %s", tmp, archive_error_string(a));
			total += len;
			free(data);
		}
		free(name);
	}
	strvec_clear(&order);
	if (archive_write_close(a) != ARCHIVE_OK && ret == 0)
		ret = error("bundle: cannot write '%s': %s", tmp, archive_error_string(a));
	archive_write_free(a);
	if (ret == 0 && rename(tmp, out) != 0)
		ret = error("bundle: cannot write '%s': %s", out, strerror(errno));
	if (ret)
		unlink(tmp);
	else
		fprintf(stderr, "kshimctl: %s: %s%s%s %s, %zu file(s), %zu bytes before compression, in %s\n", output,
			r0 ? rec_str(r0, "role") : "", r0 ? " then " : "", rec_str(r, "role"), rec_str(r, "mode"),
			b.keys.nr, total, out);
	free(tmp);
	free(mtext);
	free(script);
	json_decref(meta);
	strvec_clear(&b.paths);
	strvec_clear(&b.keys);
	return ret ? 2 : 0;
}

/* ---- checking a bundle ----------------------------------------------------------- */

/* Extract FILE into dir: regular files under kshim-bundle/ only, no "..", no links. */
static int bundle_extract(const char *file, const char *dir)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	int ret = 0;
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		ret = error("bundle: cannot read '%s': %s", file, archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		int is_dir = archive_entry_filetype(e) == AE_IFDIR;
		if (!name || !starts_with(name, BUNDLE_DIR "/") || strstr(name, "..") ||
		    (archive_entry_filetype(e) != AE_IFREG && !is_dir)) {
			ret = error("bundle: '%s' holds an entry that is not a file under %s/: '%s'", file, BUNDLE_DIR,
				    name ? name : "?");
			goto out;
		}
		char *path = path_join(dir, name);
		if (is_dir) {
			if (mkdir_p(path, 0755) < 0) {
				ret = error("bundle: cannot extract '%s' from '%s': %s", name, file, strerror(errno));
				free(path);
				goto out;
			}
			free(path);
			continue;
		}
		char *slash = strrchr(path, '/');
		*slash = '\0';
		int ok = mkdir_p(path, 0755) == 0;
		*slash = '/';
		int fd = ok ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, archive_entry_perm(e) & 0755) : -1;
		if (fd < 0 || archive_read_data_into_fd(a, fd) != ARCHIVE_OK) {
			ret = error("bundle: cannot extract '%s' from '%s': %s", name, file,
				    fd < 0 ? strerror(errno) : archive_error_string(a));
			if (fd >= 0)
				close(fd);
			free(path);
			goto out;
		}
		close(fd);
		free(path);
	}
	if (r != ARCHIVE_EOF)
		ret = error("bundle: '%s' is damaged: %s", file, archive_error_string(a));
out:
	archive_read_free(a);
	return ret;
}

static int bundle_check(const char *file, int keep)
{
	char tmpl[] = "/tmp/kshim-bundle-check.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir)
		return error("bundle: cannot make a temporary directory: %s", strerror(errno)), 2;
	int ret = 2;
	json_t *meta = NULL;
	char *root = path_join(dir, BUNDLE_DIR);
	char *bd = path_join(root, "B"), *sd = path_join(root, "S"), *mpath = path_join(root, "bundle.json");
	struct strvec argv = STRVEC_INIT;
	if (bundle_extract(file, dir) < 0)
		goto out;
	json_error_t jerr;
	meta = json_load_file(mpath, 0, &jerr);
	if (!meta || json_integer_value(json_object_get(meta, "kshim_bundle")) != 1 ||
	    !json_array_size(json_object_get(meta, "steps")) || !json_is_object(json_object_get(meta, "outputs")) ||
	    !json_is_object(json_object_get(meta, "files"))) {
		error("bundle: '%s': %s", file, meta ? "bundle.json is not a kshim bundle (version 1)" : jerr.text);
		goto out;
	}
	/* the files: those inside must be intact, those outside must be this machine's same files */
	const char *k, *why;
	json_t *v, *step;
	long bad = 0;
	json_object_foreach(json_object_get(meta, "files"), k, v) {
		int inside = k[0] == '$';
		char *path = inside ? pin_unescape(k, bd, sd, &why) : xstrdup(k);
		char hex[SHA256_HEX_LEN + 1];
		if (!path || sha256_file_hex(path, hex) < 0 || !rec_str(v, "sha256") || strcmp(hex, rec_str(v, "sha256")) != 0) {
			printf("%s %s: %s\n", inside ? "damaged" : "differs", k,
			       !path ? why : inside ? "not as bundled" : "this machine's copy is not the one the call read");
			bad++;
		}
		free(path);
	}
	json_object_foreach(json_object_get(meta, "outputs"), k, v) {	/* their directories */
		char *p = pin_unescape(k, bd, sd, &why);
		char *slash = p ? strrchr(p, '/') : NULL;
		if (slash) {
			*slash = '\0';
			mkdir_p(p, 0755);
		}
		free(p);
	}
	size_t si;
	json_array_foreach(json_object_get(meta, "steps"), si, step) {
		const char *tool = rec_str(json_object_get(step, "tool"), "path");
		const char *tsha = rec_str(json_object_get(step, "tool"), "sha256");
		char thex[SHA256_HEX_LEN + 1];
		if (!tool || sha256_file_hex(tool, thex) < 0 || (tsha && strcmp(thex, tsha) != 0)) {
			printf("differs tool %s: %s\n", tool ? tool : "?", !tool ? "not named" : "not the binary the call ran");
			bad++;
		}
		size_t i;
		strvec_clear(&argv);
		json_array_foreach(json_object_get(step, "argv"), i, v) {
			char *w = json_string_value(v) ? pin_unescape(json_string_value(v), bd, sd, &why) : NULL;
			if (!w) {
				error("bundle: '%s': step %zu, argument %zu: %s", file, si + 1, i,
				      json_string_value(v) ? why : "not a string");
				goto out;
			}
			strvec_push_nodup(&argv, w);
		}
		struct strvec maps = STRVEC_INIT;
		prefix_maps(meta, step, bd, sd, &maps);
		for (size_t m = 0; m < maps.nr && argv.nr; m++)
			strvec_insert(&argv, 1 + m, maps.v[m]);
		strvec_clear(&maps);
		char *cwd = rec_str(step, "cwd") ? pin_unescape(rec_str(step, "cwd"), bd, sd, &why) : NULL;
		if (!argv.nr || !cwd || mkdir_p(cwd, 0755) < 0) {
			error("bundle: '%s': step %zu: %s", file, si + 1, !argv.nr ? "no argv" : cwd ? strerror(errno) : "no cwd");
			free(cwd);
			goto out;
		}
		struct strvec env = STRVEC_INIT;
		strvec_push(&env, "PATH=/usr/bin:/bin");
		json_object_foreach(json_object_get(step, "env"), k, v)
			strvec_push_nodup(&env, xasprintf("%s=%s", k, json_string_value(v) ? json_string_value(v) : ""));
		struct run_result res;
		run_child(argv.v[0], argv.v, env.v, &(struct run_opts){ .dir = cwd }, &res);
		free(cwd);
		strvec_clear(&env);
		if (!res.started || !res.exited || res.exit_code != 0) {
			printf("failed %s: step %zu (%s) %s (status %d)\n", rec_str(meta, "output"), si + 1,
			       rec_str(step, "role"), res.started ? "failed" : "could not be run", run_status(&res));
			ret = 1;
			goto out;
		}
	}
	long same = 0, differ = 0;
	json_object_foreach(json_object_get(meta, "outputs"), k, v) {
		char *p = pin_unescape(k, bd, sd, &why);
		char hex[SHA256_HEX_LEN + 1];
		int ok = p && sha256_file_hex(p, hex) == 0 && json_string_value(v) && strcmp(hex, json_string_value(v)) == 0;
		printf("%s %s%s%s\n", ok ? "identical" : "DIFFERS", k, ok ? "" : ": recorded ", ok ? "" : json_string_value(v) ? json_string_value(v) : "?");
		same += ok;
		differ += !ok;
		free(p);
	}
	printf("%s: %ld output(s) identical, %ld differ%s\n", rec_str(meta, "output"), same, differ,
	       bad ? " (and inputs or the tool differ: see above)" : "");
	ret = differ || bad ? 1 : 0;
out:
	if (keep) {
		fprintf(stderr, "kshimctl: kept %s\n", dir);
	} else {
		struct run_result res;
		if (run_child("/bin/rm", (char *[]){ "rm", "-rf", "--", dir, NULL }, NULL, NULL, &res) < 0 ||
		    run_status(&res) != 0)
			warning("cannot remove '%s'", dir);
	}
	strvec_clear(&argv);
	json_decref(meta);
	free(root);
	free(bd);
	free(sd);
	free(mpath);
	return ret;
}

int cmd_bundle(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "build", required_argument, NULL, 'b' },
		{ "check", no_argument, NULL, 'c' },
		{ "keep", no_argument, NULL, 'k' },
		{ "all-files", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL, *out = NULL, *build = NULL;
	int check = 0, keep = 0, all = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'b': build = optarg; break;
		case 'c': check = 1; break;
		case 'k': keep = 1; break;
		case 'a': all = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("bundle"), stdout);
		default: return ctl_bad_option("bundle", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		error(check ? "bundle --check: one bundle file" : "bundle: one output (see 'kshimctl bundle --help')");
		return 2;
	}
	if (check)
		return bundle_check(argv[optind], keep);
	if (!out) {
		error("bundle: say where with -o FILE.tar.gz");
		return 2;
	}
	if (ctl_find_dir(ctl, dir) < 0 || ctl_load(ctl) < 0)
		return 2;
	return bundle_make(ctl, build, argv[optind], out, all);
}
