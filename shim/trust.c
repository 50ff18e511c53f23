#include "trust.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void trust_init(struct trust *t)
{
	strvec_init(&t->digests);
	strvec_init(&t->paths);
	t->store = user_config_path("kshim/trusted");
}

void trust_release(struct trust *t)
{
	strvec_clear(&t->digests);
	strvec_clear(&t->paths);
	free(t->store);
	t->store = NULL;
}

static int is_digest(const char *s, size_t n)
{
	if (n != 7 + SHA256_HEX_LEN || strncmp(s, "sha256:", 7) != 0)
		return 0;
	return strspn(s + 7, "0123456789abcdef") == SHA256_HEX_LEN;
}

int trust_load(struct trust *t)
{
	if (!t->store)
		return 0;	/* no HOME: nothing can be trusted */
	int fd = open(t->store, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return error("cannot read trust store '%s': %s", t->store, strerror(errno));
	}
	const char *why;
	char *buf;
	size_t len;
	if (file_is_safe(fd, &why) < 0) {
		close(fd);
		return error("%s: refusing to read: file %s", t->store, why);
	}
	if (read_fd(fd, &buf, &len) < 0) {
		int saved = errno;
		close(fd);
		return error("cannot read trust store '%s': %s", t->store, strerror(saved));
	}
	close(fd);
	int ret = 0, lineno = 0;
	for (char *line = buf, *next; line < buf + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		next = nl ? nl + 1 : buf + len;
		if (nl)
			*nl = '\0';
		lineno++;
		if (*line == '#' || *line == '\0')
			continue;
		char *sp = strchr(line, ' ');
		char *p = sp ? sp + strspn(sp, " ") : NULL;
		if (!sp || !is_digest(line, (size_t)(sp - line)) || *p != '/') {
			ret = error("%s:%d: malformed entry (expected 'sha256:<64 hex>  /absolute/path')", t->store,
				    lineno);
			continue;
		}
		*sp = '\0';
		strvec_push(&t->digests, line);
		strvec_push(&t->paths, p);
	}
	free(buf);
	return ret;
}

static long find(const struct trust *t, const char *path)
{
	for (size_t i = 0; i < t->paths.nr; i++)
		if (strcmp(t->paths.v[i], path) == 0)
			return (long)i;
	return -1;
}

int trust_has(const struct trust *t, const char *path, const char *digest)
{
	long i = find(t, path);
	return i >= 0 && strcmp(t->digests.v[i], digest) == 0;
}

void trust_set(struct trust *t, const char *path, const char *digest)
{
	long i = find(t, path);
	if (i >= 0) {
		strvec_remove(&t->digests, (size_t)i, 1);
		strvec_remove(&t->paths, (size_t)i, 1);
	}
	if (digest) {
		strvec_push(&t->digests, digest);
		strvec_push(&t->paths, path);
	}
}

int trust_save(const struct trust *t)
{
	if (!t->store)
		return error("no HOME or XDG_CONFIG_HOME: nowhere to keep the trust store");
	char *dir = xstrdup(t->store);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0700) < 0) {
		error("cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	char *tmp = xasprintf("%s.XXXXXX", t->store);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		error("cannot write trust store '%s': %s", t->store, strerror(errno));
		free(tmp);
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return error("cannot write trust store: %s", strerror(errno));
	}
	fputs("# kshim trust store: project-local rule files vetted with `kshimctl trust`.\n"
	      "# A file is used only while its SHA-256 matches. See kshim-rules(5).\n", f);
	for (size_t i = 0; i < t->paths.nr; i++)
		fprintf(f, "%s  %s\n", t->digests.v[i], t->paths.v[i]);
	int ret = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		ret = error("cannot write trust store '%s': %s", tmp, strerror(errno));
	if (fclose(f) != 0 && ret == 0)
		ret = error("cannot write trust store '%s': %s", tmp, strerror(errno));
	if (ret == 0 && rename(tmp, t->store) < 0)
		ret = error("cannot replace trust store '%s': %s", t->store, strerror(errno));
	if (ret < 0)
		unlink(tmp);
	free(tmp);
	return ret;
}
