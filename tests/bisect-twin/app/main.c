#include <stdio.h>
#include "twin.h"

int main(void)
{
	union { uint32_t w; uint16_t h[2]; } u;
	int v[8] = { 5, 3, 7, 1, 8, 2, 6, 4 };
	unsigned char data[4] = { 1, 2, 3, 4 };
	int ok = core_sched(10) == 45 && core_timer(4) == 24 && core_irq(3) == 9 && lib_sort(v, 8) == 1 &&
		 lib_crc(data, 4) != 0 && lib_list(5) == 15;
	uint32_t w = lib_words(&u.w, &u.h[0]);	/* the low half of the word, on little-endian */
	if (w != 2) {
		printf("FAIL: lib_words: a store through the u16 view was lost (got %u)\n", w);
		return 1;
	}
	if (core_timer_valid(__builtin_nan(""))) {
		printf("FAIL: core_timer_valid: a NaN reading was taken as valid\n");
		return 1;
	}
	printf(ok ? "twin: ok\n" : "FAIL: arithmetic\n");
	return !ok;
}
