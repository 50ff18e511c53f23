#include <stdint.h>
int core_sched(int n);
int core_timer(int n);
int core_timer_valid(double x);
int core_irq(int n);
int lib_sort(int *v, int n);
uint32_t lib_words(uint32_t *word, uint16_t *half);
uint32_t lib_crc(const unsigned char *p, int n);
int lib_list(int n);
