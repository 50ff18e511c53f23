/* kshimctl trust: vet project-local rule files (see trust.h). */
#include "ctl.h"
#include "names.h"
#include "rules.h"
#include "trust.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The nearest <dir>/.kshim/rules.d from the current directory upwards. */
static char *find_local_rules(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	for (;;) {
		char *cand = path_join(cwd, KSHIM_LOG_DIRNAME "/" KSHIM_RULES_DIRNAME);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode))
			return cand;
		free(cand);
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			return NULL;
		*slash = '\0';
	}
}

static int list_store(const struct trust *t, int json)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < t->paths.nr; i++) {
		char hex[SHA256_HEX_LEN + 1];
		const char *state = "ok";
		if (sha256_file_hex(t->paths.v[i], hex) < 0)
			state = errno == ENOENT ? "missing" : "unreadable";
		else if (strcmp(t->digests.v[i] + 7, hex) != 0)
			state = "changed";
		if (json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "digest", t->digests.v[i], "path",
							     t->paths.v[i], "state", state));
		else
			printf("%s  %s  %s\n", t->digests.v[i], t->paths.v[i],
			       strcmp(state, "changed") ? state : "changed (not used until trusted again)");
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(arr);
	return 0;
}

/* The real path to record, or NULL after an error. */
static char *canonical(const char *p)
{
	char *canon = realpath(p, NULL);
	if (!canon) {
		error("cannot resolve '%s': %s", p, strerror(errno));
		return NULL;
	}
	if (strchr(canon, '\n')) {
		error("'%s': a path with a newline cannot be recorded", p);
		free(canon);
		return NULL;
	}
	return canon;
}

static int revoke_one(struct trust *t, const char *p)
{
	char *canon = canonical(p);
	if (!canon)
		return 2;
	trust_set(t, canon, NULL);
	printf("revoked  %s\n", canon);
	free(canon);
	return 0;
}

/* Trust only what loads (a file kshim would refuse is not worth vetting), and the bytes that were checked. */
static int trust_one(struct trust *t, const char *p)
{
	char *canon = canonical(p);
	if (!canon)
		return 2;
	char before[SHA256_HEX_LEN + 1], after[SHA256_HEX_LEN + 1];
	struct ruleset rs;
	ruleset_init(&rs);
	int ret = 0;
	if (sha256_file_hex(p, before) < 0) {
		error("cannot read '%s': %s", p, strerror(errno));
		ret = 2;
	} else if (ruleset_load_path(&rs, p, 0) < 0) {
		error("not trusting '%s': fix the errors above first", p);
		ret = 2;
	} else if (sha256_file_hex(p, after) < 0 || strcmp(before, after) != 0) {
		error("not trusting '%s': it changed while it was being checked", p);
		ret = 2;
	} else {
		char digest[8 + SHA256_HEX_LEN];
		snprintf(digest, sizeof(digest), "sha256:%s", after);
		trust_set(t, canon, digest);
		printf("trusted  %s  %s  (%zu rule%s:", digest, canon, rs.nr, rs.nr == 1 ? "" : "s");
		for (size_t k = 0; k < rs.nr; k++)
			printf(" %s", rs.v[k].name);
		printf(")\n");
	}
	ruleset_release(&rs);
	free(canon);
	return ret;
}

int cmd_trust(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "revoke", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int list = 0, revoke = 0, json = 0, c;
	(void)ctl;
	optind = 1;
	while ((c = getopt_long(argc, argv, "lrjh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list = 1; break;
		case 'j': json = 1; break;
		case 'r': revoke = 1; break;
		case 'h':
			return ctl_usage(ctl_find_cmd("trust"), stdout);
		default:
			ctl_usage(ctl_find_cmd("trust"), stderr);
			return 2;
		}
	}
	struct trust t;
	trust_init(&t);
	if (trust_load(&t) < 0) {
		trust_release(&t);
		return 2;
	}
	if (list) {
		int ret = optind < argc ? ctl_bad_option("trust", argv[optind]) : list_store(&t, json);
		trust_release(&t);
		return ret;
	}

	/* the files: those named, the .ini files of directories named, or of the nearest .kshim/rules.d */
	struct rule_sources src = { 0 };
	struct strvec paths = STRVEC_INIT;
	if (optind == argc) {
		char *d = find_local_rules();
		if (!d) {
			trust_release(&t);
			error("no .kshim/rules.d here or in any parent; name the files or the directory");
			return 2;
		}
		strvec_push(&paths, d);
		free(d);
	}
	for (int i = optind; i < argc; i++)
		strvec_push(&paths, argv[i]);
	int ret = 0;
	for (size_t i = 0; i < paths.nr; i++) {
		struct stat st;
		if (revoke && paths.v[i][0] == '/' && stat(paths.v[i], &st) < 0 && errno == ENOENT) {
			/* a file gone from disk: forget its entry as recorded */
			trust_set(&t, paths.v[i], NULL);
			printf("revoked  %s\n", paths.v[i]);
			continue;
		}
		if (rule_sources_add_path(&src, paths.v[i], 0) < 0)
			ret = 2;
	}
	for (size_t i = 0; i < src.nr && ret == 0; i++)
		ret = revoke ? revoke_one(&t, src.v[i].path) : trust_one(&t, src.v[i].path);
	if (ret == 0 && src.nr == 0 && !revoke) {
		error("no rule files to %s", revoke ? "revoke" : "trust");
		ret = 2;
	}
	if (ret == 0 && trust_save(&t) < 0)
		ret = 2;
	rule_sources_release(&src);
	strvec_clear(&paths);
	trust_release(&t);
	return ret;
}
