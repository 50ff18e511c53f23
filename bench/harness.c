/*
 * harness: time several alternatives of one command, interleaved round by
 * round so that machine noise falls on all of them alike.
 *
 * usage: harness [-n ROUNDS] [-w WARMUP] [-j FILE] SPEC...
 *   SPEC is "NAME|ENV|ARGV": ENV is space-separated KEY=VALUE pairs added to
 *   the environment (may be empty), ARGV is space-separated words, or
 *   "@FILE" for a NUL-separated argv (arguments with spaces, kernel command
 *   lines). Each run is posix_spawn + wait4, stdout/stderr to /dev/null.
 *
 * Prints min / median / max wall time per alternative, the ratio of the
 * medians to the first alternative and the largest peak RSS of a run (the
 * process spawned, from wait4), and with -j appends the same as JSON.
 * Exits 1 if any run of any alternative fails: a benchmark of a broken
 * command is no benchmark.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct alt {
	char *name;
	char **argv;
	char **envp;
	double *t;
	long maxrss_kb;		/* the largest peak resident set of a run (wait4) */
};

static char **split(char *s, int *n)
{
	char **v = calloc(strlen(s) + 2, sizeof(*v));
	int k = 0;
	for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " "))
		v[k++] = tok;
	v[k] = NULL;
	if (n)
		*n = k;
	return v;
}

static char **read_argv_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(2);
	}
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	char **v = calloc(len + 2, sizeof(*v));
	int k = 0;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
		v[k++] = strdup(buf + i);
	v[k] = NULL;
	return v;
}

static char **make_env(char *extra)
{
	int n = 0, m = 0;
	while (environ[n])
		n++;
	char **add = split(extra, &m);
	char **e = calloc((size_t)(n + m + 1), sizeof(*e));
	int k = 0;
	for (int i = 0; i < n; i++) {
		int overridden = 0;
		for (int j = 0; j < m; j++) {
			size_t kl = strcspn(add[j], "=");
			if (strncmp(environ[i], add[j], kl + 1) == 0)
				overridden = 1;
		}
		if (!overridden)
			e[k++] = environ[i];
	}
	for (int j = 0; j < m; j++)
		e[k++] = add[j];
	e[k] = NULL;
	return e;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_once(struct alt *a)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	double t0 = now();
	int err = posix_spawnp(&pid, a->argv[0], &fa, NULL, a->argv, a->envp);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		fprintf(stderr, "harness: %s: cannot run %s: %s\n", a->name, a->argv[0], strerror(err));
		exit(1);
	}
	int st;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	double t = now() - t0;
	if (ru.ru_maxrss > a->maxrss_kb)
		a->maxrss_kb = ru.ru_maxrss;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "harness: %s failed (status 0x%x): %s ...\n", a->name, st, a->argv[0]);
		exit(1);
	}
	return t;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	int rounds = 100, warmup = 3, opt;
	const char *json = NULL;
	while ((opt = getopt(argc, argv, "n:w:j:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else if (opt == 'j')
			json = optarg;
		else
			return 2;
	}
	int n = argc - optind;
	if (n < 1 || rounds < 1) {
		fprintf(stderr, "usage: harness [-n ROUNDS] [-w WARMUP] [-j FILE] 'NAME|ENV|ARGV'...\n");
		return 2;
	}
	struct alt *alts = calloc((size_t)n, sizeof(*alts));
	for (int i = 0; i < n; i++) {
		char *spec = strdup(argv[optind + i]);
		char *p1 = strchr(spec, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
		if (!p2) {
			fprintf(stderr, "harness: bad spec '%s' (want NAME|ENV|ARGV)\n", spec);
			return 2;
		}
		*p1 = *p2 = '\0';
		alts[i].name = spec;
		alts[i].envp = make_env(p1 + 1);
		alts[i].argv = p2[1] == '@' ? read_argv_file(p2 + 2) : split(p2 + 1, NULL);
		alts[i].t = calloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < warmup; r++)
		for (int i = 0; i < n; i++)
			run_once(&alts[i]);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			alts[i].t[r] = run_once(&alts[i]);

	FILE *jf = json ? fopen(json, "a") : NULL;
	double base = 0;
	printf("  %-28s %10s %10s %10s %8s %10s %9s\n", "alternative", "min ms", "median ms", "max ms", "ratio", "+ms",
	       "peak MB");
	for (int i = 0; i < n; i++) {
		qsort(alts[i].t, (size_t)rounds, sizeof(double), cmp);
		double med = alts[i].t[rounds / 2] * 1e3, mn = alts[i].t[0] * 1e3, mx = alts[i].t[rounds - 1] * 1e3;
		if (i == 0)
			base = med;
		printf("  %-28s %10.3f %10.3f %10.3f %7.2fx %+10.3f %9.1f\n", alts[i].name, mn, med, mx, med / base,
		       med - base, (double)alts[i].maxrss_kb / 1024);
		if (jf)
			fprintf(jf, "{\"name\":\"%s\",\"rounds\":%d,\"min_ms\":%.4f,\"median_ms\":%.4f,\"max_ms\":%.4f,"
				    "\"ratio\":%.4f,\"over_ms\":%.4f,\"maxrss_kb\":%ld}\n", alts[i].name, rounds, mn, med, mx,
				med / base, med - base, alts[i].maxrss_kb);
	}
	if (jf)
		fclose(jf);
	return 0;
}
