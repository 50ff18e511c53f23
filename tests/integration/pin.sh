#!/bin/bash
# Pins (save, check, live warn/error/enforce) and drift detection: a small
# kbuild-shaped tree built with real clang-19, ld.lld-19, mold and gcc through
# kshimctl make; each drift from a clean build A is named by `kshimctl diff`
# and by `kshimctl pin check`, and clean rebuilds show none.
. "$(dirname "$0")/../lib.sh"
export LLVM=-19

# src/*.o with kbuild's depfiles and per-object flags; vmlinux.o by ld -r; a host tool
mktree() {
	mkdir -p src include tools
	printf '#define K 3\n' > include/k.h
	printf '#include "k.h"\nint f(int n) { int s = 0; for (int i = 0; i < n; i++) s += i * K; return s; }\n' > src/f.c
	printf 'int g(int n) { return n * 5; }\n' > src/g.c
	printf '#ifndef X\n#define X 1\n#endif\nint h(int n) { return n - X; }\n' > src/h.c
	printf 'int main(void) { return 0; }\n' > tools/gen.c
	cat > Makefile <<'MK'
all: vmlinux.o tools/gen
src/%.o: src/%.c
	$(CC) -D__KERNEL__ -Iinclude -Wp,-MMD,src/.$*.o.d -O2 $(KCFLAGS) $(CFLAGS_$(notdir $@)) -c -o $@ $<
vmlinux.o: src/f.o src/g.o src/h.o
	$(LD) -r -o $@ $^
tools/gen: tools/gen.c
	$(HOSTCC) -O2 -o $@ $<
clean:
	rm -f src/*.o src/.*.d vmlinux.o tools/gen
MK
}

build() {
	make -s clean
	kshimctl make -- -s "$@" > build.out 2>&1 || { cat build.out; fail "build $*"; }
}

test_pin_roundtrip_and_format() {
	mktree
	build
	kshimctl pin save -o pin.txt
	assert_eq "save" 0 "$?"
	assert_eq "header" "kshim-pin 1" "$(grep -v '^#' pin.txt | head -n 1)"
	assert_eq "blocks" 5 "$(grep -c '^output ' pin.txt)"
	assert_eq "sorted" "$(grep '^output ' pin.txt | LC_ALL=C sort)" "$(grep '^output ' pin.txt)"
	assert_contains "one argument per line" "$(cat pin.txt)" "	arg -Wp,-MMD,src/.f.o.d"
	assert_contains "linker block" "$(cat pin.txt)" "output vmlinux.o ld"
	kshimctl pin check pin.txt > out
	assert_eq "check of the same build" 0 "$?"
	assert_contains "summary" "$(cat out)" "5 as pinned, 0 drifted"
	# a clean rebuild: nothing drifts, diff says identical
	build
	kshimctl pin check pin.txt > out
	assert_eq "clean rebuild: no drift" 0 "$?"
	kshimctl diff last~1 last > out
	assert_eq "clean rebuild: identical" 0 "$?"
	# saving is deterministic apart from the comment naming the build
	kshimctl pin save -o pin2.txt
	assert_eq "same pin" "$(grep -v '^#' pin.txt)" "$(grep -v '^#' pin2.txt)"
}

# One drift from the baseline; $1 names it, the rest is "VAR=value ... -- make args".
drift() {
	local name=$1
	shift
	build
	kshimctl pin save -o base.pin > /dev/null 2>&1
	env "$@" bash -c 'make -s clean && kshimctl make -- -s $MAKEARGS > build.out 2>&1' || { cat build.out; fail "$name: build"; }
	kshimctl diff -v last~1 last > diff.out
	dr=$?
	kshimctl pin check base.pin > check.out
	cr=$?
}

test_eight_drifts_are_each_named() {
	mktree
	printf '[rule g-debug]\nrole = cc hostcc\noutput = src/g.o\nadd = -g\n' > rules.ini
	printf '[rule g-debug]\nrole = cc hostcc\noutput = src/g.o\nadd = -gdwarf-4\n' > rules2.ini
	export KSHIM_RULES=$T/rules.ini

	# 1. a flag on one object (kbuild's CFLAGS_x.o)
	drift "CFLAGS_f.o" MAKEARGS=CFLAGS_f.o=-O0
	assert_eq "1 diff exit" 1 "$dr"
	assert_contains "1 diff" "$(cat diff.out)" "src/f.o: flags"
	assert_contains "1 diff flag" "$(cat diff.out)" "only in B: -O0"
	assert_eq "1 check exit" 1 "$cr"
	assert_contains "1 check" "$(cat check.out)" "drift src/f.o "
	assert_contains "1 check flag" "$(cat check.out)" "+ -O0"
	assert_not_contains "1 g.o untouched" "$(cat check.out)" "drift src/g.o"

	# 2. a rule changed
	drift "rule" KSHIM_RULES="$T/rules2.ini"
	assert_contains "2 diff" "$(cat diff.out)" "src/g.o: flags"
	assert_contains "2 diff rule" "$(cat diff.out)" "by rule g-debug"
	assert_contains "2 check" "$(cat check.out)" "- -g"
	assert_contains "2 check added" "$(cat check.out)" "+ -gdwarf-4"

	# 3. another host compiler (gcc for HOSTCC)
	drift "HOSTCC" KSHIM_HOSTCC=/usr/bin/gcc
	assert_contains "3 diff" "$(cat diff.out)" "tools/gen: tool"
	assert_contains "3 check" "$(cat check.out)" "drift tools/gen hostcc"
	assert_contains "3 check tool" "$(cat check.out)" "tool: pinned"
	assert_not_contains "3 objects untouched" "$(cat check.out)" "drift src/"

	# 4. a header changed: diff names it; the flags did not drift
	build
	kshimctl pin save -o base.pin > /dev/null 2>&1
	printf '#define K 4\n' > include/k.h
	build
	kshimctl diff -v last~1 last > diff.out
	assert_contains "4 diff" "$(cat diff.out)" "inputs changed: \$B/include/k.h"
	kshimctl pin check base.pin > check.out
	assert_eq "4 no flag drift" 0 "$?"
	printf '#define K 3\n' > include/k.h

	# 5. another linker for vmlinux.o (mold instead of ld.lld)
	drift "LD" KSHIM_LD=/usr/bin/ld.mold
	assert_contains "5 diff" "$(cat diff.out)" "vmlinux.o: tool"
	assert_contains "5 check" "$(cat check.out)" "drift vmlinux.o ld"

	# 6. a flag for every object (KCFLAGS)
	drift "KCFLAGS" MAKEARGS=KCFLAGS=-gdwarf-5
	for o in f g h; do
		assert_contains "6 check $o" "$(cat check.out)" "drift src/$o.o "
	done
	assert_contains "6 diff summary" "$(head -n 3 diff.out)" "flags"

	# 7. a source changed: diff says inputs; the pin does not drift
	build
	kshimctl pin save -o base.pin > /dev/null 2>&1
	printf '#ifndef X\n#define X 1\n#endif\nint h(int n) { return n + X; }\n' > src/h.c
	build
	kshimctl diff -v last~1 last > diff.out
	assert_contains "7 diff" "$(cat diff.out)" "inputs changed: src/h.c"
	kshimctl pin check base.pin > /dev/null
	assert_eq "7 no flag drift" 0 "$?"

	# 8. a define's value changed (same flag, other value)
	build CFLAGS_h.o=-DX=2
	kshimctl pin save -o base.pin > /dev/null 2>&1
	build CFLAGS_h.o=-DX=3
	kshimctl diff -v last~1 last > diff.out
	kshimctl pin check base.pin > check.out
	assert_contains "8 diff a" "$(cat diff.out)" "only in A: -DX=2"
	assert_contains "8 check" "$(cat check.out)" "- -DX=2"
	assert_contains "8 check new" "$(cat check.out)" "+ -DX=3"

	# 9. a new object the pin does not know
	drift "new" MAKEARGS=
	printf 'int k(void) { return 1; }\n' > src/k.c
	make -s clean && kshimctl make -- -s src/k.o all > build.out 2>&1
	kshimctl pin check base.pin > check.out
	assert_eq "9 exit" 1 "$?"
	assert_contains "9 unpinned" "$(cat check.out)" "unpinned src/k.o "
}

test_live_modes() {
	mktree
	build
	cp src/f.o f-A.o
	kshimctl pin save -o pin.txt 2> /dev/null
	# warn: the build goes on, the drift is in the record, said once
	make -s clean
	KSHIM_PIN=$T/pin.txt KSHIM_PIN_MODE=warn kshimctl make -- -s CFLAGS_f.o=-O1 > out 2>&1
	assert_eq "warn: build ok" 0 "$?"
	assert_contains "warn: said" "$(cat out)" "src/f.o differs from the pin $T/pin.txt:"
	assert_eq "warn: recorded" '["-O1"]' "$(kshimctl log --json | jq -c 'select(.pin.status == "drift") | .pin.added')"
	assert_eq "others match" 4 "$(kshimctl log --json | jq -c 'select(.pin.status == "match")' | wc -l)"
	# error: the call fails, naming the output and the difference
	make -s clean
	KSHIM_PIN=$T/pin.txt KSHIM_PIN_MODE=error kshimctl make -- -s CFLAGS_f.o=-O1 > out 2>&1
	assert_eq "error: build fails" 2 "$?"
	assert_contains "error: why" "$(cat out)" "error: src/f.o differs from the pin $T/pin.txt:"
	assert_contains "error: the flag" "$(cat out)" "-O1"
	# enforce: the pinned argv runs; the object is A's
	make -s clean
	KSHIM_PIN=$T/pin.txt KSHIM_PIN_MODE=enforce kshimctl make -- -s CFLAGS_f.o=-O1 > out 2>&1
	assert_eq "enforce: build ok" 0 "$?"
	cmp -s src/f.o f-A.o || fail "enforce: src/f.o differs from build A's"
	assert_eq "enforce: recorded" "enforced" "$(kshimctl log --json | jq -r 'select(.pin.added) | .pin.status' | tail -n 1)"
	assert_eq "enforce: argv run" "false" "$(kshimctl log --json --output src/f.o | tail -n 1 | jq '.argv_run | index("-O1") != null')"
	# enforce with a tool whose digest changed: a clear error, not a silent run
	sed 's/sha256:[0-9a-f]*/sha256:'"$(printf '0%.0s' $(seq 64))"'/' pin.txt > other.pin
	make -s clean
	KSHIM_PIN=$T/other.pin KSHIM_PIN_MODE=enforce kshimctl make -- -s > out 2>&1
	assert_eq "enforce, tool gone: fails" 2 "$?"
	assert_contains "enforce, tool gone: why" "$(cat out)" "is not available: it has another digest now"
	# a bad mode is a config error
	KSHIM_PIN=$T/pin.txt KSHIM_PIN_MODE=strict kshim -c src/g.c -o /dev/null 2> err
	assert_eq "bad mode" 125 "$?"
	assert_contains "bad mode: why" "$(cat err)" "pin mode 'strict' is not warn, error or enforce"
}

test_corrupt_pins_give_clear_errors() {
	mktree
	build
	kshimctl pin save -o good.pin 2> /dev/null
	head -c 200 good.pin > truncated.pin
	printf 'kshim-pin 2\n' > version.pin
	head -c 3000 /dev/urandom > random.pin
	: > empty.pin
	# blocks out of order
	{ grep -v '^#' good.pin | head -n 1; echo; printf 'output z.o cc\n\ttool /usr/bin/clang-19 sha256:%064d\n\targ x\n' 0;
	  printf 'output a.o cc\n\ttool /usr/bin/clang-19 sha256:%064d\n' 0; } > unsorted.pin
	{ grep -v '^#' good.pin | head -n 1; printf 'output a.o cc\n\ttool /x sha256:%064d\n\targ $HOME\n' 0; } > dollar.pin
	{ grep -v '^#' good.pin | head -n 1; printf 'output a.o cc\n\targ -O2\n'; } > notool.pin
	for p in truncated version random empty unsorted dollar notool; do
		kshimctl pin check $p.pin > out 2> err
		rc=$?
		[ $rc -eq 2 ] || fail "$p: exit $rc"
		assert_contains "$p: named" "$(cat err)" "$p.pin"
		[ "$p" = dollar ] && continue	# a '$' is only refused when the word is used
		assert_contains "$p: where" "$(cat err)" "$p.pin:"
	done
	assert_contains "unsorted: why" "$(kshimctl pin check unsorted.pin 2>&1)" "out of order"
	# live: a corrupt pin stops the call with file:line, never runs without it
	KSHIM_PIN=$T/random.pin kshim -c src/g.c -o g.o 2> err
	assert_eq "live corrupt" 125 "$?"
	assert_contains "live corrupt: where" "$(cat err)" "random.pin:"
	KSHIM_PIN=$T/missing.pin kshim -c src/g.c -o g.o 2> err
	assert_eq "live missing" 125 "$?"
	assert_contains "live missing: why" "$(cat err)" "cannot read pin"
	# enforce of a block with a bad word: file:line
	out=$(printf 'output g.o hostcc\n\ttool /usr/bin/clang-19 sha256:%064d\n\targ $HOME\n' 0)
	printf 'kshim-pin 1\n\n%s\n' "$out" > word.pin
	KSHIM_PIN=$T/word.pin KSHIM_PIN_MODE=enforce kshim -c src/g.c -o g.o 2> err
	assert_eq "bad word" 125 "$?"
}

run_tests
