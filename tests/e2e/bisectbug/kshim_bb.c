// SPDX-License-Identifier: GPL-2.0
/*
 * kshim e2e test code: a flag-dependent bug, on purpose.
 *
 * kshim_bb_store() writes a 32-bit word, then its low half through a u16
 * pointer, and reads the word back. The kernel builds with
 * -fno-strict-aliasing, so the compiler must assume that the u16 store may
 * change the word, and the read gives 2. With -fstrict-aliasing (type-based
 * alias analysis) clang may assume that a u16 store never changes a u32 and
 * return the 1 it stored: the check below panics the boot. The kernel has
 * plenty of such type punning; this is why it passes -fno-strict-aliasing.
 *
 * A rule that adds -fstrict-aliasing (with harmless flags) to several
 * directories breaks only this object; kshimctl bisect has to say so.
 */
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/panic.h>
#include <linux/types.h>

noinline u32 kshim_bb_store(u32 *word, u16 *half);
noinline u32 kshim_bb_store(u32 *word, u16 *half)
{
	*word = 1;
	*half = 2;		/* the low half of *word on little-endian x86 */
	return *word;
}

static int __init kshim_bb_check(void)
{
	union { u32 w; u16 h[2]; } u;
	u32 got = kshim_bb_store(&u.w, &u.h[0]);

	if (got != 2)
		panic("kshim_bb: a store through a u16 view of a u32 was lost (read %u): built with -fstrict-aliasing?", got);
	return 0;
}
late_initcall(kshim_bb_check);
