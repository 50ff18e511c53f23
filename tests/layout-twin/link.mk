# The link: vm.o from the whole archive, then the program.
prog: vm.o
	$(CC) -fuse-ld=lld -o $@ vm.o
vm.o: vm.a
	$(LD) -r -o $@ --whole-archive vm.a --no-whole-archive
