#!/bin/bash
# Layout seeds on LTO links: the user-space twin (tests/layout-twin) built as
# LLVM bitcode (-flto=thin, -flto=full) with real clang-19 and ld.lld-19. The
# "ld -r" of the whole archive runs ThinLTO; kshim keeps the native object of
# each module at the reference link, proves it by relinking, and seeds pad
# between those natives without running LTO again. The kernel version is
# tests/e2e/lto.
. "$(dirname "$0")/../lib.sh"

lto_twin() {	# lto_twin [-flto=thin|-flto=full] [extra ld flags]
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/layout.ini
	export TWIN_CFLAGS=${1:--flto=thin} TWIN_LDFLAGS=${2:-}
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "twin build"; }
}
ref_record() { records | jq -c 'select(.role == "ld" and .layout and (.outputs[0] == "vm.o"))' | head -n 1; }
last_record() { records | jq -c 'select(.role == "ld" and .layout and (.outputs[0] == "vm.o"))' | tail -n 1; }
# the code and data symbols of a program, "name address"
symbols() { nm --defined-only "$1" | awk '$2 ~ /[TtDdBbRr]/ {print $3, $1}' | sort; }

test_reference_is_untouched_and_its_natives_are_proved() {
	lto_twin
	./prog > /dev/null || fail "the twin runs"
	local rec
	rec=$(ref_record)
	assert_eq "seed 0: no layout" none "$(echo "$rec" | jq -r .layout.method)"
	assert_eq "natives captured at the reference" true "$(echo "$rec" | jq .layout.lto.captured)"
	assert_eq "and proved" true "$(echo "$rec" | jq .layout.lto.proved)"
	# bitcode: head, hooks, end, main of vm.a and lib1, lib2 of lib.a
	assert_eq "one native per bitcode module" 6 "$(echo "$rec" | jq .layout.lto.natives)"
	assert_contains "the capture options ran" "$(echo "$rec" | jq -c .argv_run)" '"--save-temps=prelink"'
	# the output is what lld gives without kshim and without the options
	ld.lld-19 -r -o direct.o --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group
	cmp -s direct.o vm.o || fail "vm.o of the reference differs from a direct link"
	# nothing left in the tree; the store has the natives and the manifest
	assert_eq "no native left next to the archives" "" "$(ls | grep '\.lto\.' || true)"
	local key store
	key=$(echo "$rec" | jq -r .layout.lto.store)
	store=$XDG_CACHE_HOME/kshim/lto/$key
	assert_eq "manifest" 6 "$(jq .natives "$store/manifest.json")"
	assert_eq "lib.a's members, asm.o after LTO" '["lib1.o","lib2.o","asm.o"]' \
		"$(jq -c '[.objects[] | select(.archive == "lib.a") | .path]' "$store/manifest.json")"
	assert_eq "asm.o was wanted by native code only" true \
		"$(jq '.objects[] | select(.path == "asm.o") | .post_lto' "$store/manifest.json")"
	# a second build of the same inputs finds them stored
	rm vm.o
	KSHIM_RULES=$PWD/layout.ini make -s CC=kshim LD=kshim-ld TWIN_CFLAGS=-flto=thin > /dev/null
	assert_eq "stored already" false "$(last_record | jq .layout.lto.captured)"
	cmp -s direct.o vm.o || fail "vm.o differs the second time"
}

test_seeds_pad_between_native_code_without_lto() {
	lto_twin
	symbols prog > sym0
	kshimctl sweep --seeds 1-12 --test ./prog > /dev/null 2> err
	local res=.kshim/sweep.json nfail npass
	nfail=$(jq '[.seeds[] | select(.result == "fail")] | length' $res)
	npass=$(jq '[.seeds[] | select(.result == "pass")] | length' $res)
	# the bug needs a pad between two modules' data: padding LTO's output as one block never finds it
	[ "$nfail" -ge 1 ] && [ "$npass" -ge 1 ] || fail "expected failing and passing seeds, got $nfail fail, $npass pass: $(cat err)"
	assert_eq "no compiler call" 0 "$(jq '[.seeds[].compiles] | add' $res)"
	local recs
	recs=$(records | jq -c 'select(.role == "ld" and .layout.seed > 0)')
	assert_eq "12 seeded links" 12 "$(echo "$recs" | wc -l)"
	assert_eq "no LTO backend in any seed" '[0]' "$(echo "$recs" | jq -s -c '[.[].layout.lto.backend_runs] | unique')"
	assert_eq "natives from the store" '[false]' "$(echo "$recs" | jq -s -c '[.[].layout.lto.captured] | unique')"
	assert_eq "12 distinct layouts" 12 "$(jq '[.seeds[].layout."vm.o".digest] | unique | length' $res)"
	assert_contains "what stays put is recorded" "$(echo "$recs" | head -n 1 | jq -c .layout.lto.unmoved)" "head objects"
	# no bitcode and no archive reaches the seed's linker: the natives and pads, named to interleave
	local rec
	rec=$(echo "$recs" | tail -n 1)
	assert_eq "no archive in the seed's link" "" "$(echo "$rec" | jq -r '.argv_run[] | select(endswith(".a"))')"
	assert_contains "natives linked" "$(echo "$rec" | jq -c .argv_run)" "/kshim/lto/"
	kshimctl replay --seed 12 > /dev/null 2>&1
	readelf -SW vm.o | grep -q '\.text\.kshim_pad_' || fail "no .text.kshim_pad_* section in a seed's vm.o"
	# functions moved against each other: more than one distinct shift
	symbols prog > sym12
	local shifts
	shifts=$(join sym0 sym12 | while read -r _ a b; do echo $((16#$b - 16#$a)); done | sort -u | wc -l)
	[ "$shifts" -ge 2 ] || fail "seed 12 moved the symbols by $shifts distinct offset(s)"
	# replay: the failing seed fails again, same digests
	local bad
	bad=$(jq -r '[.seeds[] | select(.result == "fail") | .seed][0]' $res)
	kshimctl replay --seed "$bad" --verify --test ./prog > out 2>&1
	assert_eq "failing seed $bad fails again" 1 "$?"
	assert_contains "same layout" "$(cat out)" "every recorded digest matches"
	# shuffle works on natives too
	sed -i 's/^layout = pad$/layout = shuffle/' layout.ini
	rm vm.o
	KSHIM_SEED=3 make -s CC=kshim LD=kshim-ld > /dev/null 2>&1 || fail "shuffle on an LTO link"
	assert_eq "shuffled" order-v1 "$(last_record | jq -r .layout.method)"
}

test_a_thinlto_cache_moves_the_capture_to_the_first_seed() {
	lto_twin -flto=thin "--thinlto-cache-dir=$PWD/ltocache"
	local rec
	rec=$(ref_record)
	assert_eq "not captured at the reference" false "$(echo "$rec" | jq .layout.lto.captured)"
	assert_contains "why" "$(echo "$rec" | jq -r .layout.lto.why)" "ThinLTO cache"
	[ -d ltocache ] || fail "the cache works as without kshim"
	rm vm.o
	KSHIM_SEED=1 make -s CC=kshim LD=kshim-ld > /dev/null 2>&1 || fail "seed 1"
	assert_eq "seed 1 captured" true "$(last_record | jq .layout.lto.captured)"
	assert_eq "one backend run" 1 "$(last_record | jq .layout.lto.backend_runs)"
	./prog > /dev/null 2>&1 || true
	rm vm.o
	KSHIM_SEED=2 make -s CC=kshim LD=kshim-ld > /dev/null 2>&1 || fail "seed 2"
	assert_eq "seed 2 from the store" 0 "$(last_record | jq .layout.lto.backend_runs)"
}

test_a_damaged_store_is_captured_again() {
	lto_twin
	local store
	store=$XDG_CACHE_HOME/kshim/lto/$(ref_record | jq -r .layout.lto.store)
	rm "$store"/n*.o
	rm vm.o
	KSHIM_SEED=5 make -s CC=kshim LD=kshim-ld > /dev/null 2>&1 || fail "seed 5 with the store damaged"
	assert_eq "captured again" true "$(last_record | jq .layout.lto.captured)"
	assert_eq "natives back" 6 "$(ls "$store"/n*.o | wc -l)"
}

# The capture options must never cost the build its link: where lld cannot write a native next to
# its archive (a read-only directory here), the reference runs again as it was, and says so.
test_a_capture_that_breaks_the_link_runs_it_as_it_was() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a read-only directory"
	cp "$KSHIM_TESTS"/layout-twin/{head,hooks,end,main,lib1,lib2}.c "$KSHIM_TESTS"/layout-twin/asm.S .
	local f
	for f in head hooks end main lib1 lib2; do clang-19 -O1 -flto=thin -c -o $f.o $f.c || fail "compile"; done
	clang-19 -c -o asm.o asm.S
	mkdir ro
	mount -t tmpfs tmpfs ro || skip "cannot mount tmpfs"
	cp lib1.o lib2.o asm.o ro/ && (cd ro && ar cDPrST lib.a lib1.o lib2.o asm.o)
	mount -o remount,ro ro || { umount ro; skip "cannot remount read-only"; }
	ar cDPrST vm.a head.o hooks.o end.o main.o
	printf '[rule t]\nrole = ld\nsource = vm.a\nlayout = pad\n' > r.ini
	KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/r.ini kshim-ld -r -o vm.o --whole-archive vm.a --no-whole-archive \
		--start-group ro/lib.a --end-group 2> err
	local st=$?
	umount ro
	assert_eq "the link succeeded" 0 "$st"
	assert_contains "said so" "$(cat err)" "running it as it was"
	assert_eq "no capture options in the call that ran" "" "$(records | jq -r '.argv_run[] | select(startswith("--save-temps"))')"
	assert_contains "the record says why" "$(records | jq -r .layout.lto.why)" "ran again without them"
}

test_full_lto_stops_every_seed_and_says_why() {
	lto_twin -flto=full
	./prog > /dev/null || fail "the twin runs"
	ld.lld-19 -r -o direct.o --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group
	cmp -s direct.o vm.o || fail "the full-LTO reference differs from a direct link"
	rm vm.o
	KSHIM_SEED=3 make -s CC=kshim LD=kshim-ld > /dev/null 2> err
	[ $? -ne 0 ] || fail "a seed of a full-LTO link linked"
	assert_contains "names the limitation" "$(cat err)" "full LTO"
	assert_contains "and what to use" "$(cat err)" "CONFIG_LTO_CLANG_THIN"
	[ -e vm.o ] && fail "a full-LTO seed left an output"
	kshimctl sweep --seeds 1-2 --test ./prog > /dev/null 2>&1
	assert_eq "sweep: build errors" '["build-error"]' "$(jq -c '[.seeds[].result] | unique' .kshim/sweep.json)"
	assert_contains "with the reason" "$(jq -r '.seeds."1".reason' .kshim/sweep.json)" "full LTO"
}

# The mechanism is the architecture's only through lld: arm64 objects (cross-compiled, no program
# to run here) are captured, proved and padded the same way, pads shaped as AArch64 objects.
test_arm64_objects_too() {
	cp "$KSHIM_TESTS"/layout-twin/{head,hooks,end,lib1,lib2}.c .
	local f
	for f in head hooks end lib1 lib2; do
		clang-19 --target=aarch64-linux-gnu -O1 -flto=thin -c -o $f.o $f.c || fail "compile $f.c"
	done
	ar cDPrST vm.a head.o hooks.o end.o && ar cDPrST lib.a lib1.o lib2.o
	printf '[rule arm64]\nrole = ld\nsource = vm.a\nlayout = pad\n' > r.ini
	export KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/r.ini
	link() { kshim-ld -m aarch64linux -r -o "$1" -u twin_lib1 --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group; }
	link ref.o 2> err || fail "reference: $(cat err)"
	assert_eq "captured and proved" "[true,true]" "$(records | jq -c 'select(.layout) | [.layout.lto.captured, .layout.lto.proved]' | tail -n 1)"
	ld.lld-19 -m aarch64linux -r -o direct.o -u twin_lib1 --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group
	cmp -s ref.o direct.o || fail "the reference differs from a direct link"
	KSHIM_SEED=6 link s6.o 2> err || fail "seed 6: $(cat err)"
	assert_eq "no backend" 0 "$(records | jq 'select(.layout.seed == 6) | .layout.lto.backend_runs')"
	assert_contains "an AArch64 object" "$(readelf -h s6.o)" "AArch64"
	readelf -SW s6.o | grep -q '\.text\.kshim_pad_' || readelf -SW s6.o | grep -q '\.data\.kshim_pad_' ||
		fail "no pad section in seed 6's output"
	cmp -s s6.o ref.o && fail "seed 6 changed nothing"
	return 0
}

# The proof: the same code with the symbols in another order is the same; code in another order is not.
test_same_code_tells_symbol_order_from_code() {
	lto_twin
	local store
	store=$XDG_CACHE_HOME/kshim/lto/$(ref_record | jq -r .layout.lto.store)
	ld.lld-19 -r -o a.o "$store"/n*.o asm.o
	# -u makes lld meet twin_lib2 first: its symbol table changes order, nothing else
	ld.lld-19 -r -u twin_lib2 -o b.o "$store"/n*.o asm.o
	cmp -s a.o b.o && fail "the -u link gave the same bytes"
	"$KSHIM_BIN"/tests/samecode a.o b.o > out || fail "same code, other symbol order: $(cat out)"
	ld.lld-19 -r -o c.o asm.o $(ls -r "$store"/n*.o)
	"$KSHIM_BIN"/tests/samecode a.o c.o > out
	assert_eq "code in another order differs" 1 "$?"
	assert_contains "says what differs" "$(cat out)" "differ"
	"$KSHIM_BIN"/tests/samecode a.o /nonexistent > out 2>&1
	assert_eq "unreadable: 2" 2 "$?"
}

run_tests
