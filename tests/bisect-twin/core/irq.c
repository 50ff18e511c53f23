#include "twin.h"
int core_irq(int n) { return n * n; }
