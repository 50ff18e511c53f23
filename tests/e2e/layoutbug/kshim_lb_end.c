// SPDX-License-Identifier: GPL-2.0
/* kshim e2e test code: the end marker of kshim_lb_hooks (see kshim_lb_hooks.c). */
int kshim_lb_end = 1;
