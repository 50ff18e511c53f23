/* lib.a: loaded because lib1.o wants it. */
int twin_lib2(int x) { return x * 2; }
