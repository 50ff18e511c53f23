// SPDX-License-Identifier: GPL-2.0
/*
 * kshim e2e test code: a layout-dependent bug that exists only in LTO
 * kernels (built under CONFIG_LTO_CLANG), on purpose.
 *
 * kshim_ltob_region() is meant to be a small block of code, copied from its
 * start to "the end marker" as trampolines are: kshim_ltob_end() in the
 * next file (kshim_ltob_end.c). Under LTO every function has a section of
 * its own, and the region is what the linker put between the two: the
 * native code of this object, nothing else, in the default layout. A seed
 * that pads between the native code of the two objects makes the region
 * larger than the buffer it is copied to, and the kernel panics.
 *
 * Dormant unless the kernel is booted with kshim_ltob=1.
 */
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/printk.h>
#include <linux/string.h>

void kshim_ltob_region(void);
void kshim_ltob_end(void);

noinline void kshim_ltob_region(void)
{
	barrier();
}

static bool kshim_ltob;
core_param(kshim_ltob, kshim_ltob, bool, 0444);

static int __init kshim_ltob_run(void)
{
	unsigned long len = (unsigned long)kshim_ltob_end - (unsigned long)kshim_ltob_region;

	if (!kshim_ltob)
		return 0;
	if (len > 64)
		panic("kshim_ltob: the region is %lu bytes, more than the 64 it is copied into\n", len);
	pr_info("kshim_ltob: region of %lu bytes\n", len);
	return 0;
}
late_initcall(kshim_ltob_run);
