#include "build.h"
#include "names.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int proc_stat_read(pid_t pid, struct proc_stat *ps)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ppid ..." where comm may hold spaces and parentheses */
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp)
		return -1;
	size_t cl = (size_t)(rp - lp - 1);
	if (cl >= sizeof(ps->comm))
		cl = sizeof(ps->comm) - 1;
	memcpy(ps->comm, lp + 1, cl);
	ps->comm[cl] = '\0';
	ps->pid = pid;
	/* fields after ')': 3 state, 4 ppid, ... 22 starttime */
	char *p = rp + 2;
	int field = 3;
	ps->ppid = 0;
	ps->start = 0;
	while (*p && field <= 22) {
		if (field == 4)
			ps->ppid = (pid_t)strtol(p, NULL, 10);
		if (field == 22)
			ps->start = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
		field++;
	}
	return 0;
}

static int is_make(const char *comm)
{
	return strcmp(comm, "make") == 0 || strcmp(comm, "gmake") == 0;
}

/* The value of NAME=VALUE among the NUL-separated words of /proc/PID/FILE (the last one), or NULL. */
static char *proc_word(pid_t pid, const char *file, const char *name)
{
	char path[64], *buf, *ret = NULL;
	size_t len, n = strlen(name);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (read_file(path, &buf, &len) < 0)
		return NULL;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		if (strncmp(buf + i, name, n) == 0 && buf[i + n] == '=' && buf[i + n + 1]) {
			free(ret);
			ret = xstrdup(buf + i + n + 1);
		}
	}
	free(buf);
	return ret;
}

/*
 * Where a top-level make of kbuild puts its outputs, relative to its working
 * directory: M= (an external module's directory: its objects go there), else
 * O=, else KBUILD_OUTPUT from its environment (kbuild's documented
 * alternative to O=), else NULL (the working directory itself).
 */
static char *make_objdir(pid_t pid)
{
	char *d = proc_word(pid, "cmdline", "M");
	if (!d)
		d = proc_word(pid, "cmdline", "O");
	if (!d)
		d = proc_word(pid, "environ", "KBUILD_OUTPUT");
	return d;
}

static char *proc_cwd(pid_t pid)
{
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

void build_discover(struct build_info *bi, const char *log_dir_cfg)
{
	const char *env_id = getenv("KSHIM_BUILD");
	memset(bi, 0, sizeof(*bi));

	/*
	 * make exports MAKELEVEL to recipes: 1 under a top-level make, n+1 under
	 * a sub-make of depth n. So the top-level make of this build is the
	 * MAKELEVEL-th make among our ancestors, counting from the nearest. A
	 * make started by hand inside another make's recipe with MAKELEVEL unset
	 * is a new top-level make, exactly as make itself sees it.
	 */
	struct proc_stat top = { 0 }, parent = { 0 };
	int have_make = 0;
	const char *ml = getenv("MAKELEVEL");
	int levels = ml && *ml ? atoi(ml) : 0;
	int need_walk = !(env_id && *env_id) || !log_dir_cfg;
	if (need_walk) {
		pid_t pid = getppid();
		for (int depth = 0; pid > 1 && depth < 64; depth++) {
			struct proc_stat ps;
			if (proc_stat_read(pid, &ps) < 0)
				break;
			if (depth == 0)
				parent = ps;
			if (levels <= 0)
				break;
			if (is_make(ps.comm)) {
				top = ps;
				have_make = 1;
				if (--levels == 0)
					break;
			}
			pid = ps.ppid;
		}
	}

	if (env_id && *env_id)
		bi->id = xstrdup(env_id);
	else if (have_make)
		bi->id = xasprintf("make-%d-%llu", (int)top.pid, top.start);
	else
		bi->id = xasprintf("proc-%d-%llu", (int)parent.pid, parent.start);

	char *cwd = have_make ? proc_cwd(top.pid) : NULL;
	if (cwd) {
		char *o = make_objdir(top.pid);
		bi->build_dir = o ? path_join(cwd, o) : xstrdup(cwd);
		free(o);
		free(cwd);
	} else {
		char buf[PATH_MAX];
		bi->build_dir = xstrdup(getcwd(buf, sizeof(buf)) ? buf : ".");
	}
	/* the build directory is known even when the log is elsewhere: argv digests are relative to it */
	bi->log_dir = log_dir_cfg ? xstrdup(log_dir_cfg) : path_join(bi->build_dir, KSHIM_LOG_DIRNAME);
}

void build_info_release(struct build_info *bi)
{
	free(bi->id);
	free(bi->build_dir);
	free(bi->log_dir);
	memset(bi, 0, sizeof(*bi));
}
