#include "twin.h"
uint32_t lib_crc(const unsigned char *p, int n)
{
	uint32_t c = ~0u;
	for (int i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}
