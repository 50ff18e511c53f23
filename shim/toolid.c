#include "toolid.h"
#include "digest.h"
#include "run.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int version_parse(const char *s, int v[3])
{
	v[0] = v[1] = v[2] = 0;
	int k = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (k < 3) {
		char *end;
		long n = strtol(s, &end, 10);
		if (end == s || n < 0 || n > 1000000)
			return -1;
		v[k++] = (int)n;
		if (*end != '.')
			return *end ? -1 : 0;
		s = end + 1;
	}
	return -1;	/* more than three components */
}

int version_from_output(const char *out, int v[3])
{
	size_t line = strcspn(out, "\n");
	for (size_t i = 0; i < line; i++) {
		if (!isdigit((unsigned char)out[i]) || (i > 0 && (isalnum((unsigned char)out[i - 1]) || out[i - 1] == '.')))
			continue;
		size_t j = i;
		while (j < line && (isdigit((unsigned char)out[j]) || out[j] == '.'))
			j++;
		char buf[64];
		size_t n = j - i < sizeof(buf) - 1 ? j - i : sizeof(buf) - 1;
		memcpy(buf, out + i, n);
		buf[n] = '\0';
		while (n && buf[n - 1] == '.')
			buf[--n] = '\0';
		if (strchr(buf, '.') && version_parse(buf, v) == 0)
			return 0;
		i = j;
	}
	return -1;
}

static int cached_identity(const char *cache, const struct stat *st, const char *path, struct tool_id *id)
{
	char *text;
	if (!cache || read_file(cache, &text, NULL) < 0)
		return -1;
	long long mt = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	long long ct = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	int found = -1;
	/* the last matching line wins: kshimctl appends one with the version to kshim's without */
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		long long size, m, c;
		char hex[SHA256_HEX_LEN + 1];
		int off = 0;
		if (sscanf(line, "%lld %lld %lld %64s %n", &size, &m, &c, hex, &off) != 4 || !off)
			continue;
		char *tab = strchr(line + off, '\t');
		if (!tab || size != (long long)st->st_size || m != mt || c != ct ||
		    strncmp(line + off, path, (size_t)(tab - line - off)) != 0 || strlen(path) != (size_t)(tab - line - off) ||
		    strlen(hex) != SHA256_HEX_LEN)
			continue;
		memcpy(id->sha256, hex, sizeof(id->sha256));
		free(id->version);
		id->version = tab[1] ? xstrdup(tab + 1) : NULL;
		found = 0;
	}
	free(text);
	return found;
}

int tool_identity(const char *path, struct tool_id *id, int ask_version)
{
	struct stat st;
	memset(id, 0, sizeof(*id));
	if (stat(path, &st) < 0)
		return -1;
	char *cache = user_cache_path("kshim/toolids");
	int cached = cached_identity(cache, &st, path, id) == 0;
	if (cached && (id->version || !ask_version)) {
		free(cache);
		return 0;
	}
	if (!cached && sha256_file_hex(path, id->sha256) < 0) {
		free(cache);
		return -1;
	}
	if (ask_version) {
		char out[4096];
		char *argv[] = { (char *)path, "--version", NULL };
		if (run_capture(argv, out, sizeof(out)) >= 0) {
			out[strcspn(out, "\r\n")] = '\0';
			if (out[0])
				id->version = xstrdup(out);
		}
		if (!id->version && cached) {
			free(cache);
			return 0;	/* nothing new to remember */
		}
	}
	if (cache && !strchr(path, '\n') && !strchr(path, '\t')) {
		char *dir = xstrdup(cache);
		*strrchr(dir, '/') = '\0';
		mkdir_p(dir, 0755);
		free(dir);
		int fd = open(cache, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			char *line = xasprintf("%lld %lld %lld %s %s\t%s\n", (long long)st.st_size,
					       (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
					       (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec, id->sha256,
					       path, id->version ? id->version : "");
			(void)write_all(fd, line, strlen(line));	/* one write: lines of concurrent writers do not mix */
			free(line);
			close(fd);
		}
	}
	free(cache);
	return 0;
}

void tool_id_release(struct tool_id *id)
{
	free(id->version);
	id->version = NULL;
}

int tool_version(const char *path, int v[3])
{
	struct tool_id id;
	if (tool_identity(path, &id, 1) < 0)
		return -1;
	int ret = id.version ? version_from_output(id.version, v) : -1;
	tool_id_release(&id);
	return ret;
}
