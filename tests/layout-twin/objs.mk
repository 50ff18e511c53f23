# The descent: objects and the thin archive, nothing to do after the first build.
vm.a: head.o hooks.o end.o main.o
	rm -f $@; ar cDPrST $@ $^
%.o: %.c
	$(CC) -O1 -c -o $@ $<
