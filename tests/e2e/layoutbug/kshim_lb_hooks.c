// SPDX-License-Identifier: GPL-2.0
/*
 * kshim e2e test code: a layout-dependent bug, on purpose.
 *
 * The hooks below run "until the end marker", and the end marker lives in
 * the next file (kshim_lb_end.c): the loop assumes that the linker places
 * kshim_lb_end right after kshim_lb_hooks in .data. It does for the default
 * layout, since the two objects are linked one after the other, and it stops
 * doing so when anything lands between them: the loop then calls whatever
 * lies there (zeros: a NULL pointer dereference). Real bugs of this shape
 * assume that two objects from different files end up adjacent.
 *
 * Dormant unless the kernel is booted with kshim_lb=1.
 */
#include <linux/cache.h>
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

typedef void (*kshim_lb_hook_t)(void);

extern int kshim_lb_end;	/* kshim_lb_end.c: "right after the hooks" */

static int kshim_lb_calls;
static void kshim_lb_one(void) { kshim_lb_calls += 1; }
static void kshim_lb_ten(void) { kshim_lb_calls += 10; }
static void kshim_lb_hundred(void) { kshim_lb_calls += 100; }

kshim_lb_hook_t kshim_lb_hooks[3] = { kshim_lb_one, kshim_lb_ten, kshim_lb_hundred };

static bool kshim_lb;
core_param(kshim_lb, kshim_lb, bool, 0444);

static int __init kshim_lb_run(void)
{
	kshim_lb_hook_t *h;

	if (!kshim_lb)
		return 0;
	for (h = kshim_lb_hooks; (void *)h < (void *)&kshim_lb_end; h++)
		(*h)();
	pr_info("kshim_lb: hooks ran, total %d\n", kshim_lb_calls);
	return 0;
}
late_initcall(kshim_lb_run);
