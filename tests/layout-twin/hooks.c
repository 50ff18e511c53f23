/*
 * The user-space twin of tests/e2e/layoutbug: hooks run "until the end
 * marker", which lives in the next file (end.c). The loop assumes the linker
 * puts twin_hooks_end right after twin_hooks in .data; anything between
 * them (a padding object) makes it call zeros: SIGSEGV.
 */
typedef void (*hook_t)(void);
extern int twin_calls;
static void one(void) { twin_calls += 1; }
static void ten(void) { twin_calls += 10; }
static void hundred(void) { twin_calls += 100; }
hook_t twin_hooks[3] = { one, ten, hundred };
