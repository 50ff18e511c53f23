#include "twin.h"
int core_timer(int n) { int p = 1; for (int i = 2; i <= n; i++) p *= i; return p; }
/* A reading is valid unless it is NaN: x == x, which -ffinite-math-only (part of -ffast-math) lets the compiler fold to 1. */
__attribute__((noinline)) int core_timer_valid(double x) { return x == x; }
