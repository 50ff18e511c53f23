/*
 * libkshim-preload.so: route execs of known tools, by any path, through kshim.
 *
 * kbuild runs objtool as ./tools/objtool/objtool and link-vmlinux.sh runs
 * its tools by path: no CC/LD variable reaches them. `kshimctl make` sets
 * LD_PRELOAD to this library, which wraps the exec family and
 * posix_spawn(p):
 *
 *   - a program whose file name matches KSHIM_PRELOAD_TOOLS ("objtool:objtool
 *     cc:clang* ld:ld.lld* ..."; ROLE:GLOB words) runs as
 *     KSHIM_PRELOAD_BIN/kshim-ROLE with the same arguments, and with
 *     KSHIM_<ROLE>=<the program's absolute path> so that kshim runs exactly
 *     the binary the caller named (rules and log apply);
 *   - with KSHIM_ALL_EXECS=1 every other program runs under
 *     KSHIM_PRELOAD_BIN/kshim-exec, which records a light "exec" record;
 *     with KSHIM_ALL_EXECS=make only make does (kshimctl sweep learns a
 *     relink's sub-makes, and their environment, that way);
 *   - anything else costs one scan of the environment: a child whose parent
 *     cleared LD_PRELOAD (env -i) gets LD_PRELOAD and the KSHIM_* variables
 *     back;
 *   - inside a tool that kshim ran (KSHIM_DEPTH > 0: clang's own -cc1 jobs,
 *     its ld.lld for a link, the compiler a launcher runs) nothing is routed
 *     or recorded: those are the tool's internals, not calls of the build.
 *
 * The exec path runs after vfork: no heap, no locks, no stdio; errno as the
 * real call leaves it. Arrays live on the stack (mmap beyond that). Inert in
 * setuid/setgid programs (AT_SECURE) and in a dynamically linked kshim
 * (which calls kshim_preload_passthrough) so kshim's own exec of the real
 * tool is never routed back. A static binary, or one of the other ELF
 * class, cannot load this library: the first such exec in a build is
 * recorded in the log ("preload" record), so nothing is missed silently.
 */
#include "../names.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_TOOLS 32
#define STACK_VEC 1024		/* argv/envp entries kept on the stack; more go to mmap */
#define SAVED_VARS 64
#define STORE_SMALL 1024	/* the constructor's copies, when they fit; else one mmap */

enum { EXECS_NONE, EXECS_ALL, EXECS_MAKE };	/* KSHIM_ALL_EXECS unset/0, 1 (or any other), make */

extern char **environ;

/*
 * The state is small on purpose: this library is loaded into every program of
 * a build, and a .bss that does not fit in the page after .data costs every
 * one of them an extra mapping and page faults (measured: bench/run preload).
 * Strings are copies (a program may change its environment) in `store`, or
 * in one mapping when a build's KSHIM_* variables are longer.
 */
static struct {
	int active;
	int inside_tool;	/* run (maybe indirectly) by a tool that kshim ran: only restore the environment */
	int all_execs;		/* EXECS_NONE, EXECS_ALL or EXECS_MAKE */
	const char *bin;	/* KSHIM_PRELOAD_BIN; "" when inactive */
	const char *log_dir;	/* KSHIM_DIR or "" */
	const char *build;	/* KSHIM_BUILD or "" */
	int ntools;
	const char *role[MAX_TOOLS];
	const char *glob[MAX_TOOLS];
	char *saved_v[SAVED_VARS + 1];	/* LD_PRELOAD and KSHIM_* for children, "NAME=value"; NULL-ended */
	int nsaved;
} P = { .bin = "", .log_dir = "", .build = "" };

static char store_small[STORE_SMALL];

/* ---- pieces usable after vfork: no heap, no locks --------------------------- */

static size_t s_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static const char *s_base(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '/')
			b = p + 1;
	return b;
}

static int s_prefix(const char *s, const char *pre)
{
	while (*pre)
		if (*s++ != *pre++)
			return 0;
	return 1;
}

/* '*', '?' and [a-z0-9] / [!...] classes: enough for tool names */
static int glob(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (*p == '*') {
		for (;; s++) {
			if (glob(p + 1, s))
				return 1;
			if (!*s)
				return 0;
		}
	}
	if (!*s)
		return 0;
	if (*p == '[') {
		const char *q = p + 1;
		int neg = *q == '!' || *q == '^', hit = 0;
		q += neg;
		for (int first = 1; *q && (*q != ']' || first); q++, first = 0) {
			if (q[1] == '-' && q[2] && q[2] != ']') {
				hit |= *s >= q[0] && *s <= q[2];
				q += 2;
			} else {
				hit |= *s == *q;
			}
		}
		if (*q != ']')
			return *p == *s && glob(p + 1, s + 1);	/* no closing ']': a literal '[' */
		return hit != neg && glob(q + 1, s + 1);
	}
	return (*p == '?' || *p == *s) && glob(p + 1, s + 1);
}

/* Copy src into dst[0..n) at *at; 0, or -1 when it does not fit. */
static int put(char *dst, size_t n, size_t *at, const char *src)
{
	size_t l = s_len(src);
	if (*at + l >= n)
		return -1;
	memcpy(dst + *at, src, l);
	*at += l;
	dst[*at] = '\0';
	return 0;
}

static const char *tool_role(const char *name)
{
	const char *b = s_base(name);
	for (int i = 0; i < P.ntools; i++)
		if (glob(P.glob[i], b))
			return P.role[i];
	return NULL;
}

/* Is a program that is not a tool recorded (run under kshim-exec)? */
static int exec_recorded(const char *name)
{
	if (P.all_execs != EXECS_MAKE)
		return P.all_execs == EXECS_ALL;
	const char *b = s_base(name);
	return strcmp(b, "make") == 0 || strcmp(b, "gmake") == 0;
}

static int in_bin_dir(const char *path)
{
	size_t n = s_len(P.bin);
	return n && s_prefix(path, P.bin) && path[n] == '/';
}

/* The file execvp would run for name, into out (PATH_MAX). 0, or -1 (then the real call reports). */
static int search_path(const char *name, const char *path_env, char *out)
{
	if (strchr(name, '/')) {
		size_t at = 0;
		return put(out, PATH_MAX, &at, name);
	}
	const char *p = path_env ? path_env : "/bin:/usr/bin";
	while (1) {
		const char *e = strchr(p, ':');
		size_t dl = e ? (size_t)(e - p) : s_len(p), at = 0;
		if (dl + 1 + s_len(name) < PATH_MAX) {
			if (dl) {
				memcpy(out, p, dl);
				at = dl;
				out[at++] = '/';
			}
			out[at] = '\0';
			put(out, PATH_MAX, &at, name);
			if (access(out, X_OK) == 0)
				return 0;
		}
		if (!e)
			return -1;
		p = e + 1;
	}
}

/* path made absolute with the current directory, into out (PATH_MAX). */
static int absolute(const char *path, char *out)
{
	size_t at = 0;
	while (path[0] == '.' && path[1] == '/')
		path += 2;	/* "./x" -> "x" */
	if (path[0] != '/') {
		if (!getcwd(out, PATH_MAX))
			return -1;
		at = s_len(out);
		if (put(out, PATH_MAX, &at, "/") < 0)
			return -1;
	}
	return put(out, PATH_MAX, &at, path);
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = s_len(name);
	for (; envp && *envp; envp++)
		if (s_prefix(*envp, name) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Space for n pointers: the stack buffer when it is big enough, else mmap (freed by vec_free). */
static char **vec_get(char **stackbuf, size_t n, size_t *mapped)
{
	*mapped = 0;
	if (n <= STACK_VEC)
		return stackbuf;
	size_t bytes = n * sizeof(char *);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*mapped = bytes;
	return p;
}

static void vec_free(char **v, size_t mapped)
{
	if (mapped)
		munmap(v, mapped);
}

/* ---- the plan for one exec -------------------------------------------------- */

struct plan {
	const char *path;	/* what to execute */
	char *const *argv;
	char *const *envp;
	/* storage */
	char exe[PATH_MAX];
	char real[PATH_MAX];
	char var_cc[PATH_MAX + 32], var_hostcc[PATH_MAX + 32], var_tool[PATH_MAX + 32];
	char *argv_stack[STACK_VEC], *envp_stack[STACK_VEC];
	char **av, **ev;
	size_t av_mapped, ev_mapped;
};

static void plan_release(struct plan *pl)
{
	if (pl->av)
		vec_free(pl->av, pl->av_mapped);
	if (pl->ev)
		vec_free(pl->ev, pl->ev_mapped);
	pl->av = pl->ev = NULL;
}

static size_t count(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/*
 * envp, minus the variables named in drop[], plus extra[] and (when envp
 * lacks LD_PRELOAD) the saved LD_PRELOAD and KSHIM_* variables.
 */
static char **build_env(struct plan *pl, char *const *envp, char *const *extra, int nextra)
{
	size_t n = count(envp);
	int restore = env_get(envp, "LD_PRELOAD") == NULL;
	char **ev = vec_get(pl->envp_stack, n + (size_t)nextra + (restore ? (size_t)P.nsaved : 0) + 1,
			    &pl->ev_mapped);
	if (!ev)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int dropped = 0;
		for (int j = 0; j < nextra && !dropped; j++) {
			const char *eq = strchr(extra[j], '=');
			size_t l = (size_t)(eq - extra[j]) + 1;
			dropped = strncmp(envp[i], extra[j], l) == 0;
		}
		if (!dropped)
			ev[k++] = envp[i];
	}
	for (int j = 0; j < nextra; j++)
		ev[k++] = extra[j];
	for (int j = 0; restore && j < P.nsaved; j++) {
		/* a saved variable the child's environment does not set */
		size_t l = (size_t)(strchr(P.saved_v[j], '=') - P.saved_v[j]);
		int have = 0;
		for (size_t i = 0; i < k && !have; i++)
			have = strncmp(ev[i], P.saved_v[j], l + 1) == 0;
		if (!have)
			ev[k++] = P.saved_v[j];
	}
	ev[k] = NULL;
	pl->ev = ev;
	return ev;
}

/* argv with `head` in front of argv[0] (kept: kshim-exec needs the program's own argv[0]). */
static char **build_argv(struct plan *pl, const char *head, char *const *argv, int keep0)
{
	size_t n = count(argv);
	char **av = vec_get(pl->argv_stack, n + 2, &pl->av_mapped);
	if (!av)
		return NULL;
	size_t k = 0;
	av[k++] = (char *)head;
	for (size_t i = keep0 ? 0 : 1; i < n; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	pl->av = av;
	return av;
}

static void note_uninterceptable(const char *path, const char *why);

/* Is path an ELF file this library cannot be loaded into (static, or the other class)? One pread. */
static const char *uninterceptable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	union {
		Elf64_Ehdr e64;
		unsigned char b[1024];
	} h;
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(h.b, ELFMAG, SELFMAG) != 0)
		return NULL;	/* a script or something else: its interpreter decides */
	if (h.b[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
		return "an ELF file of the other class (LD_PRELOAD cannot load this library into it)";
	if (sizeof(void *) != 8 || n < (ssize_t)sizeof(Elf64_Ehdr))
		return NULL;
	/* no PT_INTERP: statically linked (program headers normally follow the ELF header) */
	for (unsigned i = 0; i < h.e64.e_phnum; i++) {
		uint64_t off = h.e64.e_phoff + (uint64_t)i * h.e64.e_phentsize;
		if (h.e64.e_phentsize < sizeof(Elf64_Phdr) || off + sizeof(Elf64_Phdr) > (uint64_t)n)
			return NULL;	/* cannot tell from the first KB: say nothing */
		Elf64_Phdr ph;
		memcpy(&ph, h.b + off, sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return NULL;
	}
	return h.e64.e_type == ET_EXEC || h.e64.e_type == ET_DYN ? "statically linked (LD_PRELOAD cannot reach it)" : NULL;
}

/*
 * A static program would hide every tool it runs: say so, once per build and
 * program. Each process checks a program once (make runs /bin/sh thousands
 * of times): a small table of name hashes, a benign cache even when a vfork
 * child writes it.
 */
static uint32_t checked[64];
static unsigned nchecked;

/* 1 when file needs no check (no log, kshim's own, or checked before); else 0 with its hash in *h */
static int static_checked(const char *file, uint32_t *h)
{
	if (!P.log_dir[0] || in_bin_dir(file))
		return 1;
	*h = 2166136261u;	/* FNV-1a */
	for (const char *c = file; *c; c++)
		*h = (*h ^ (unsigned char)*c) * 16777619u;
	*h |= 1;
	for (unsigned i = 0; i < nchecked && i < 64; i++)
		if (checked[i] == *h)
			return 1;
	return 0;
}

static void check_static(struct plan *pl, const char *file, int search)
{
	uint32_t h;
	if (static_checked(file, &h))
		return;
	checked[nchecked++ % 64] = h;
	const char *path = file;
	if (search) {
		if (search_path(file, env_get(environ, "PATH"), pl->real) < 0)
			return;
		path = pl->real;
	}
	const char *why = uninterceptable(path);
	if (why)
		note_uninterceptable(path, why);
}

/*
 * Decide what exec(path or file, argv, envp) becomes. Returns 0 with
 * pl->path/argv/envp set (maybe unchanged), or -1 with errno (no memory
 * for the arrays: the caller gets the error, nothing runs unrecorded).
 */
static int plan(struct plan *pl, const char *file, int search, char *const *argv, char *const *envp)
{
	pl->path = file;
	pl->argv = argv;
	pl->envp = envp;
	pl->av = pl->ev = NULL;
	if (!P.active)
		return 0;
	if (P.inside_tool) {
		if (env_get(envp, "LD_PRELOAD"))
			return 0;
		if (!build_env(pl, envp, NULL, 0))
			return -1;
		pl->envp = pl->ev;
		return 0;
	}
	const char *role = tool_role(file);
	int routed = role && !in_bin_dir(file);
	int all = !role && exec_recorded(file) && !in_bin_dir(file);
	if (!routed && !all) {
		check_static(pl, file, search);
		if (env_get(envp, "LD_PRELOAD"))
			return 0;
		/* env -i and the like: put LD_PRELOAD and KSHIM_* back */
		if (!build_env(pl, envp, NULL, 0))
			return -1;
		pl->envp = pl->ev;
		return 0;
	}
	/* the file that would run */
	if (search ? search_path(file, env_get(environ, "PATH"), pl->real) < 0 : absolute(file, pl->real) < 0)
		return 0;	/* not found: the real call says so */
	if (search && pl->real[0] != '/') {
		char tmp[PATH_MAX];
		memcpy(tmp, pl->real, sizeof(tmp));
		if (absolute(tmp, pl->real) < 0)
			return 0;
	}
	if (access(pl->real, X_OK) < 0)
		return 0;
	size_t at = 0;
	if (all) {
		const char *why = uninterceptable(pl->real);
		if (why)
			note_uninterceptable(pl->real, why);
	}
	char *extra[3];
	int nextra = 0;
	if (routed) {
		if (put(pl->exe, sizeof(pl->exe), &at, P.bin) < 0 || put(pl->exe, sizeof(pl->exe), &at, "/kshim") < 0)
			return 0;
		if (strcmp(role, "cc") != 0 && (put(pl->exe, sizeof(pl->exe), &at, "-") < 0 ||
						put(pl->exe, sizeof(pl->exe), &at, role) < 0))
			return 0;
		/* run exactly the binary the caller named */
		size_t a = 0;
		if (strcmp(role, "cc") == 0) {
			put(pl->var_cc, sizeof(pl->var_cc), &a, "KSHIM_CC=");
			put(pl->var_cc, sizeof(pl->var_cc), &a, pl->real);
			a = 0;
			put(pl->var_hostcc, sizeof(pl->var_hostcc), &a, "KSHIM_HOSTCC=");
			put(pl->var_hostcc, sizeof(pl->var_hostcc), &a, pl->real);
			extra[nextra++] = pl->var_cc;
			extra[nextra++] = pl->var_hostcc;
		} else {
			put(pl->var_tool, sizeof(pl->var_tool), &a, strcmp(role, "ld") == 0 ? "KSHIM_LD=" :
				strcmp(role, "objtool") == 0 ? "KSHIM_OBJTOOL=" : "KSHIM_HOSTCC=");
			put(pl->var_tool, sizeof(pl->var_tool), &a, pl->real);
			extra[nextra++] = pl->var_tool;
		}
		if (!build_argv(pl, pl->exe, argv, 0))
			return -1;
	} else {
		if (put(pl->exe, sizeof(pl->exe), &at, P.bin) < 0 || put(pl->exe, sizeof(pl->exe), &at, "/kshim-exec") < 0)
			return 0;
		size_t a = 0;
		put(pl->var_tool, sizeof(pl->var_tool), &a, "KSHIM_EXEC=");
		if (put(pl->var_tool, sizeof(pl->var_tool), &a, pl->real) < 0)
			return 0;
		extra[nextra++] = pl->var_tool;
		if (!build_argv(pl, pl->exe, argv, 1))
			return -1;
	}
	if (access(pl->exe, X_OK) < 0) {
		/* kshim itself is gone: the build runs unrouted rather than not at all */
		plan_release(pl);
		if (!build_env(pl, envp, NULL, 0))
			return -1;
		pl->envp = pl->ev;
		return 0;
	}
	if (!build_env(pl, envp, extra, nextra)) {
		plan_release(pl);
		return -1;
	}
	pl->path = pl->exe;
	pl->argv = pl->av;
	pl->envp = pl->ev;
	return 0;
}


/* ---- the "cannot intercept" record, once per build and program -------------- */

static uint32_t crc32_bytes(uint32_t crc, const void *data, size_t n)
{
	const unsigned char *p = data;
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int put_json_str(char *dst, size_t n, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (*at + 1 >= n)
		return -1;
	dst[(*at)++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t l = 0;
		if (c == '"' || c == '\\') {
			esc[l++] = '\\';
			esc[l++] = (char)c;
		} else if (c < 0x20 || c >= 0x80) {
			/* names of programs: anything unusual is written as \u00XX (never invalid JSON) */
			esc[l++] = '\\';
			esc[l++] = 'u';
			esc[l++] = '0';
			esc[l++] = '0';
			esc[l++] = hex[c >> 4];
			esc[l++] = hex[c & 15];
		} else {
			esc[l++] = (char)c;
		}
		if (*at + l + 1 >= n)
			return -1;
		memcpy(dst + *at, esc, l);
		*at += l;
	}
	dst[(*at)++] = '"';
	dst[*at] = '\0';
	return 0;
}

static void note_uninterceptable(const char *path, const char *why)
{
	if (!P.log_dir[0])
		return;
	/* once per build and program: a marker created with O_EXCL */
	char marker[PATH_MAX];
	size_t at = 0;
	char hexcrc[9];
	uint32_t h = crc32_bytes(crc32_bytes(0, P.build, s_len(P.build)), path, s_len(path));
	for (int i = 0; i < 8; i++)
		hexcrc[i] = "0123456789abcdef"[(h >> (28 - 4 * i)) & 15];
	hexcrc[8] = '\0';
	if (put(marker, sizeof(marker), &at, P.log_dir) < 0 || put(marker, sizeof(marker), &at, "/preload-") < 0 ||
	    put(marker, sizeof(marker), &at, hexcrc) < 0)
		return;
	int m = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (m < 0)
		return;
	close(m);

	char rec[PATH_MAX + 512];
	at = 0;
	char num[32];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* epoch seconds with microseconds, by hand (no stdio after vfork) */
	long long us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	char digits[32];
	int nd = 0;
	for (long long v = us; v; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	int k = 0;
	for (int i = nd - 1; i >= 0; i--) {
		num[k++] = digits[i];
		if (i == 6)
			num[k++] = '.';
	}
	num[k] = '\0';
	if (put(rec, sizeof(rec), &at, "{\"kshim\":" LOG_SCHEMA_STR ",\"type\":\"preload\",\"event\":\"not-intercepted\",\"build\":") < 0 ||
	    put_json_str(rec, sizeof(rec), &at, P.build) < 0 || put(rec, sizeof(rec), &at, ",\"time\":") < 0 ||
	    put(rec, sizeof(rec), &at, num) < 0 || put(rec, sizeof(rec), &at, ",\"program\":") < 0 ||
	    put_json_str(rec, sizeof(rec), &at, path) < 0 || put(rec, sizeof(rec), &at, ",\"why\":") < 0 ||
	    put_json_str(rec, sizeof(rec), &at, why) < 0)
		return;
	uint32_t crc = crc32_bytes(0, rec, at);
	for (int i = 0; i < 8; i++)
		hexcrc[i] = "0123456789abcdef"[(crc >> (28 - 4 * i)) & 15];
	if (put(rec, sizeof(rec), &at, ",\"crc32\":\"") < 0 || put(rec, sizeof(rec), &at, hexcrc) < 0 ||
	    put(rec, sizeof(rec), &at, "\"}\n") < 0)
		return;
	char logf[PATH_MAX];
	size_t la = 0;
	if (put(logf, sizeof(logf), &la, P.log_dir) < 0 || put(logf, sizeof(logf), &la, "/" LOG_FILE) < 0)
		return;
	int fd = open(logf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	/* the writers' protocol (log.c): whole records under flock */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	off_t end = lseek(fd, 0, SEEK_END);
	char last = '\n';
	if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n')
		(void)!write(fd, "\n", 1);
	(void)!write(fd, rec, at);
	flock(fd, LOCK_UN);
	close(fd);
}

/* ---- setup -------------------------------------------------------------------- */

/* The value of NAME among the saved variables, or "" */
static const char *saved_get(const char *name)
{
	const char *v = env_get(P.saved_v, name);
	return v ? v : "";
}

__attribute__((constructor)) static void preload_init(void)
{
	if (getauxval(AT_SECURE))
		return;	/* setuid/setgid: nothing happens */
	/* one pass: what a child whose environment was cleared gets back, and this library's settings */
	const char *tools = "objtool:objtool cc:clang cc:clang-[0-9]* ld:ld.lld ld:ld.lld-[0-9]* ld:ld.mold ld:mold";
	size_t need = 0;
	int n = 0, have_bin = 0;
	for (char **e = environ; e && *e && n < SAVED_VARS; e++) {
		if (!s_prefix(*e, "LD_PRELOAD=") && !s_prefix(*e, "KSHIM_"))
			continue;
		have_bin |= s_prefix(*e, "KSHIM_PRELOAD_BIN=") && (*e)[18];
		need += s_len(*e) + 1;
		n++;
	}
	if (!have_bin)
		return;
	const char *t = env_get(environ, "KSHIM_PRELOAD_TOOLS");
	if (t)
		tools = t;
	need += s_len(tools) + 1;
	char *store = store_small;
	if (need > sizeof(store_small)) {
		store = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (store == MAP_FAILED)
			return;	/* inactive: the build runs unrouted rather than not at all */
	}
	size_t at = 0;
	for (char **e = environ; e && *e && P.nsaved < n; e++) {
		if (!s_prefix(*e, "LD_PRELOAD=") && !s_prefix(*e, "KSHIM_"))
			continue;
		size_t l = s_len(*e);
		memcpy(store + at, *e, l + 1);
		P.saved_v[P.nsaved++] = store + at;
		at += l + 1;
	}
	P.bin = saved_get("KSHIM_PRELOAD_BIN");
	P.log_dir = saved_get("KSHIM_DIR");
	P.build = saved_get("KSHIM_BUILD");
	/*
	 * kshim sets KSHIM_DEPTH for the tool it runs: what that tool runs is its own
	 * business (clang's -cc1/-cc1as jobs and temporary files, its ld.lld for a
	 * link, the compiler under a launcher), not a call of the build.
	 */
	P.inside_tool = atoi(saved_get("KSHIM_DEPTH")) > 0;
	const char *all = saved_get("KSHIM_ALL_EXECS");
	P.all_execs = !*all || strcmp(all, "0") == 0 ? EXECS_NONE : strcmp(all, "make") == 0 ? EXECS_MAKE : EXECS_ALL;
	/* "ROLE:GLOB ..." split in place in a copy */
	char *w = store + at;
	memcpy(w, tools, s_len(tools) + 1);
	while (*w && P.ntools < MAX_TOOLS) {
		while (*w == ' ')
			*w++ = '\0';
		if (!*w)
			break;
		char *end = w;
		while (*end && *end != ' ')
			end++;
		char *colon = memchr(w, ':', (size_t)(end - w));
		int last = !*end;
		*end = '\0';
		if (colon && colon > w && colon[1]) {
			*colon = '\0';
			P.role[P.ntools] = w;
			P.glob[P.ntools] = colon + 1;
			P.ntools++;
		}
		if (last)
			break;
		w = end + 1;
	}
	P.active = 1;
}

/* A dynamically linked kshim calls this: its own execs are never routed (env restoring stays). */
EXPORT void kshim_preload_passthrough(void);
EXPORT void kshim_preload_passthrough(void)
{
	P.ntools = 0;
	P.all_execs = EXECS_NONE;
}

/* ---- the interposed functions ------------------------------------------------- */

typedef int (*exec_fn)(const char *, char *const[], char *const[]);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			char *const[], char *const[]);

static int exec_planned(exec_fn real, const char *file, int search, char *const argv[], char *const envp[])
{
	struct plan pl;
	if (plan(&pl, file, search, argv, envp) < 0)
		return -1;
	/* routed: pl.path is absolute, so execvpe runs it as is */
	int ret = real(pl.path, pl.argv, pl.envp);
	int saved = errno;
	plan_release(&pl);
	errno = saved;
	return ret;
}

/* 1 when plan() would leave exec(file, argv, envp) as it is, without needing its storage */
static int plan_is_identity(const char *file, char *const *envp)
{
	if (!P.active)
		return 1;
	if (P.inside_tool)
		return env_get(envp, "LD_PRELOAD") != NULL;
	uint32_t h;
	return !tool_role(file) && !exec_recorded(file) && static_checked(file, &h) && env_get(envp, "LD_PRELOAD");
}

/*
 * posix_spawn runs in the parent: the plan (~40 KB) goes to mmap, not to a
 * possibly small thread stack; a spawn that stays as it is (the common case)
 * needs no plan at all.
 */
static int spawn_planned(spawn_fn real, pid_t *pid, const char *file, int search, const posix_spawn_file_actions_t *fa,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (plan_is_identity(file, envp))
		return real(pid, file, fa, attr, argv, envp);
	struct plan *pl = mmap(NULL, sizeof(*pl), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pl == MAP_FAILED)
		return ENOMEM;
	int ret = plan(pl, file, search, argv, envp) < 0 ? errno : real(pid, pl->path, fa, attr, pl->argv, pl->envp);
	plan_release(pl);
	munmap(pl, sizeof(*pl));
	return ret;
}

static int searched(const char *file)
{
	return *file && !strchr(file, '/');
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	static exec_fn real;
	if (!real)
		real = (exec_fn)dlsym(RTLD_NEXT, "execve");
	return exec_planned(real, path, 0, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	static exec_fn real;
	if (!real)
		real = (exec_fn)dlsym(RTLD_NEXT, "execvpe");
	return exec_planned(real, file, searched(file), argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/*
 * execl*: the variadic arguments gathered into an array (stack, or mmap beyond
 * STACK_VEC), as glibc does; with_envp: execle's environment follows the NULL.
 */
static int exec_list(const char *file, int search, const char *arg, va_list ap, int with_envp)
{
	char *buf[STACK_VEC];
	size_t n = 1, mapped;
	va_list cp;
	va_copy(cp, ap);
	while (va_arg(cp, char *))
		n++;
	va_end(cp);
	char **argv = vec_get(buf, n + 1, &mapped);
	if (!argv) {
		errno = ENOMEM;
		return -1;
	}
	argv[0] = (char *)arg;
	for (size_t i = 1; i <= n; i++)
		argv[i] = va_arg(ap, char *);	/* argv[n] is the terminating NULL */
	char *const *envp = with_envp ? va_arg(ap, char *const *) : environ;
	int ret = search ? execvpe(file, argv, envp) : execve(file, argv, envp);
	int saved = errno;
	vec_free(argv, mapped);
	errno = saved;
	return ret;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = exec_list(path, 0, arg, ap, 0);
	va_end(ap);
	return ret;
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = exec_list(file, 1, arg, ap, 0);
	va_end(ap);
	return ret;
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = exec_list(path, 0, arg, ap, 1);
	va_end(ap);
	return ret;
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	static spawn_fn real;
	if (!real)
		real = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
	return spawn_planned(real, pid, path, 0, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	static spawn_fn real;
	if (!real)
		real = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawnp");
	return spawn_planned(real, pid, file, searched(file), fa, attr, argv, envp);
}

/* fexecve / execveat: the program is named by a descriptor; its name comes from /proc. */
static const char *fd_path(int dirfd, const char *path, int flags, char *out)
{
	if (path && *path && !(flags & AT_EMPTY_PATH)) {
		if (path[0] == '/' || dirfd == AT_FDCWD)
			return path;
	}
	char link[64] = "/proc/self/fd/";
	size_t at = s_len(link);
	char digits[16];
	int nd = 0, v = dirfd;
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10) && nd < 15);
	while (nd)
		link[at++] = digits[--nd];
	link[at] = '\0';
	ssize_t n = readlink(link, out, PATH_MAX - 1);
	if (n <= 0)
		return NULL;
	out[n] = '\0';
	if (path && *path && !(flags & AT_EMPTY_PATH)) {
		size_t a = (size_t)n;
		if (put(out, PATH_MAX, &a, "/") < 0 || put(out, PATH_MAX, &a, path) < 0)
			return NULL;
	}
	return out;
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	static __typeof__(&execveat) real;
	if (!real)
		real = (__typeof__(&execveat))dlsym(RTLD_NEXT, "execveat");
	char name[PATH_MAX];
	const char *p = fd_path(dirfd, path, flags, name);
	struct plan pl;
	if (p && P.active && (tool_role(p) || exec_recorded(p)) && access(p, X_OK) == 0) {
		/* a known program: run it by name, through kshim */
		if (plan(&pl, p, 0, argv, envp) < 0)
			return -1;
		if (pl.path != p) {
			int ret = execve(pl.path, pl.argv, pl.envp);
			int saved = errno;
			plan_release(&pl);
			errno = saved;
			return ret;
		}
		plan_release(&pl);
	}
	/* not routed: only the environment may change */
	pl.av = pl.ev = NULL;
	pl.argv = argv;
	pl.envp = envp;
	if (P.active && !env_get(envp, "LD_PRELOAD")) {
		if (!build_env(&pl, envp, NULL, 0))
			return -1;
		pl.envp = pl.ev;
	}
	int ret = real(dirfd, path, pl.argv, pl.envp, flags);
	int saved = errno;
	plan_release(&pl);
	errno = saved;
	return ret;
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return execveat(fd, "", argv, envp, AT_EMPTY_PATH);
}
