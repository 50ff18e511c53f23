#!/bin/bash
# The rule engine: bad rule files (golden), actions, probes, the record,
# kshimctl rules check|test, explain, stale --invalidate, launchers.
. "$(dirname "$0")/../lib.sh"
GOLDEN=$KSHIM_TESTS/golden/rules
export LLVM=-19

# A user who turned every rule off: an empty file or one of comments only is zero rules, not an error.
test_empty_and_comment_only_files_are_zero_rules() {
	make_fake ./fake
	: > empty.ini
	printf '; every rule turned off\n# [rule old]\n;add = -O1\n\n' > off.ini
	FAKE_ARGV=$T/ran KSHIM_CC=$T/fake KSHIM_RULES=$T/empty.ini:$T/off.ini kshim -c x.c 2> err
	assert_eq "status" 0 "$?"
	assert_eq "the tool ran, argv untouched" "-c x.c" "$(tr '\n' ' ' < ran | sed 's/ $//')"
	assert_file_empty err
	KSHIM_VERBOSE=1 KSHIM_CC=$T/fake KSHIM_RULES=$T/off.ini kshim -c x.c 2> err
	assert_contains "verbose says so" "$(cat err)" "off.ini: no rules (the file holds only comments or nothing)"
	kshimctl rules check --no-tool "$T/empty.ini" "$T/off.ini" > out 2>&1
	assert_eq "rules check: fine" 0 "$?"
}

test_bad_rule_files_stop_the_call_golden() {
	make_fake ./fake
	cp "$GOLDEN"/*.ini .
	{ printf '[rule a]\nrole = cc\nadd = '; head -c 1048576 /dev/zero | tr '\0' x; printf '\n'; } > long-line.ini
	mkdir directory-as-file.ini
	n=0
	for err in "$GOLDEN"/*.err; do
		name=$(basename "$err" .err)
		rm -f ran
		FAKE_ARGV=$T/ran KSHIM_CC=$T/fake KSHIM_RULES=$T/$name.ini kshim -c x.c 2> got
		rc=$?
		sed -i "s|$T/||g" got
		assert_eq "$name: status" 125 "$rc"
		diff -u "$err" <(head -n 1 got) || fail "$name: message differs from the golden file"
		[ ! -e ran ] || fail "$name: the real tool ran with a broken rule file"
		# rules check says the same and exits non-zero
		kshimctl rules check --no-tool "$T/$name.ini" > /dev/null 2> chk
		assert_eq "$name: rules check status" 1 "$?"
		grep -qF "$(sed 's/^kshim: error: //' "$err" | head -n 1)" <(sed "s|$T/||g" chk) || fail "$name: rules check: $(cat chk)"
		n=$((n + 1))
	done
	echo "$n bad rule files, each stopped the call with file:line"
	[ "$n" -ge 15 ] || fail "only $n golden cases"
}

test_one_bad_file_among_good_ones_runs_nothing() {
	make_fake ./fake
	printf '[rule good]\nrole = cc\nadd = -DGOOD\n' > good.ini
	printf '[rule bad]\nrole = cc\nadd = -DBAD\nbogus = 1\n' > bad.ini
	FAKE_ARGV=$T/ran KSHIM_CC=$T/fake KSHIM_RULES=$T/good.ini:$T/bad.ini kshim -c x.c 2> err
	assert_eq status 125 "$?"
	[ ! -e ran ] || fail "the tool ran with a partial rule set"
	KSHIM_RULES=$T/good.ini:$T/missing.ini kshim -c x.c 2> err
	assert_eq "missing file" 125 "$?"
	assert_contains "missing file message" "$(cat err)" "missing.ini"
}

test_actions_reach_the_tool() {
	make_fake ./fake
	cat > r.ini <<'R'
[rule one]
role = cc
add = -DLAST
add-front = -DFIRST
remove = -fmerge-all-constants -meabi -Wno-*
replace = -O2 => -O1
env = KSHIM_TEST_ENV=yes -HOME

[rule two]
; sees the argv rule one left: -O1, not -O2
role = cc
has = -O1
replace = -O1 => -Os
R
	FAKE_ARGV=$T/argv KSHIM_CC=$T/fake KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -O2 -fmerge-all-constants \
		-meabi gnu -Wno-unused -Wno-foo -c x.c -o x.o
	assert_eq argv "-DFIRST -D__KERNEL__ -Os -c x.c -o x.o -DLAST" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	rec=$(records | tail -n 1)
	assert_eq "rules in record" "one two" "$(echo "$rec" | jq -r '[.rules[].rule] | join(" ")')"
	assert_eq "removed with its argument" '["-meabi","gnu"]' "$(echo "$rec" | jq -c '.rules[0].changes[] | select(.op == "remove") | .args[1]')"
	assert_eq "file:line of the replace" "$T/r.ini:6" "$(echo "$rec" | jq -r '.rules[0].changes[] | select(.op == "replace") | .at')"
	# env reached the tool
	printf '#!/bin/sh\necho "E=$KSHIM_TEST_ENV H=${HOME-unset}" > %s/env\n' "$T" > envtool; chmod +x envtool
	KSHIM_CC=$T/envtool KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -c x.c
	assert_eq env "E=yes H=unset" "$(cat env)"
	# and only the tool's environment: a host compile (rule does not match) keeps HOME
	KSHIM_CC=$T/envtool KSHIM_RULES=$T/r.ini kshim -c x.c
	assert_eq "env of a non-matching call" "E= H=$HOME" "$(cat env)"
}

test_probes_untouched_unless_asked() {
	make_fake ./fake
	printf '[rule a]\nrole = cc\nadd = -DADDED\n' > r.ini
	FAKE_ARGV=$T/argv KSHIM_CC=$T/fake KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -c -x c /dev/null -o .tmp_1/tmp
	grep -q ADDED argv && fail "a probe was rewritten"
	printf '[rule a]\nrole = cc\nprobes = yes\nadd = -DADDED\n' > r.ini
	FAKE_ARGV=$T/argv KSHIM_CC=$T/fake KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -c -x c /dev/null -o .tmp_1/tmp
	grep -q ADDED argv || fail "probes = yes did not apply"
	printf '[rule a]\nrole = cc\nprobes = only\nadd = -DADDED\n' > r.ini
	FAKE_ARGV=$T/argv KSHIM_CC=$T/fake KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -c x.c -o x.o
	grep -q ADDED argv && fail "probes = only applied to a real call"
	true
}

test_conditions() {
	make_fake ./fake
	cat > r.ini <<'R'
[rule out]
output = kernel/**.o
add = -DOUT
[rule src]
source = drivers/gpu/**
add = -DSRC
[rule lacks]
role = cc
lacks = -fno-foo
add = -DLACKS
[rule tool-new]
tool = clang >= 19
add = -DNEW
[rule tool-old]
tool = clang < 6.0.1
add = -DOLD
[rule arm]
arch = arm
add = -DARM
[rule host]
role = hostcc
add = -DHOST
R
	run() { FAKE_ARGV=$T/argv KSHIM_RULES=$T/r.ini kshim "$@"; tr '\n' ' ' < argv; }
	out=$(KSHIM_CC=$T/fake run -D__KERNEL__ -c kernel/sched/core.c -o kernel/sched/core.o)
	assert_contains out "$out" -DOUT
	assert_contains lacks "$out" -DLACKS
	case $out in *-DSRC*|*-DARM*|*-DHOST*) fail "wrong rule matched: $out" ;; esac
	out=$(KSHIM_CC=$T/fake run --target=arm-linux-gnueabi -fno-foo -c drivers/gpu/x.c -o drivers/gpu/x.o)
	assert_contains src "$out" -DSRC
	assert_contains arm "$out" -DARM
	case $out in *-DLACKS*|*-DOUT*) fail "wrong rule matched: $out" ;; esac
	out=$(KSHIM_CC=$T/fake run -c tool.c -o tool.o)
	assert_contains host "$out" -DHOST
	# tool version: the real clang-19 through a fake named clang-19 that records argv
	printf '#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/clang-19 --version\nprintf "%%s\\n" "$@" > %s/argv\n' "$T" > clang-19
	chmod +x clang-19
	out=$(KSHIM_CC=$T/clang-19 XDG_CACHE_HOME=$T/cache run -D__KERNEL__ -c a.c -o a.o)
	assert_contains "tool >= 19" "$out" -DNEW
	case $out in *-DOLD*) fail "tool < 6.0.1 matched clang 19" ;; esac
	# asked once, remembered with the binary's digest (toolid.h: ~/.cache/kshim/toolids)
	grep -q " $T/clang-19"$'\t'".*version 19\.1\.[0-9]*" cache/kshim/toolids || fail "version not cached: $(cat cache/kshim/toolids)"
}

test_linker_rule_swaps_only_the_relocatable_vmlinux_o() {
	printf 'int a(void){return 1;}\n' > a.c
	clang-19 -c a.c -o a.o
	KSHIM_RULES=$KSHIM_TESTS/../rules/mold-vmlinux-o.ini kshim-ld -r -o vmlinux.o a.o
	readelf -p .comment vmlinux.o | grep -q mold || fail "vmlinux.o not made by mold"
	KSHIM_RULES=$KSHIM_TESTS/../rules/mold-vmlinux-o.ini kshim-ld -r -o other.o vmlinux.o
	# other.o is no vmlinux.o: lld links it (the records say so; lld -r writes no .comment of its own)
	assert_eq "tools" "/usr/bin/mold /usr/bin/ld.lld-19" "$(records | jq -r .tool | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "resolved before the rule" /usr/bin/ld.lld-19 "$(records | head -n 1 | jq -r .tool_resolved)"
}

test_launcher_ccache() {
	command -v ccache > /dev/null || skip "no ccache"
	printf '[rule cache]\nrole = cc hostcc\nlauncher = ccache\nenv = CCACHE_DIR=%s/ccache\n' "$T" > r.ini
	printf 'int f(void){return 2;}\n' > f.c
	KSHIM_RULES=$T/r.ini kshim -c f.c -o f1.o
	KSHIM_RULES=$T/r.ini kshim -c f.c -o f2.o
	cmp f1.o f2.o || fail "objects differ"
	assert_eq "launcher recorded" /usr/bin/ccache "$(records | tail -n 1 | jq -r .launcher)"
	assert_eq "argv_run starts with the launcher" "/usr/bin/ccache /usr/bin/clang-19" "$(records | tail -n 1 | jq -r '.argv_run[0:2] | join(" ")')"
	hits=$(CCACHE_DIR=$T/ccache ccache --print-stats | awk '$1 ~ /direct_cache_hit|preprocessed_cache_hit/ {s += $2} END {print s + 0}')
	[ "$hits" -ge 1 ] || fail "the second compile was not a ccache hit"
}

test_rules_test_dry_run() {
	printf '[rule a]\nrole = cc\nreplace = -O2 => -O1\n[rule b]\nrole = ld\nadd = --x\n' > r.ini
	KSHIM_RULES=$T/r.ini kshimctl rules test -v -- kshim -D__KERNEL__ -O2 -c a.c -o a.o > out
	assert_contains runs "$(cat out)" "runs: /usr/bin/clang-19 -D__KERNEL__ -O1 -c a.c -o a.o"
	assert_contains change "$(cat out)" "[rule a, $T/r.ini:3]"
	assert_contains "not matched" "$(cat out)" "$T/r.ini:5: role: the call's role is cc"
	[ ! -e .kshim ] || fail "rules test wrote a log"
}

test_check_finds_undo_pairs_rejected_flags_and_dead_rules() {
	printf '[rule a]\nrole = cc\nadd = -fno-foo\n[rule b]\nrole = cc\nremove = -fno-*\n[rule c]\nrole = cc\nadd = -fthis-flag-does-not-exist\n[rule d]\noutput = nothing/**.o\nadd = -DX\n' > r.ini
	printf 'int x;\n' > a.c
	KSHIM_RULES=$T/r.ini kshim -c a.c -o a.o 2>/dev/null
	kshimctl rules check --against last "$T/r.ini" > out 2> err
	assert_eq status 1 "$?"
	assert_contains undo "$(cat out)" "r.ini:6: rule 'b' removes '-fno-foo' that rule 'a' ($T/r.ini:3) adds"
	assert_contains rejected "$(cat out)" "r.ini:9: rule 'c': clang-19 rejects it"
	assert_contains dead "$(cat out)" "r.ini:10: rule 'd' matches no call of build"
	kshimctl rules check --json --against last "$T/r.ini" > out.json 2> /dev/null
	assert_eq "--json: status" 1 "$?"
	assert_eq "--json: the findings by kind and line" true \
		"$(jq '[.findings[] | "\(.kind):\(.line)"] | contains(["dead:10", "rejected:9", "undo:6"])' out.json)"
	assert_eq "--json: as many as the text" "$(grep -c ': rule ' out)" "$(jq '.findings | length' out.json)"
	kshimctl rules check "$KSHIM_TESTS/../rules" > out 2>&1
	assert_eq "shipped rules are clean" 0 "$?"
}

test_explain() {
	printf '[rule no-o2]\nwhy = test\nrole = cc\nreplace = -O2 => -O1\n[rule gpu]\nrole = cc\nsource = drivers/gpu/**\nadd = -DGPU\n' > r.ini
	make_fake ./fake
	KSHIM_CC=$T/fake KSHIM_RULES=$T/r.ini kshim -D__KERNEL__ -O2 -c kernel/fork.c -o kernel/fork.o
	KSHIM_RULES=$T/r.ini kshimctl explain kernel/fork.o > out
	assert_contains maker "$(cat out)" "kernel/fork.o: cc compile by $T/fake"
	assert_contains change "$(cat out)" 'replace   [["-O2"]] => ["-O1"]   [rule no-o2, '"$T"'/r.ini:4]'
	assert_contains "first failed condition" "$(cat out)" "gpu                          $T/r.ini:7: source: no input matches"
	KSHIM_RULES=$T/r.ini kshimctl explain --json kernel/fork.o > out.json
	assert_eq "--json: the maker" "cc compile $T/fake" "$(jq -r '.calls[0] | "\(.role) \(.mode) \(.tool)"' out.json)"
	assert_eq "--json: the rule's change" "no-o2 $T/r.ini:4" "$(jq -r '.calls[0].rules[0] | "\(.rule) \(.changes[0].at)"' out.json)"
	assert_eq "--json: why gpu did not match" "$T/r.ini:7: source: no input matches" \
		"$(jq -r '.calls[0].not_matched[] | select(.rule == "gpu") | .why' out.json)"
	kshimctl explain nothing.o 2> err
	assert_eq "unknown output" 1 "$?"
}

test_stale_invalidates_exactly_what_a_rule_change_affects() {
	mkdir -p a b
	for f in a/x a/y b/z; do printf 'int %s(void){return 0;}\n' "${f#*/}" > $f.c; done
	cat > Makefile <<'MK'
OBJS := a/x.o a/y.o b/z.o
lib.o: $(OBJS)
	$(LD) -r -o $@ $^
%.o: %.c
	$(CC) -D__KERNEL__ -c -o $@ $<
MK
	printf '[rule a-dir]\nrole = cc\noutput = a/*.o\nadd = -DV1\n' > r.ini
	export KSHIM_RULES=$T/r.ini
	make -s CC=kshim LD=kshim-ld > /dev/null || fail "first build"
	kshimctl stale > out 2> err
	assert_eq "nothing stale yet" "" "$(cat out)"
	printf '[rule a-dir]\nrole = cc\noutput = a/*.o\nadd = -DV2\n' > r.ini
	kshimctl stale > out 2> err
	assert_eq "stale list" "a/x.o a/y.o" "$(cut -f1 out | sort | tr '\n' ' ' | sed 's/ $//')"
	kshimctl stale --json > out.json 2> err
	assert_eq "--json" "a/x.o a/y.o" "$(jq -r '[.[].output] | sort | join(" ")' out.json)"
	assert_eq "--json: why" 2 "$(jq '[.[] | select(.why | length > 0)] | length' out.json)"
	before=$(count_records)
	make -s CC=kshim LD=kshim-ld > /dev/null
	assert_eq "without stale, make runs nothing: no new records" "$before" "$(count_records)"
	kshimctl stale --invalidate > /dev/null 2> err
	assert_contains removed "$(cat err)" "removed 2"
	make -s CC=kshim LD=kshim-ld > /dev/null
	assert_eq "rebuilt exactly" "a/x.o a/y.o lib.o" "$(kshimctl log -b last --json | jq -r '.outputs[0]' | sort | tr '\n' ' ' | sed 's/ $//')"
	kshimctl log -b last --json | jq -r '.argv_run | join(" ")' | grep -q -- "-DV2" || fail "rebuilt without the new rule"
	assert_eq "now clean" "" "$(kshimctl stale 2>/dev/null)"
}

test_project_local_rules_need_trust() {
	make_fake ./fake
	export XDG_CONFIG_HOME=$T/cfg KSHIM_CC=$T/fake FAKE_ARGV=$T/argv
	mkdir -p .kshim/rules.d
	printf '[rule local]\nrole = cc hostcc\nadd = -fplugin=%s/evil.so\n' "$T" > .kshim/rules.d/a.ini
	# untrusted: not applied, said once per build, named in every record
	KSHIM_BUILD=b1 kshim -c x.c -o x.o 2> err1
	assert_eq "untrusted status" 0 "$?"
	assert_eq "untrusted argv" "-c x.c -o x.o" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	assert_contains "warning" "$(cat err1)" "ignoring 1 project-local rule file that you have not trusted"
	KSHIM_BUILD=b1 kshim -c y.c -o y.o 2> err2
	assert_file_empty err2
	assert_eq "record names it" "$T/.kshim/rules.d/a.ini" "$(records | tail -n 1 | jq -r '.rules_untrusted[0]')"
	# a world-writable untrusted file is ignored too, not an error that stops the build
	chmod o+w .kshim/rules.d/a.ini
	KSHIM_BUILD=b1 kshim -c x.c -o x.o 2> /dev/null
	assert_eq "world-writable untrusted" 0 "$?"
	chmod o-w .kshim/rules.d/a.ini
	# trusted: applied; the store is outside the tree
	kshimctl trust > out
	assert_eq "trust status" 0 "$?"
	assert_contains "trust output" "$(cat out)" "(1 rule: local)"
	grep -q "^sha256:[0-9a-f]\{64\}  $T/.kshim/rules.d/a.ini\$" cfg/kshim/trusted || fail "store: $(cat cfg/kshim/trusted)"
	KSHIM_BUILD=b2 kshim -c x.c -o x.o 2> err3
	assert_file_empty err3
	assert_eq "trusted argv" "-c x.c -o x.o -fplugin=$T/evil.so" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	assert_eq "record rule" "local" "$(records | tail -n 1 | jq -r '.rules[0].rule')"
	assert_eq "list" "ok" "$(kshimctl trust --list | awk '{print $3}')"
	# changed bytes: untrusted again at once
	sed -i 's/evil/worse/' .kshim/rules.d/a.ini
	KSHIM_BUILD=b3 kshim -c x.c -o x.o 2> err4
	assert_eq "changed argv" "-c x.c -o x.o" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	assert_contains "changed warning" "$(cat err4)" "not trusted"
	assert_contains "list changed" "$(kshimctl trust --list)" "changed"
	assert_eq "list --json" "changed" "$(kshimctl trust --list --json | jq -r '.[0].state')"
	# a trusted file that became world-writable is refused: the call stops
	kshimctl trust .kshim/rules.d > /dev/null
	chmod o+w .kshim/rules.d/a.ini
	KSHIM_BUILD=b4 kshim -c x.c -o x.o 2> err5
	assert_eq "trusted but world-writable" 125 "$?"
	assert_contains "refused" "$(cat err5)" "a.ini: refusing to read: file is world-writable"
	chmod o-w .kshim/rules.d/a.ini
	# revoke; a broken file cannot be trusted
	kshimctl trust --revoke > /dev/null
	KSHIM_BUILD=b5 kshim -c x.c -o x.o 2> /dev/null
	assert_eq "revoked argv" "-c x.c -o x.o" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	printf '[rule broken]\nbogus = 1\n' > .kshim/rules.d/b.ini
	kshimctl trust 2> err6
	assert_eq "trust a broken file" 2 "$?"
	assert_contains "says where" "$(cat err6)" "b.ini:2: unknown key 'bogus'"
	# kshimctl rules test sees what kshim would see here
	rm .kshim/rules.d/b.ini
	kshimctl trust > /dev/null
	assert_contains "rules test" "$(kshimctl rules test -- kshim -c x.c -o x.o)" "-fplugin=$T/worse.so"
	# a damaged store says file:line and stops the call (it may hold the trust the build relies on)
	echo "sha256:abc /x" >> cfg/kshim/trusted
	KSHIM_BUILD=b6 kshim -c x.c -o x.o 2> err7
	assert_eq "damaged store" 125 "$?"
	assert_contains "store line" "$(cat err7)" "cfg/kshim/trusted:$(wc -l < cfg/kshim/trusted): malformed entry"
}

test_parsed_rule_cache_follows_the_files() {
	make_fake ./fake
	export KSHIM_CC=$T/fake FAKE_ARGV=$T/argv KSHIM_VERBOSE=1
	mkdir rules
	printf '[rule a]\nrole = hostcc\nadd = -DA1\n' > rules/a.ini
	printf '[rule b]\nrole = hostcc\nadd = -DB1\n' > rules/b.ini
	export KSHIM_RULES=$T/rules
	# a file younger than 2 s is not cached (same-tick edits would look alike)
	kshim -c x.c 2> v0
	[ ! -d .cache/kshim/rules ] || [ -z "$(ls "$XDG_CACHE_HOME"/kshim/rules)" ] || fail "cached a racy file"
	sleep 3
	kshim -c x.c 2> v1
	[ -n "$(ls "$XDG_CACHE_HOME"/kshim/rules)" ] || fail "nothing cached"
	kshim -c x.c 2> v2
	assert_contains "second call reads the cache" "$(cat v2)" "(rules from cache)"
	assert_eq "argv from cache" "-c x.c -DA1 -DB1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	# same size, new bytes: the very next call sees them
	sed -i 's/A1/A2/' rules/a.ini
	kshim -c x.c 2> v3
	assert_eq "edited file" "-c x.c -DA2 -DB1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	# a file added to or removed from the directory
	printf '[rule c]\nrole = hostcc\nadd = -DC1\n' > rules/c.ini
	kshim -c x.c 2> /dev/null
	assert_eq "added file" "-c x.c -DA2 -DB1 -DC1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	rm rules/b.ini
	kshim -c x.c 2> /dev/null
	assert_eq "removed file" "-c x.c -DA2 -DC1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	# a damaged cache entry is a miss, never a wrong rule set or a crash
	sleep 3
	kshim -c x.c 2> /dev/null
	kshim -c x.c 2> v4
	assert_contains "cached again" "$(cat v4)" "(rules from cache)"
	for f in "$XDG_CACHE_HOME"/kshim/rules/*; do
		size=$(stat -c %s "$f")
		printf 'X' | dd of="$f" bs=1 seek=$((size - 9)) conv=notrunc 2> /dev/null
	done
	kshim -c x.c 2> v5
	assert_eq "flipped byte" 0 "$?"
	assert_eq "flipped byte argv" "-c x.c -DA2 -DC1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	case "$(cat v5)" in *"(rules from cache)"*) fail "used a damaged cache entry" ;; esac
	for f in "$XDG_CACHE_HOME"/kshim/rules/*; do truncate -s 100 "$f"; done
	kshim -c x.c 2> /dev/null
	assert_eq "truncated argv" "-c x.c -DA2 -DC1" "$(tr '\n' ' ' < argv | sed 's/ $//')"
	# a broken rule file is reported even when a good version was cached
	printf '[rule a]\nrole = hostcc\nadd = -DA3\nbogus = 1\n' > rules/a.ini
	kshim -c x.c 2> err
	assert_eq "broken after cached" 125 "$?"
	assert_contains "broken message" "$(cat err)" "a.ini:4: unknown key 'bogus'"
}

run_tests
