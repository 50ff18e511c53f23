/*
 * The fake tool of the load test (tests/reliability/load): exits 0 at once.
 * No libc, no dynamic loader: 0.4 ms a call from sh on the CI machine,
 * against 1.5 ms for /bin/true (ld.so and libc mapped at every exec) and
 * 1.0 ms for a static glibc program. The test measures kshim's log, not
 * the loader.
 */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n\tmov $60, %eax\n\txor %edi, %edi\n\tsyscall\n");
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n\tmov x8, #93\n\tmov x0, #0\n\tsvc #0\n");
#else
#error "tests/helpers/noop.c: no _start for this architecture yet (exit(0) as a raw system call)"
#endif
