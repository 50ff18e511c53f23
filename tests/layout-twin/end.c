/* The end marker of twin_hooks: "right after the hooks" (see hooks.c). */
int twin_hooks_end = 1;
int twin_calls;
