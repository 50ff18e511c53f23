/* Helpers shared by the cmocka unit tests. */
#ifndef KSHIM_TESTS_UNIT_H
#define KSHIM_TESTS_UNIT_H

#include "argmodel.h"

/* The arg of cl that starts at argv element `index`, or NULL. */
static inline const struct arg *arg_at(const struct cmdline *cl, size_t index)
{
	for (size_t i = 0; i < cl->nr; i++)
		if (cl->args[i].index == index)
			return &cl->args[i];
	return NULL;
}

#endif
