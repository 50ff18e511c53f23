#include "twin.h"
/* Stores 1 in the word, then 2 in its low half: reads back 2 unless the compiler may assume that a u16 store cannot change a u32 (strict aliasing). */
__attribute__((noinline)) uint32_t lib_words(uint32_t *word, uint16_t *half)
{
	*word = 1;
	*half = 2;
	return *word;
}
