#!/bin/bash
# Real-tool resolution: env, config, kbuild's LLVM, PATH, and the recursion guard.
. "$(dirname "$0")/../lib.sh"

tool_of_last() { records | tail -n 1 | jq -r .tool; }

test_llvm_suffix_and_prefix() {
	LLVM=-19 kshim --version > /dev/null
	assert_eq "LLVM=-19" /usr/bin/clang-19 "$(tool_of_last)"
	LLVM=/usr/lib/llvm-19/bin/ kshim --version > /dev/null
	assert_eq "LLVM=prefix" /usr/lib/llvm-19/bin/clang "$(tool_of_last)"
	LLVM=-19 kshim-ld --version > /dev/null
	assert_eq "ld LLVM=-19" /usr/bin/ld.lld-19 "$(tool_of_last)"
}

test_env_beats_config_beats_llvm() {
	make_fake ./envtool
	make_fake ./cfgtool
	printf '[tools]\ncc = %s/cfgtool\n' "$T" > cfg.ini
	KSHIM_CONFIG=$T/cfg.ini LLVM=-19 kshim -c x.c
	assert_eq config "$T/cfgtool" "$(tool_of_last)"
	KSHIM_CC=$T/envtool KSHIM_CONFIG=$T/cfg.ini LLVM=-19 kshim -c x.c
	assert_eq env "$T/envtool" "$(tool_of_last)"
}

test_clang_symlink_to_kshim_on_path_is_skipped() {
	mkdir bin
	ln -s "$KSHIM_BIN/kshim" bin/clang-19
	printf 'int main(void){return 0;}\n' > a.c
	PATH=$T/bin:/usr/bin:/bin clang-19 -c a.c -o a.o
	[ -s a.o ] || fail "no object"
	assert_eq "found the real one" /usr/bin/clang-19 "$(tool_of_last)"
}

test_only_kshim_on_path_is_recursion_error() {
	mkdir bin
	ln -s "$KSHIM_BIN/kshim" bin/clang-19
	start=$(date +%s)
	PATH=$T/bin /usr/bin/timeout 10 "$T/bin/clang-19" -c a.c 2> err
	rc=$?
	assert_eq status 125 "$rc"
	assert_contains "message" "$(cat err)" "recursive invocation"
	[ $(( $(date +%s) - start )) -lt 5 ] || fail "took too long: a loop?"
}

test_env_pointing_at_kshim_is_recursion_error() {
	KSHIM_CC=$KSHIM_BIN/kshim kshim -c a.c 2> err
	assert_eq status 125 "$?"
	assert_contains "message" "$(cat err)" "recursive invocation"
}

test_kshim_wrapper_script_loop_is_stopped() {
	# a "compiler" that calls kshim again: the depth guard stops it
	printf '#!/bin/sh\nexec kshim "$@"\n' > loop
	chmod +x loop
	KSHIM_CC=$T/loop timeout 20 kshim -c a.c 2> err
	rc=$?
	[ "$rc" -ne 124 ] || fail "looped until timeout"
	assert_contains "message" "$(cat err)" "recursive invocation"
}

test_missing_tool_is_clear_error() {
	KSHIM_CC=/nonexistent/clang kshim -c a.c 2> err
	assert_eq status 125 "$?"
	assert_contains "message" "$(cat err)" "/nonexistent/clang"
	LLVM=-99 PATH=/usr/bin:/bin "$KSHIM_BIN/kshim" -c a.c 2> err
	assert_eq status 125 "$?"
	assert_contains "message" "$(cat err)" "clang-99"
}

test_objtool_from_build_dir() {
	mkdir -p tools/objtool
	make_fake tools/objtool/objtool
	FAKE_ARGV=$T/argv kshim-objtool --orc x.o
	assert_eq status 0 "$?"
	assert_eq tool "$T/tools/objtool/objtool" "$(tool_of_last)"
	assert_eq argv "--orc x.o" "$(tr '\n' ' ' < argv | sed 's/ $//')"
}

test_bad_config_stops_the_call() {
	make_fake ./fake
	printf '[tools]\ncc = %s/fake\nbogus = 1\n' "$T" > cfg.ini
	KSHIM_CONFIG=$T/cfg.ini kshim -c x.c 2> err
	assert_eq status 125 "$?"
	assert_contains "file:line" "$(cat err)" "cfg.ini:3: unknown key 'bogus'"
	chmod o+w cfg.ini
	KSHIM_CONFIG=$T/cfg.ini kshim -c x.c 2> err
	assert_contains "unsafe" "$(cat err)" "world-writable"
}

run_tests
