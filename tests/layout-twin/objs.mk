# The descent: objects and the thin archives, nothing to do after the first build.
# TWIN_CFLAGS=-flto=thin (or -flto=full) makes the C objects LLVM bitcode, as
# CONFIG_LTO_CLANG does the kernel's.
all: vm.a lib.a
vm.a: head.o hooks.o end.o main.o
	rm -f $@; ar cDPrST $@ $^
lib.a: lib1.o lib2.o asm.o
	rm -f $@; ar cDPrST $@ $^
%.o: %.c
	$(CC) -O1 $(TWIN_CFLAGS) -c -o $@ $<
%.o: %.S
	$(CC) -c -o $@ $<
