#include <stdio.h>

typedef void (*hook_t)(void);
extern hook_t twin_hooks[];
extern int twin_hooks_end, twin_calls;

int main(void)
{
	for (hook_t *h = twin_hooks; (char *)h < (char *)&twin_hooks_end; h++)
		(*h)();
	printf("hooks ran, total %d\n", twin_calls);
	return twin_calls == 111 ? 0 : 1;
}
