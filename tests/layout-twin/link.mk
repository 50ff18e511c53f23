# The link: vm.o from the whole archive and what it needs of lib.a, then the program.
prog: vm.o
	$(CC) -fuse-ld=lld -o $@ vm.o
vm.o: vm.a lib.a
	$(LD) -r -o $@ $(TWIN_LDFLAGS) --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group
