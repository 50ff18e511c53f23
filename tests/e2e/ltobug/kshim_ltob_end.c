// SPDX-License-Identifier: GPL-2.0
/* kshim e2e test code: the end marker of kshim_ltob_region (see kshim_ltob_begin.c). */
#include <linux/compiler.h>

void kshim_ltob_end(void);

noinline void kshim_ltob_end(void)
{
	barrier();
}
