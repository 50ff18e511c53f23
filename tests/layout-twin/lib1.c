/* lib.a: an archive member loaded because main wants it, and loading lib2.o in turn. */
int twin_lib2(int x);
int twin_lib1(int x) { return twin_lib2(x) + 1; }
