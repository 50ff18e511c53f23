/*
 * strvec: a growable argv array.
 *
 * Invariants: v[] is never NULL and always NULL-terminated (v[nr] == NULL),
 * so it can be handed to execv()/posix_spawn() as it is. Every string is owned
 * by the strvec: push() copies, push_nodup() takes ownership.
 */
#ifndef KSHIM_STRVEC_H
#define KSHIM_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;
	size_t nr;
	size_t alloc;
};

#define STRVEC_INIT { strvec_empty_array, 0, 0 }
extern char *strvec_empty_array[];

void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_pushv(struct strvec *sv, char *const *v);
/* Insert a copy of s so that it becomes sv->v[pos]. */
void strvec_insert(struct strvec *sv, size_t pos, const char *s);
/* Remove n entries starting at pos, freeing them. */
void strvec_remove(struct strvec *sv, size_t pos, size_t n);
void strvec_replace(struct strvec *sv, size_t pos, const char *s);
void strvec_clear(struct strvec *sv);
/* Move src's strings to the end of dst (no copies); src is left empty. */
void strvec_move(struct strvec *dst, struct strvec *src);
int strvec_equal(const struct strvec *a, const struct strvec *b);

#endif
