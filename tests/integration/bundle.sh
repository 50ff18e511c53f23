#!/bin/bash
# Reproducer bundles: kshimctl bundle OUTPUT -o FILE and bundle --check, on real
# clang-19 and ld.lld-19 calls (a compile with depfile headers, an ld -r over a
# thin archive, a host link, an in-place rewrite after the compile), and on
# bundles that are damaged or hostile.
. "$(dirname "$0")/../lib.sh"
export LLVM=-19

mktree() {
	mkdir -p src include tools
	printf '#define K 3\n' > include/k.h
	printf '#include "k.h"\n#include <stddef.h>\nsize_t f(int n) { return (size_t)n * K; }\n' > src/f.c
	printf 'int g(int n) { return n * 5; }\n' > src/g.c
	printf 'int main(void) { return 0; }\n' > tools/gen.c
	cat > Makefile <<'MK'
all: vmlinux.o tools/gen
src/%.o: src/%.c
	$(CC) -D__KERNEL__ -Iinclude -Wp,-MD,src/.$*.o.d -O2 -g -c -o $@ $<
vmlinux.o: src/f.o src/g.o
	rm -f src/built-in.a && ar cDPrST src/built-in.a $^ && $(LD) -r -o $@ --whole-archive src/built-in.a
tools/gen: tools/gen.c
	$(HOSTCC) -O2 -o $@ $<
MK
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "build"; }
}

test_bundles_reproduce_each_kind_of_call() {
	mktree
	for o in src/f.o vmlinux.o tools/gen; do
		kshimctl bundle -o b.tgz "$o" 2> err || { cat err; fail "bundle $o"; }
		kshimctl bundle --check b.tgz > out
		assert_eq "$o: check" 0 "$?"
		assert_contains "$o: identical" "$(cat out)" "identical \$B/$o"
	done
	# the thin archive's members are in the ld -r bundle
	kshimctl bundle -o v.tgz vmlinux.o 2> /dev/null
	assert_eq "members" "kshim-bundle/B/src/built-in.a kshim-bundle/B/src/f.o kshim-bundle/B/src/g.o" \
		"$(tar tzf v.tgz | grep '/B/' | tr '\n' ' ' | sed 's/ $//')"
	# headers from the depfile are packed; the compiler's own are named, not packed
	kshimctl bundle -o f.tgz src/f.o 2> /dev/null
	assert_contains "header packed" "$(tar tzf f.tgz)" "kshim-bundle/B/include/k.h"
	assert_not_contains "outside the trees: not packed" "$(tar tzf f.tgz)" "stddef.h"
	tar xzf f.tgz kshim-bundle/bundle.json
	assert_eq "outside the trees: named with a digest" "false" \
		"$(jq -r '.files | to_entries[] | select(.key | endswith("/stddef.h")) | .value.included' kshim-bundle/bundle.json)"
	kshimctl bundle --all-files -o all.tgz src/f.o 2> /dev/null
	assert_contains "--all-files packs it" "$(tar tzf all.tgz)" "stddef.h"
	# run.sh by hand gives the same object
	mkdir x && tar -C x -xzf f.tgz && sh x/kshim-bundle/run.sh
	assert_eq "run.sh" "$(sha256sum < src/f.o)" "$(sha256sum < x/kshim-bundle/B/src/f.o)"
	# the same call gives the same bytes
	kshimctl bundle -o f2.tgz src/f.o 2> /dev/null
	cmp -s f.tgz f2.tgz || fail "two bundles of one call differ"
}

test_rewrite_in_place_bundles_the_call_before() {
	mktree
	# a tool that rewrites the object in place, as objtool does (here llvm-objcopy --strip-debug)
	KSHIM_OBJTOOL=/usr/bin/llvm-objcopy-19 kshim-objtool --strip-debug src/g.o
	assert_eq "recorded as a rewrite" "rewrite" "$(kshimctl log --json --output src/g.o | tail -n 1 | jq -r .mode)"
	kshimctl bundle -o g.tgz src/g.o 2> err
	assert_contains "two steps" "$(cat err)" "then objtool rewrite"
	kshimctl bundle --check g.tgz > out
	assert_eq "check" 0 "$?"
	assert_contains "identical" "$(cat out)" "identical \$B/src/g.o"
}

test_changed_input_is_refused() {
	mktree
	printf '#define K 4\n' > include/k.h
	kshimctl bundle -o f.tgz src/f.o 2> err
	assert_eq "exit" 2 "$?"
	assert_contains "why" "$(cat err)" "include/k.h' changed since the call"
	[ ! -e f.tgz ] || fail "a bundle was written"
	assert_contains "unknown output" "$(kshimctl bundle -o x.tgz no/such.o 2>&1)" "no successful call made 'no/such.o'"
}

test_damaged_and_hostile_bundles() {
	mktree
	kshimctl bundle -o good.tgz src/f.o 2> /dev/null
	head -c 300 good.tgz > truncated.tgz
	head -c 2000 /dev/urandom > random.tgz
	: > empty.tgz
	mkdir -p evil/kshim-bundle && echo x > evil/kshim-bundle/bundle.json && echo pwned > evil/escape
	tar -C evil -czf escape.tgz kshim-bundle/bundle.json ../evil/escape 2> /dev/null ||
		tar -C evil -czf escape.tgz --transform 's,^escape,kshim-bundle/../../escape,' kshim-bundle/bundle.json escape
	ln -s /etc/passwd evil/kshim-bundle/link && tar -C evil -czf link.tgz kshim-bundle/link
	mkdir -p nojson/kshim-bundle && echo '{"kshim_bundle": 7}' > nojson/kshim-bundle/bundle.json && tar -C nojson -czf version.tgz kshim-bundle
	for b in truncated random empty escape link version; do
		kshimctl bundle --check $b.tgz > out 2> err
		rc=$?
		[ $rc -eq 2 ] || fail "$b: exit $rc: $(cat out err)"
		assert_contains "$b: named" "$(cat err)" "$b.tgz"
	done
	[ ! -e escape ] && [ ! -e ../escape ] || fail "an entry escaped the directory"
	# a packed file changed: damaged, and said which
	mkdir t && tar -C t -xzf good.tgz && echo '#define K 9' > t/kshim-bundle/B/include/k.h &&
		tar -C t -czf tampered.tgz kshim-bundle
	kshimctl bundle --check tampered.tgz > out
	assert_eq "tampered" 1 "$?"
	assert_contains "tampered: which" "$(cat out)" "damaged \$B/include/k.h"
}

run_tests
