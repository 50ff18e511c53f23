#!/bin/bash
# kshimctl bisect on the user-space twin of the e2e kernel case
# (tests/bisect-twin: a rule adds four flags to core/ and lib/; one of them,
# -fstrict-aliasing, breaks one object, lib/words.o), with real clang-19 and
# ld.lld-19. The kernel version of the same flow is tests/e2e/bisect.
. "$(dirname "$0")/../lib.sh"

# a good build, then the bad one: the rule applied, what it changes rebuilt
twin() {
	cp -r "$KSHIM_TESTS/bisect-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19
	unset KSHIM_RULES
	kshimctl make --build-id good -- -s > build.out 2>&1 || { cat build.out; fail "good build"; }
	./prog > /dev/null || fail "the good build passes its test"
	export KSHIM_RULES=$PWD/bad.ini
	kshimctl stale --invalidate > /dev/null 2>&1
	kshimctl make --build-id bad -- -s > build.out 2>&1 || { cat build.out; fail "bad build"; }
	./prog > /dev/null && fail "the bad build fails its test"
	return 0
}
log2() { local n=$1 k=0; while [ $((1 << k)) -lt "$n" ]; do k=$((k + 1)); done; echo $k; }

# An LTO build (the objects are LLVM bitcode, ThinLTO at the link): the object stage relinks mixes of
# bitcode objects (LTO runs in each relink), the flag stage compiles as ever.
test_lto_build_bisects_to_the_object_and_the_flag() {
	export TWIN_CFLAGS=-flto=thin
	twin
	file -b lib/words.o | grep -q 'LLVM IR bitcode' || fail "the twin's objects are not bitcode"
	kshimctl bisect --good good --bad bad --test ./prog > out 2> err
	assert_eq "exit: a culprit named" 0 "$?"
	assert_contains "object" "$(cat out)" "culprit object: lib/words.o"
	assert_contains "flag" "$(cat out)" "culprit flag:   add -fstrict-aliasing on lib/words.o"
}

test_names_the_object_the_flag_and_the_rule() {
	twin
	kshimctl bisect --good good --bad bad --test ./prog > out 2> err
	assert_eq "exit: a culprit named" 0 "$?"
	assert_contains "object" "$(cat out)" "culprit object: lib/words.o"
	assert_contains "flag" "$(cat out)" "culprit flag:   add -fstrict-aliasing on lib/words.o"
	assert_contains "rule, file:line" "$(cat out)" "put there by rule fast-core ($PWD/bad.ini:2)"
	assert_contains "progress on stderr" "$(cat err)" "bisect: objects 1/"
	local st=.kshim/bisect/state.json n tests compiles
	kshimctl bisect --good good --bad bad --test ./prog --json > answer.json 2> /dev/null
	n=$(jq .objects.candidates answer.json)
	tests=$(jq .objects.tests answer.json)
	compiles=$(jq .flags.compiles answer.json)
	assert_eq "8 objects compiled differently" 8 "$(jq .objects.differing_flags answer.json)"
	[ "$tests" -le $(( $(log2 "$n") + 2 )) ] || fail "$tests tests for $n objects: over ceil(log2 N)+2"
	assert_eq "4 differences on the culprit" 4 "$(jq .flags.differences answer.json)"
	[ "$compiles" -le $(( $(log2 4) + 2 )) ] || fail "$compiles compiles for 4 flags: over ceil(log2 F)+2"
	assert_eq "the same answer from the JSON" "add -fstrict-aliasing" "$(jq -r '.flags.culprits[0].difference' answer.json)"
	assert_eq "the rule in the JSON" "$PWD/bad.ini:2" "$(jq -r '.flags.culprits[0].rules[0].at' answer.json)"
	# the answer again, resumed from the state: nothing run a second time
	assert_eq "resumed: no test run" 0 "$(jq .objects.test_runs answer.json)"
	assert_eq "resumed: no compile" 0 "$(jq .flags.compiles answer.json)"
	./prog > /dev/null || fail "the tree is the good build again"
	# the objects of both builds are in the store, by content
	[ -f ".kshim/objects/$(jq -r '.candidates["lib/words.o"].bad' $st | sed 's/^\(..\)/\1\//')" ] ||
		fail "the bad lib/words.o is in the store"
}

test_the_fix_rule_and_the_fix_pin_fix_it() {
	twin
	kshimctl bisect --good good --bad bad --test ./prog > out 2> err || { cat out err; fail "bisect"; }
	assert_contains "fix rule" "$(cat .kshim/bisect/fix.ini)" "remove = -fstrict-aliasing"
	export KSHIM_RULES=$PWD/bad.ini:$PWD/.kshim/bisect/fix.ini
	kshimctl stale --invalidate > /dev/null 2>&1
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "build with the fix rule"; }
	./prog > /dev/null || fail "the bad rules plus the fix rule pass"
	kshimctl explain lib/words.o > explain.out
	assert_contains "explain names the fix" "$(cat explain.out)" "bisect-fix-lib_words.o"
	# the pin: the bad build's flags, the culprit's as in the good build
	export KSHIM_RULES=$PWD/bad.ini KSHIM_PIN=$PWD/.kshim/bisect/fix.pin KSHIM_PIN_MODE=enforce
	rm -f core/*.o lib/*.o
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "build under the fix pin"; }
	./prog > /dev/null || fail "the fix pin passes"
	assert_contains "the other objects keep the bad flags" \
		"$(kshimctl log --json --build last | jq -r 'select(.outputs[0] == "core/sched.o") | .argv_run | join(" ")')" \
		"-fstrict-aliasing"
}

# the populate builds compile; the mixes compile nothing
test_mixes_compile_nothing() {
	twin
	kshimctl bisect --good good --bad bad --test ./prog --objects-only > out 2> err || { cat out err; fail "bisect"; }
	local b n
	for b in $(kshimctl builds | awk '$1 ~ /^bisect-step-/ {print $1}'); do
		n=$(kshimctl log --json --build "$b" | jq -s '[.[] | select(.mode == "compile" and (.probe | not))] | length')
		assert_eq "compiles in $b" 0 "$n"
	done
	[ -n "$b" ] || fail "no step builds in the log"
	assert_not_contains "objects only: no flag stage" "$(cat out)" "culprit flag"
	assert_contains "object" "$(cat out)" "culprit object: lib/words.o"
}

# two culprits: fast-math.ini on top of bad.ini breaks core/timer.o too
test_all_finds_both_culprits_and_their_flags() {
	twin
	export KSHIM_RULES=$PWD/bad.ini:$PWD/fast-math.ini
	# made with -B: bisect's relinks must leave that out
	kshimctl make --build-id bad2 -- -s -B > build.out 2>&1 || { cat build.out; fail "the build with both rules"; }
	kshimctl bisect --good good --bad bad2 --test ./prog --all --json > answer.json 2> err
	assert_eq "exit: culprits named" 0 "$?"
	assert_contains "-B left out, said" "$(cat err)" "build bad2 was made with make -B: left out here"
	local n bound
	n=$(jq .objects.candidates answer.json)
	bound=$(( $(log2 "$n") + 2 ))
	assert_eq "both objects" "core/timer.o lib/words.o" "$(jq -r '[.objects.culprits[].object] | sort | join(" ")' answer.json)"
	assert_eq "each object within ceil(log2 N)+2 tests" 0 \
		"$(jq --argjson b "$bound" '[.objects.culprits[] | select(.tests > $b)] | length' answer.json)"
	assert_eq "the flag of each" "core/timer.o: add -ffast-math lib/words.o: add -fstrict-aliasing" \
		"$(jq -r '[.objects.culprits[] | "\(.object): \(.flags.culprits[0].difference)"] | sort | join(" ")' answer.json)"
	assert_eq "the rule of each" "$PWD/bad.ini:2 $PWD/fast-math.ini:2" \
		"$(jq -r '[.objects.culprits[].flags.culprits[0].rules[0].at] | sort | join(" ")' answer.json)"
	assert_eq "each flag within ceil(log2 F)+2 compiles" 0 \
		"$(jq '[.objects.culprits[].flags | select(.compiles > (.bound))] | length' answer.json)"
	# without --all: one of them, the same way as before
	kshimctl bisect --good good --bad bad2 --test ./prog > out 2> /dev/null
	assert_eq "one culprit without --all" 1 "$(grep -c '^bisect: culprit object:' out)"
	kshimctl bisect --good good --bad bad2 --test ./prog --all > out 2> /dev/null
	assert_contains "text report: both flags" "$(cat out)" "culprit flag:   add -ffast-math on core/timer.o"
	assert_eq "two fix rules" 2 "$(grep -c '^\[rule bisect-fix-' .kshim/bisect/fix.ini)"
	# one rule file fixes both; so does the pin
	export KSHIM_RULES=$PWD/bad.ini:$PWD/fast-math.ini:$PWD/.kshim/bisect/fix.ini
	kshimctl stale --invalidate > /dev/null 2>&1
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "build with the fix rules"; }
	./prog > /dev/null || fail "both rules plus the fix rules pass"
	export KSHIM_RULES=$PWD/bad.ini:$PWD/fast-math.ini KSHIM_PIN=$PWD/.kshim/bisect/fix.pin KSHIM_PIN_MODE=enforce
	rm -f core/*.o lib/*.o
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "build under the fix pin"; }
	./prog > /dev/null || fail "the fix pin of both passes"
}

# the bad build also has another compiler (gcc for every object): the tool is
# one more difference, bisected with the flags; the flag is still the culprit
test_another_compiler_is_one_difference() {
	twin
	export KSHIM_CC=gcc KSHIM_RULES=$PWD/bad.ini
	kshimctl make --build-id gccbad -- -s -B > build.out 2>&1 || { cat build.out; fail "the gcc build"; }
	./prog > /dev/null && fail "gcc with the flags fails the test too"
	kshimctl bisect --good good --bad gccbad --test ./prog --json > answer.json 2> err
	assert_eq "exit" 0 "$?"
	assert_eq "object" "lib/words.o" "$(jq -r '.objects.culprits[0].object' answer.json)"
	assert_eq "4 flags and the compiler" 5 "$(jq .flags.differences answer.json)"
	assert_eq "the flag, not the compiler" "add -fstrict-aliasing" "$(jq -r '.flags.culprits[0].difference' answer.json)"
	[ "$(jq .flags.compiles answer.json)" -le 5 ] || fail "$(jq .flags.compiles answer.json) compiles for 5 differences: over ceil(log2 5)+2"
	assert_contains "the compiler was one of them" "$(cat err)" "5 difference(s) between its good and bad command"
	assert_contains "a fix rule: the compiler is not needed" "$(cat .kshim/bisect/fix.ini)" "remove = -fstrict-aliasing"
}

test_endpoints_that_do_not_hold() {
	twin
	kshimctl bisect --good good --bad bad --test true > out 2> err
	assert_eq "exit: no answer" 1 "$?"
	assert_contains "says why" "$(cat out)" "the endpoints do not hold: the good build passes and the bad one PASSES the test"
	./prog > /dev/null || fail "the tree is the good build again"
}

test_pins_as_good_and_bad() {
	twin
	kshimctl pin save --whole-tree -o good.pin good 2> /dev/null
	kshimctl pin save --whole-tree -o bad.pin bad 2> /dev/null
	kshimctl bisect --good good.pin --bad bad.pin --test ./prog > out 2> err
	assert_eq "exit" 0 "$?"
	assert_contains "object" "$(cat out)" "culprit object: lib/words.o"
	assert_contains "flag" "$(cat out)" "add -fstrict-aliasing"
	assert_contains "no rule to name from a pin" "$(cat out)" "put there by: the bad pin"
}

# the layout twin built twice, the second time with a seed: nothing compiled differs
test_layout_only_is_handed_to_sweep() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/layout.ini
	kshimctl make --build-id plain -- -s > build.out 2>&1 || { cat build.out; fail "twin build"; }
	kshimctl replay --seed 3 > /dev/null 2>&1 || fail "replay"
	local seeded
	seeded=$(kshimctl builds | awk '$1 ~ /^seed-3-/ {print $1}')
	kshimctl bisect --good plain --bad "$seeded" --test ./prog > out 2> err
	assert_eq "exit: layout-only" 3 "$?"
	assert_contains "says so" "$(cat out)" "differ only in their layout (seed 0 vs 3): the failure is layout-only"
	assert_contains "hands over" "$(cat out)" "kshimctl replay --seed 3"
}

test_errors_say_what() {
	twin
	kshimctl bisect --good good --test ./prog > out 2> err
	assert_eq "missing --bad" 2 "$?"
	assert_contains "message" "$(cat err)" "--good, --bad and --test are all required"
	kshimctl bisect --good nosuch --bad bad --test ./prog > out 2> err
	assert_eq "unknown build" 2 "$?"
	assert_contains "message" "$(cat err)" "--good nosuch: neither a pin file nor a build of the log"
	printf 'not a pin\n' > broken.pin
	kshimctl bisect --good broken.pin --bad bad --test ./prog > out 2> err
	assert_eq "broken pin" 2 "$?"
	assert_contains "file:line" "$(cat err)" "broken.pin:1"
	kshimctl bisect --good good --bad bad --test ./prog --timeout -1 > out 2> err
	assert_eq "bad timeout" 2 "$?"
	# a test that touches a header: make rebuilds objects in the next mix, which bisect sees and refuses
	kshimctl bisect --good good --bad bad --test 'touch twin.h; ./prog' > out 2> err
	assert_eq "a mix make rebuilt" 2 "$?"
	assert_contains "message" "$(cat err)" "while relinking a mix (a newer source or header"
	kshimctl bisect --help | grep -q 'ceil(log2 N)+2' || fail "--help states the bound"
}

run_tests
