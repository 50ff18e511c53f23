#!/bin/bash
# Layout seeds: the layout rule action, kshimctl sweep and replay, on the
# user-space twin of the e2e kernel bug (tests/layout-twin: code that assumes
# two objects from different files stay adjacent), with real clang-19,
# ld.lld-19 and mold. The kernel version of the same flow is tests/e2e/layout.
. "$(dirname "$0")/../lib.sh"

twin() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=${1:-ld.lld-19} KSHIM_RULES=$PWD/layout.ini
	kshimctl make -- -s > build.out 2>&1 || { cat build.out; fail "twin build"; }
}
relink_record() { records | jq -c 'select(.role == "ld" and .layout)' | tail -n 1; }

test_sweep_finds_failing_and_passing_seeds() {
	twin
	./prog > /dev/null || fail "the plain layout passes"
	kshimctl sweep --seeds 1-16 --test ./prog > table 2> err
	assert_eq "exit: some seed failed" 1 "$?"
	local res=.kshim/sweep.json
	assert_eq "16 seeds recorded" 16 "$(jq '.seeds | length' $res)"
	local nfail npass
	nfail=$(jq '[.seeds[] | select(.result == "fail")] | length' $res)
	npass=$(jq '[.seeds[] | select(.result == "pass")] | length' $res)
	[ "$nfail" -ge 1 ] && [ "$npass" -ge 1 ] || fail "expected failing and passing seeds, got $nfail fail, $npass pass"
	assert_eq "pass + fail" 16 "$((nfail + npass))"
	assert_eq "no compiler call in any relink" "0" "$(jq '[.seeds[].compiles] | add' $res)"
	assert_contains "fail reason" "$(jq -r '.seeds[] | select(.result == "fail") | .reason' $res | head -n 1)" "Segmentation fault"
	assert_contains "progress with ETA" "$(cat err)" "[16/16, $nfail failed"
	assert_contains "ETA" "$(cat err)" "ETA"
	assert_contains "table" "$(cat table)" "$npass passed, $nfail failed, 0 build errors (16 seeds)"
	# the layout record of each relink: seed, method, head object first
	local rec
	rec=$(relink_record)
	assert_eq "seed in the record" 16 "$(echo "$rec" | jq .layout.seed)"
	assert_eq "method" pad-v1 "$(echo "$rec" | jq -r .layout.method)"
	assert_eq "head objects" 1 "$(echo "$rec" | jq .layout.heads)"
	assert_eq "head object first" head.o "$(echo "$rec" | jq -r '.argv_run | .[index("--whole-archive") + 1]')"
	assert_eq "layout digest recorded" 64 "$(echo "$rec" | jq -r .layout.digest | tr -d '\n' | wc -c)"
	# a later sweep extends the results
	kshimctl sweep --seeds 1-20 --test ./prog > /dev/null 2> err
	assert_contains "skips known seeds" "$(cat err)" "16 seed(s) already in"
	assert_eq "20 seeds now" 20 "$(jq '.seeds | length' $res)"
	# a different test needs its own results file
	kshimctl sweep --seeds 1 --test 'true' > /dev/null 2> err
	assert_eq "other test: error" 2 "$?"
	assert_contains "says why" "$(cat err)" "are for the test './prog'"
}

test_replay_fails_every_time_for_a_failing_seed() {
	twin
	kshimctl sweep --seeds 1-12 --test ./prog > /dev/null 2>&1
	local bad good i
	bad=$(jq -r '[.seeds[] | select(.result == "fail") | .seed][0]' .kshim/sweep.json)
	good=$(jq -r '[.seeds[] | select(.result == "pass") | .seed][0]' .kshim/sweep.json)
	[ "$bad" != null ] && [ "$good" != null ] || fail "need a failing and a passing seed in 1-12"
	for i in 1 2 3; do
		kshimctl replay --seed "$bad" --verify --test ./prog > out 2>&1
		assert_eq "failing seed $bad fails (round $i)" 1 "$?"
		assert_contains "same layout" "$(cat out)" "every recorded digest matches"
		kshimctl replay --seed "$good" --verify --test ./prog > out 2>&1
		assert_eq "passing seed $good passes (round $i)" 0 "$?"
		assert_contains "same layout" "$(cat out)" "every recorded digest matches"
	done
	# the tree really holds the layout: the program fails by itself
	kshimctl replay --seed "$bad" > /dev/null 2>&1
	./prog > /dev/null 2>&1 && fail "seed $bad: ./prog passes after replay"
	kshimctl replay --seed 999 --verify > out 2>&1
	assert_eq "verify of an unswept seed" 2 "$?"
	assert_contains "says so" "$(cat out)" "seed 999 is not in"
}

test_no_seed_or_seed_zero_is_byte_identical_to_no_rule() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19
	KSHIM_RULES= make -s CC=kshim LD=kshim-ld > /dev/null
	local plain_o plain
	plain_o=$(sha256sum < vm.o) plain=$(sha256sum < prog)
	for seed in unset 0; do
		make -s clean
		if [ $seed = unset ]; then
			KSHIM_RULES=$PWD/layout.ini make -s CC=kshim LD=kshim-ld > /dev/null
		else
			KSHIM_SEED=0 KSHIM_RULES=$PWD/layout.ini make -s CC=kshim LD=kshim-ld > /dev/null
		fi
		assert_eq "seed $seed: vm.o identical" "$plain_o" "$(sha256sum < vm.o)"
		assert_eq "seed $seed: prog identical" "$plain" "$(sha256sum < prog)"
		assert_eq "seed $seed: recorded as none" none "$(relink_record | jq -r .layout.method)"
	done
	rm -f vm.o
	KSHIM_SEED=5 KSHIM_RULES=$PWD/layout.ini make -s CC=kshim LD=kshim-ld > /dev/null
	[ "$(sha256sum < vm.o)" != "$plain_o" ] || fail "seed 5 left vm.o as it was"
}

# Must hold: distinct layouts across 20 seeds, the same seed twice the same bytes, with lld and mold.
check_linker() {
	twin "$1"
	kshimctl sweep --seeds 1-20 --test true > /dev/null 2>&1
	assert_eq "$1: all 20 link" 20 "$(jq '[.seeds[] | select(.result == "pass")] | length' .kshim/sweep.json)"
	assert_eq "$1: 20 distinct layouts" 20 "$(jq '[.seeds[].layout."vm.o".digest] | unique | length' .kshim/sweep.json)"
	assert_eq "$1: 20 distinct programs" 20 "$(jq '[.seeds[].files.prog] | unique | length' .kshim/sweep.json)"
	assert_contains "$1 ran" "$(relink_record | jq -r .tool)" "$1"
	kshimctl replay --seed 7 --verify > out 2>&1
	assert_eq "$1: seed 7 again, same digests" 0 "$?"
	assert_contains "$1" "$(cat out)" "every recorded digest matches (1 layout, 2 files)"
}
test_lld_distinct_layouts_and_deterministic() { check_linker ld.lld-19; }
test_mold_distinct_layouts_and_deterministic() { check_linker mold; }

# A seed relinks by the link sub-make alone (learned from the first seed's
# make), with the bytes the whole make gives; broken steps fall back to make.
test_seeds_relink_by_the_link_submake_alone() {
	twin
	kshimctl sweep --seeds 1-6 --test ./prog > /dev/null 2> err
	local res=.kshim/sweep.json q='.seeds | map_values({result, l: .layout."vm.o".digest, files})'
	assert_eq "first seed through make" make "$(jq -r '.seeds."1".relink' $res)"
	assert_eq "it learned one step" 1 "$(jq '.seeds."1".steps_learned' $res)"
	assert_eq "the step is the link sub-make" '["-f","link.mk"]' "$(jq -c '.steps[0].argv[1:]' .kshim/sweep/relink-steps.json)"
	assert_eq "the other seeds by the step" '["steps"]' "$(jq -c '[.seeds[] | select(.seed > 1) | .relink] | unique' $res)"
	assert_eq "no compiler call" 0 "$(jq '[.seeds[].compiles] | add' $res)"
	assert_eq "a build of its own, said so" 5 "$(grep -c '"event":"start".*"relink":"steps"' .kshim/log.jsonl)"
	assert_contains "its command: the step" "$(kshimctl builds | tail -n 1)" "/usr/bin/make -f link.mk  => exit 0"
	kshimctl sweep --seeds 1-6 --test ./prog --relink make --results bymake.json > /dev/null 2>&1
	assert_eq "--relink make: every seed by make" '["make"]' "$(jq -c '[.seeds[].relink] | unique' bymake.json)"
	assert_eq "same results as the whole make" "$(jq -S "$q" $res)" "$(jq -S "$q" bymake.json)"
	# make -j2: the recorded sub-make had the top-level make's jobserver descriptors, which
	# are gone when a step runs again; the step runs without them (its own -j2), no warning
	kshimctl sweep --seeds 1-3 --rerun --results j2.json --test ./prog -- -s -j2 > /dev/null 2>&1
	assert_contains "the recorded make had a jobserver" "$(jq -r '.steps[0].env[] | select(startswith("MAKEFLAGS="))' .kshim/sweep/relink-steps.json)" "--jobserver-auth="
	assert_eq "steps ran" '["make","steps","steps"]' "$(jq -c '[.seeds[].relink]' j2.json)"
	assert_eq "make did not miss its jobserver" 0 "$(cat .kshim/sweep/seed-[23].make.log | grep -c 'jobserver unavailable' || true)"
	# steps that cannot run: the seed goes through make, and says so
	kshimctl sweep --seeds 1-4 --rerun --results broken.json --test \
		'sed -i "s|\"program\": \"[^\"]*\"|\"program\": \"/nonexistent/make\"|" .kshim/sweep/relink-steps.json; ./prog' \
		> /dev/null 2>&1
	assert_eq "fell back to make" '["make"]' "$(jq -c '[.seeds[].relink] | unique' broken.json)"
	assert_contains "says why" "$(jq -r '.seeds."3".steps_failed' broken.json)" "exit 127"
	assert_eq "same results" "$(jq -S "$q | with_entries(select(.key | tonumber <= 4))" $res)" "$(jq -S "$q" broken.json)"
	# a top-level recipe after the link sub-make: the steps would miss it, so no steps
	sed -i 's|^\t$(MAKE) -f link.mk$|&\n\t$(CC) -fuse-ld=lld -o prog2 vm.o|' Makefile
	grep -q 'prog2' Makefile || fail "the twin's Makefile changed shape"
	kshimctl sweep --seeds 1-3 --rerun --results toplevel.json --test ./prog > /dev/null 2> err
	assert_eq "every seed by make" '["make"]' "$(jq -c '[.seeds[].relink] | unique' toplevel.json)"
	assert_contains "says why" "$(cat err)" "every seed relinks through make: a call after the first layout call ran outside the link sub-makes"
	assert_eq "once" 1 "$(grep -c "every seed relinks through make" err)"
	kshimctl sweep --seeds 9223372036854775806-9223372036854775808 --test true 2> err
	assert_eq "a seed over 2^63-1: usage error" 2 "$?"
	assert_contains "says the largest" "$(cat err)" "over the largest seed, 9223372036854775807"
	KSHIM_SEED=9223372036854775808 kshim-ld -r -o big.o --whole-archive vm.a --no-whole-archive 2> err
	assert_eq "KSHIM_SEED over 2^63-1: kshim's error status" 125 "$?"
	assert_contains "names the variable" "$(cat err)" "env KSHIM_SEED: seed '9223372036854775808' is not a decimal number"
	kshimctl sweep --relink sometimes --seeds 1 --test true 2> err
	assert_eq "bad --relink: usage error" 2 "$?"
	assert_contains "says what" "$(cat err)" "--relink 'sometimes': expected steps or make"
}

test_jobs_give_the_sequential_results_and_leave_the_tree_alone() {
	twin
	local plain
	plain=$(sha256sum < prog)
	kshimctl sweep --seeds 1-9 --test ./prog > /dev/null 2>&1
	kshimctl sweep --seeds 1-9 --test ./prog --jobs 3 --rerun --results par.json > /dev/null 2> err
	assert_contains "trees made" "$(cat err)" "making 2 more tree(s) of hard links"
	local q='.seeds | map_values({result, l: .layout."vm.o".digest, files})'
	assert_eq "same results" "$(jq -S "$q" .kshim/sweep.json)" "$(jq -S "$q" par.json)"
	assert_eq "three trees ran seeds" 3 "$(jq '[.seeds[].tree] | unique | length' par.json)"
	kshimctl replay --seed 0 > /dev/null 2>&1
	assert_eq "seed 0 restores the plain program" "$plain" "$(sha256sum < prog)"
}

test_diff_names_the_seed() {
	twin
	kshimctl replay --seed 4 > /dev/null 2>&1
	kshimctl diff -v last~1 last > out
	assert_contains "reason" "$(cat out)" "vm.o: seed (layout moved)"
	assert_contains "seeds" "$(cat out)" "layout seed: 0 -> 4"
	assert_contains "the program follows" "$(cat out)" "prog: inputs (layout moved)"
}

test_response_file_links_are_padded() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/layout.ini
	make -s -f objs.mk CC=kshim LD=kshim-ld vm.a > /dev/null
	# many more elements in the @file than on the command line
	{ for i in $(seq 1 200); do echo "-z noexecstack"; done; echo "--whole-archive vm.a --no-whole-archive"; } > args
	KSHIM_SEED=4 kshim-ld -r -o rsp.o @args
	assert_eq "linked" 0 "$?"
	assert_eq "padded" pad-v1 "$(relink_record | jq -r .layout.method)"
	assert_eq "members expanded from the @file's archive" 4 "$(relink_record | jq .layout.members)"
	KSHIM_SEED=4 kshim-ld -r -o plain.o --whole-archive vm.a --no-whole-archive
	assert_eq "same bytes as without the @file" "$(sha256sum < plain.o)" "$(sha256sum < rsp.o)"
}

test_emit_and_merge() {
	twin
	kshimctl sweep --emit --seeds 3-5 --test ./prog > cmds
	assert_eq "one command per seed" 3 "$(wc -l < cmds)"
	assert_contains "self-contained" "$(head -n 1 cmds)" "cd $PWD && kshimctl sweep --dir $PWD/.kshim --seeds 3 --test ./prog"
	bash cmds > /dev/null 2>&1
	kshimctl sweep --merge --results all.json .kshim/sweep-seed-*.json > table
	assert_eq "merged" 3 "$(jq '.seeds | length' all.json)"
	assert_contains "table" "$(cat table)" "(3 seeds)"
}

test_reverse_and_shuffle_permute_members_after_the_heads() {
	twin
	sed -i 's/layout = pad/layout = reverse/' layout.ini
	rm -f vm.o
	KSHIM_SEED=1 make -s CC=kshim LD=kshim-ld > /dev/null
	assert_eq "reversed after head.o" "head.o main.o end.o hooks.o" \
		"$(relink_record | jq -r '.argv_run | .[index("--whole-archive") + 1 : index("--no-whole-archive")] | join(" ")')"
	sed -i 's/layout = reverse/layout = shuffle:*n*.o/' layout.ini
	local a b
	rm -f vm.o; KSHIM_SEED=3 make -s CC=kshim LD=kshim-ld > /dev/null
	a=$(relink_record | jq -c .argv_run)
	rm -f vm.o; KSHIM_SEED=3 make -s CC=kshim LD=kshim-ld > /dev/null
	b=$(relink_record | jq -c .argv_run)
	assert_eq "same seed, same order" "$a" "$b"
	assert_eq "only end.o and main.o move; hooks.o stays second" hooks.o "$(echo "$a" | jq -r '.[index("--whole-archive") + 2]')"
	assert_eq "moved" 2 "$(relink_record | jq .layout.moved)"
}

test_errors_say_what_and_where() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19
	clang-19 -c -o hooks.o hooks.c && clang-19 -c -o end.o end.c
	printf '[rule r]\nrole = cc\nlayout = pad\n' > bad1.ini
	KSHIM_RULES=$PWD/bad1.ini kshim-ld -r -o x.o hooks.o 2> err
	assert_eq "layout on cc: error" 125 "$?"
	assert_contains "file:line" "$(cat err)" "bad1.ini:3: rule 'r': 'layout' acts on links: it needs 'role = ld'"
	printf '[rule r]\nrole = ld\nlayout = sideways\n' > bad2.ini
	KSHIM_RULES=$PWD/bad2.ini kshim-ld -r -o x.o hooks.o 2> err
	assert_eq "bad value" 125 "$?"
	assert_contains "names it" "$(cat err)" "bad2.ini:3: layout: 'sideways': expected pad, shuffle, shuffle:GLOB or reverse"
	printf '[rule r]\nrole = ld\nlayout = pad\n' > any.ini
	KSHIM_SEED=abc KSHIM_RULES=$PWD/any.ini kshim-ld -r -o x.o hooks.o 2> err
	assert_eq "bad seed" 125 "$?"
	assert_contains "origin" "$(cat err)" "env KSHIM_SEED: seed 'abc' is not a decimal number"
	KSHIM_SEED=3 KSHIM_RULES=$PWD/any.ini kshim-ld -r -o x.o hooks.o end.o 2> err
	assert_eq "ld -r without a thin archive" 125 "$?"
	assert_contains "never skipped silently" "$(cat err)" "any.ini:3: rule 'r': layout = pad at 'ld -r' needs a thin archive"
	[ ! -e x.o ] || fail "the link ran anyway"
	KSHIM_SEED=3 KSHIM_RULES=$PWD/any.ini kshim-ld -e 0 -o x hooks.o end.o 2> err
	assert_eq "final link, lld 19" 125 "$?"
	assert_contains "no option" "$(cat err)" "has no --randomize-section-padding (lld >= 20)"
	# an lld that has the option gets it (a stand-in: Debian has no lld 20)
	cat > ld.lld-20 <<'FAKE'
#!/bin/sh
[ "$1" = --version ] && { echo "LLD 20.1.2 (compatible with GNU linkers)"; exit 0; }
printf '%s\n' "$@" > "$(dirname "$0")/lld20.argv"
FAKE
	chmod +x ld.lld-20
	KSHIM_LD=$PWD/ld.lld-20 KSHIM_SEED=42 KSHIM_RULES=$PWD/any.ini kshim-ld -o x hooks.o end.o
	assert_eq "lld 20: ran" 0 "$?"
	assert_contains "option passed" "$(cat lld20.argv)" "--randomize-section-padding=42"
	printf '[rule a]\nrole = ld\nlayout = pad\n[rule b]\nrole = ld\nlayout = reverse\n' > two.ini
	KSHIM_SEED=1 KSHIM_RULES=$PWD/two.ini kshim-ld -r -o x.o hooks.o 2> err
	assert_eq "two layouts" 125 "$?"
	assert_contains "both named" "$(cat err)" "two.ini:6: rule 'b': a second layout for this call (the first: rule 'a' at"
	mkdir empty && cd empty && kshimctl make -- -s -f /dev/null > /dev/null 2>&1
	kshimctl sweep --seeds 1 --test true 2> err
	assert_eq "no layout build" 2 "$?"
	assert_contains "says what to do" "$(cat err)" "no call in the log had a layout rule"
}

run_tests
