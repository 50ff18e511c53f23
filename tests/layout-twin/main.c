#include <stdio.h>

typedef void (*hook_t)(void);
extern hook_t twin_hooks[];
extern int twin_hooks_end, twin_calls;
int twin_lib1(int x);

/* a call the compiler does not see: only the assembler does */
__attribute__((noinline)) static void call_asm(void)
{
	__asm__ volatile("call twin_asm_fn" ::: "memory");
}

int main(void)
{
	for (hook_t *h = twin_hooks; (char *)h < (char *)&twin_hooks_end; h++)
		(*h)();
	call_asm();
	printf("hooks ran, total %d\n", twin_calls);
	return twin_calls == 111 && twin_lib1(3) == 7 ? 0 : 1;
}
