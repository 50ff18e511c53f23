#!/bin/bash
# libkshim-preload.so: every exec-family entry point routes known tools through
# kshim with argv, exit status and errno exact; env -i; shells, Python, make -j;
# --all-execs records; static programs noted once; kshimctl make.
. "$(dirname "$0")/../lib.sh"
PROBE=$KSHIM_BIN/tests/execprobe
FAKE=$KSHIM_BIN/tests/faketool
ENTRIES="execve execv execvp execvpe execl execlp execle posix_spawn posix_spawnp fexecve execveat"

# the environment kshimctl make sets up, with the log in $T/.kshim
preload_env() {
	export LD_PRELOAD=$KSHIM_BIN/libkshim-preload.so KSHIM_PRELOAD_BIN=$KSHIM_BIN KSHIM_DIR=$T/.kshim
	export KSHIM_BUILD=${KSHIM_BUILD:-pl}
}

tools_dir() {	# tools/objtool/objtool, bin/ld.lld and bin/notatool: the fake tool under those names
	mkdir -p tools/objtool bin
	cp "$FAKE" tools/objtool/objtool
	cp "$FAKE" bin/ld.lld
	cp "$FAKE" bin/notatool
}

test_every_entry_point_routes_with_exact_argv_and_status() {
	tools_dir
	preload_env
	n=0
	for e in $ENTRIES; do
		prog=$T/tools/objtool/objtool
		case $e in execvp|execvpe|execlp|posix_spawnp) prog=objtool; export PATH=$T/tools/objtool:$PATH ;; esac
		before=$(count_records)
		FAKE_ARGV=$T/argv FAKE_EXIT=7 "$PROBE" "$e" "$prog" --arg "two words" > out
		assert_eq "$e: exit status" 7 "$?"
		assert_eq "$e: one more record" $((before + 1)) "$(count_records)"
		rec=$(records | tail -n 1)
		assert_eq "$e: role" objtool "$(echo "$rec" | jq -r .role)"
		assert_eq "$e: tool run" "$T/tools/objtool/objtool" "$(echo "$rec" | jq -r .tool)"
		assert_eq "$e: exit recorded" 7 "$(echo "$rec" | jq -r .exit)"
		# the tool's own argv: argv[0] is the real path (kshim runs it), then the arguments exactly
		assert_eq "$e: argv" "--arg|two words" "$(tail -n +2 argv | paste -sd'|')"
		n=$((n + 1))
	done
	echo "$n entry points routed"
}

test_errno_exact_on_failure() {
	tools_dir
	preload_env
	mkdir -p noexec
	printf 'not a program\n' > noexec/objtool
	chmod 644 noexec/objtool
	for e in $ENTRIES; do
		case $e in fexecve|execveat) continue ;; esac	# they fail at open(), before any exec
		for prog in "$T/missing/objtool" "$T/noexec/objtool"; do
			want=$(LD_PRELOAD= "$PROBE" "$e" "$prog")
			got=$("$PROBE" "$e" "$prog")
			assert_eq "$e $prog: status" 99 "$?"
			assert_eq "$e $prog: errno" "$want" "$got"
		done
	done
	# fexecve/execveat of a descriptor that is not executable
	for e in fexecve execveat; do
		want=$(LD_PRELOAD= "$PROBE" "$e" "$T/noexec/objtool")
		assert_eq "$e: errno" "$want" "$("$PROBE" "$e" "$T/noexec/objtool")"
	done
	assert_eq "no records for failed execs" 0 "$(count_records 2> /dev/null || echo 0)"
}

test_other_programs_pass_through_untouched() {
	tools_dir
	preload_env
	for e in $ENTRIES; do
		prog=$T/bin/notatool
		case $e in execvp|execvpe|execlp|posix_spawnp) prog=notatool; export PATH=$T/bin:$PATH ;; esac
		FAKE_ARGV=$T/argv FAKE_EXIT=3 "$PROBE" "$e" "$prog" a b > /dev/null
		assert_eq "$e: status" 3 "$?"
		assert_eq "$e: argv[0] kept" "$prog" "$(head -n 1 argv)"
	done
	[ ! -s .kshim/log.jsonl ] || fail "records for programs that are not tools: $(cat .kshim/log.jsonl)"
}

test_env_cleared_by_the_parent_is_put_back() {
	tools_dir
	preload_env
	# (ASAN_OPTIONS only for the sanitizer build of kshim, which needs it)
	env -i PATH=/usr/bin:/bin FAKE_ARGV=$T/argv ASAN_OPTIONS="$ASAN_OPTIONS" sh -c "$T/tools/objtool/objtool --x"
	assert_eq "routed under env -i" 1 "$(count_records)"
	# and a child that unset only LD_PRELOAD
	env -u LD_PRELOAD sh -c "$T/tools/objtool/objtool --y"
	assert_eq "routed after unset" 2 "$(count_records)"
	# KSHIM_* longer than the library's static store (1 KB): kept in a mapping, all put back
	export KSHIM_LONG_NOTE=$(head -c 5000 /dev/zero | tr '\0' x)
	env -i PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" sh -c "$T/tools/objtool/objtool --z; env" > env.out
	assert_eq "routed with long KSHIM_ variables" 3 "$(count_records)"
	assert_eq "long variable put back" "$KSHIM_LONG_NOTE" "$(sed -n 's/^KSHIM_LONG_NOTE=//p' env.out)"
	assert_eq "KSHIM_DIR put back" "$KSHIM_DIR" "$(sed -n 's/^KSHIM_DIR=//p' env.out)"
}

test_shells_python_and_make_j() {
	tools_dir
	preload_env
	export PATH=$T/bin:$PATH
	for sh in bash dash; do
		"$sh" -c "$T/tools/objtool/objtool --$sh; ld.lld -r -o $sh.o x.o"
	done
	python3 -c "
import subprocess, sys
subprocess.run(['$T/tools/objtool/objtool', '--python'], check=True)
subprocess.run(['ld.lld', '-r', '-o', 'py.o', 'x.o'], check=True)"
	printf 'all: $(addprefix t,1 2 3 4 5 6 7 8)\nt%%:\n\t%s --make$*\n' "$T/tools/objtool/objtool" > Makefile
	make -s -j4
	# bash, dash, python and 8 make jobs
	assert_eq "objtool records" 11 "$(records | jq -r 'select(.role == "objtool")' | jq -s length)"
	assert_eq "ld records" 3 "$(records | jq -r 'select(.role == "ld")' | jq -s length)"
	assert_eq "ld tool" "$T/bin/ld.lld" "$(records | jq -r 'select(.role == "ld") | .tool' | sort -u)"
}

test_all_execs_and_static_programs() {
	command -v busybox > /dev/null || skip "no busybox"
	tools_dir
	preload_env
	export KSHIM_ALL_EXECS=1
	# (this shell is not under the preload: the programs that sh runs are)
	sh -c "echo hi | cat > /dev/null; $T/tools/objtool/objtool --z; busybox true; busybox true"
	assert_eq "exit passes through" 0 "$?"
	execs=$(kshimctl log --dir .kshim --execs --json | jq -r 'select(.type == "exec") | .argv[0]' | sort | paste -sd' ')
	assert_eq "exec records" "busybox busybox cat" "$execs"
	assert_eq "the tool still a call" 1 "$(records | jq -r 'select(.type == "call") | .role' | wc -l)"
	assert_eq "static noted once per build" 1 "$(grep -c '"type":"preload"' .kshim/log.jsonl)"
	assert_contains "why" "$(kshimctl log --dir .kshim)" "preload not intercepted: $(command -v busybox): statically linked"
	KSHIM_BUILD=other sh -c "busybox true"
	assert_eq "noted again in another build" 2 "$(grep -c '"type":"preload"' .kshim/log.jsonl)"
	# failures pass through, and are recorded
	sh -c 'sh -c "exit 5"'
	assert_eq "exit status" 5 "$?"
	assert_eq "failed exec recorded" 5 "$(kshimctl log --dir .kshim --execs --json | jq -r 'select(.type == "exec") | .exit' | tail -n 1)"
}

test_a_tools_own_execs_are_not_calls() {
	# clang runs itself (-cc1as for a .S file, temporary files in /tmp) and ld.lld for a link:
	# through the preload those are clang's internals, not calls of the build
	preload_env
	export KSHIM_ALL_EXECS=1 LLVM=-19
	printf '.text\nnop\n' > a.S
	printf 'int main(void) { return 0; }\n' > p.c
	sh -c "clang-19 -c a.S -o a.o && clang-19 -fuse-ld=lld -o p p.c"
	assert_eq status 0 "$?"
	assert_eq "calls" "a.o p" "$(records | jq -r 'select(.type == "call") | .outputs[0]' | paste -sd' ')"
	assert_eq "no exec records inside clang" 0 "$(records | jq -r 'select(.type == "exec")' | jq -s length)"
}

test_kshimctl_make_routes_objtool_without_the_variable() {
	tools_dir
	printf 'all:\n\t./tools/objtool/objtool --check x.o\n\techo $(objtool)-unset\n' > Makefile
	kshimctl make --all-execs -- -s > out 2> err
	assert_eq status 0 "$?"
	assert_eq "no objtool= on make's command line" "-unset" "$(cat out)"
	assert_eq "objtool record" "objtool" "$(records | jq -r .role | sort -u)"
	assert_eq "the make argv has no objtool=" 0 "$(kshimctl log --dir .kshim --json --execs | jq -r 'select(.type=="exec") | .argv | join(" ")' | grep -c 'objtool=' || true)"
	kshimctl make --no-preload -- -s > out2 2> /dev/null
	assert_contains "--no-preload sets the variable" "$(cat out2)" "kshim-objtool-unset"
}

# --preload-only: no CC=/LD= on make's command line, so a tree made by plain make is relinked
# through kshim with nothing compiled again (the LTO e2e stage relinks its direct build this way).
test_preload_only_relinks_a_plain_tree_without_compiling() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	make -s CC=clang-19 LD=ld.lld-19 > /dev/null || fail "plain build"
	sha256sum *.o prog | grep -v ' vm.o$' > objs.sha
	rm vm.o
	KSHIM_RULES=$PWD/layout.ini kshimctl make --preload-only -- -s CC=clang-19 LD=ld.lld-19 > out 2> err
	assert_eq status 0 "$?"
	assert_eq "no compile: make saw the same commands" "" "$(records | jq -r 'select(.mode == "compile") | .outputs[0]')"
	assert_eq "the links went through kshim" "ld.lld-19 clang-19" "$(records | jq -r '.tool' | xargs -n1 basename | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "the make had no CC= or LD=" 0 "$(kshimctl log --dir .kshim --json --execs | jq -r 'select(.type == "build") | .argv // [] | join(" ")' | grep -c 'kshim-ld\|CC=/' || true)"
	sha256sum -c --quiet objs.sha || fail "the objects or the program changed"
	cmp -s <(sha256sum < vm.o) <(ld.lld-19 -r -o - --whole-archive vm.a --no-whole-archive --start-group lib.a --end-group | sha256sum) ||
		fail "vm.o differs from a direct link"
	# seeds remake it the same way: with CC= on make's command line every object would compile again
	KSHIM_RULES=$PWD/layout.ini kshimctl sweep --seeds 1-3 --test true > /dev/null 2> err || fail "sweep: $(cat err)"
	assert_eq "no compile in any seed" 0 "$(jq '[.seeds[].compiles] | add' .kshim/sweep.json)"
	assert_eq "three layouts" 3 "$(jq '[.seeds[].layout."vm.o".digest] | unique | length' .kshim/sweep.json)"
	# a later sweep starts from the last seed's relink, a build of the learned steps: the same way
	KSHIM_RULES=$PWD/layout.ini kshimctl sweep --seeds 4-5 --results s2.json --test true > /dev/null 2> err ||
		fail "second sweep: $(cat err)"
	assert_eq "no compile in the second sweep" 0 "$(jq '[.seeds[].compiles] | add' s2.json)"
	kshimctl make --preload-only --no-preload -- -s > /dev/null 2> err
	assert_eq "with --no-preload: usage error" 2 "$?"
	assert_contains "says why" "$(cat err)" "--preload-only needs the preload library"
}

test_all_execs_make_records_makes_with_their_environment() {
	# KSHIM_ALL_EXECS=make (what kshimctl sweep sets to learn a relink's sub-makes): only
	# make gets an exec record, with its environment and the make it runs under
	printf 'all:\n\t$(MAKE) -f sub.mk\n\ttrue\n' > Makefile
	printf 'all:\n\t$(MAKE) -f leaf.mk\n' > sub.mk
	printf 'all:\n\techo leaf $$KSHIM_MAKE_PID-\n' > leaf.mk
	KSHIM_ALL_EXECS=make KSHIM_PROBE_VAR=here kshimctl make -- -s > out 2> err
	assert_eq status 0 "$?"
	local execs
	execs=$(kshimctl log --dir .kshim --json --execs | jq -sc 'map(select(.type == "exec")) | sort_by(.start)[]')
	assert_eq "two records, both make" "sub.mk leaf.mk" "$(echo "$execs" | jq -r '.argv[2]' | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "no record of true" 0 "$(echo "$execs" | grep -c '"true"' || true)"
	assert_eq "the environment" "KSHIM_PROBE_VAR=here" "$(echo "$execs" | head -n 1 | jq -r '.env[] | select(startswith("KSHIM_PROBE_VAR="))')"
	assert_eq "the first has no make above it" null "$(echo "$execs" | head -n 1 | jq .parent_make)"
	assert_eq "the second runs under the first" "$(echo "$execs" | head -n 1 | jq .pid)" "$(echo "$execs" | tail -n 1 | jq .parent_make)"
	assert_eq "the link variable is not in the recorded environment" 0 "$(echo "$execs" | jq -r '.env[]' | grep -c '^KSHIM_MAKE_PID=' || true)"
}

test_preload_cost_for_other_programs_is_one_env_scan() {
	# not a timing test (that is bench/): the exec path of a non-tool makes no extra syscalls
	# beyond reading the program's ELF header (to note static programs)
	command -v strace > /dev/null || skip "no strace"
	tools_dir
	preload_env
	strace -f -qq -e trace=open,openat,access,stat,newfstatat,readlink -o trace "$PROBE" posix_spawn "$T/bin/notatool" > /dev/null
	extra=$(grep -c "bin/notatool" trace)
	[ "$extra" -le 2 ] || fail "the preload touched the program $extra times: $(grep notatool trace)"
}

test_inert_in_setuid_programs() {
	# A setuid-root program run by nobody (AT_SECURE): glibc preloads only setuid libraries from
	# its own directories there, so the library is installed as one for the test. A control run
	# of the same program without the setuid bit is routed; the setuid one, with the library
	# mapped (checked in /proc), routes nothing and records nothing.
	[ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null || skip "needs root and setpriv"
	libdir=/usr/lib/$(gcc -print-multiarch)
	name=libkshim-preload-suidtest-$$.so
	d=/tmp/kshim-suid-$$
	mkdir -p "$d/tools/objtool" && chmod 755 "$d" "$d/tools" "$d/tools/objtool"
	cp "$FAKE" "$d/tools/objtool/objtool" && cp "$PROBE" "$d/probe" && chmod 755 "$d/probe"
	cp "$KSHIM_BIN/libkshim-preload.so" "$libdir/$name" && chmod 4755 "$libdir/$name"
	trap 'rm -f "$libdir/$name"; rm -rf "$d"' EXIT	# the test runs in a subshell: also after a failure
	as_nobody() { cd "$d" && setpriv --reuid=nobody --regid=nogroup --clear-groups env LD_PRELOAD=$name HOME=$d \
		XDG_CONFIG_HOME=$d/config XDG_CACHE_HOME=$d/cache XDG_RUNTIME_DIR=$d/run \
		KSHIM_PRELOAD_BIN=$KSHIM_BIN KSHIM_DIR=$d/.kshim KSHIM_BUILD=suid FAKE_ARGV=$d/out/argv "$@"; }
	# control: not setuid, so not AT_SECURE: routed through kshim-objtool, one record
	mkdir -p "$d/.kshim" "$d/out" && chmod 777 "$d/.kshim" "$d/out"
	as_nobody "$d/probe" execve "$d/tools/objtool/objtool" --x > "$d/out/control" 2>&1 || cat "$d/out/control"
	assert_eq "control: routed and recorded" 1 "$(records "$d/.kshim" 2> /dev/null | wc -l)"
	# setuid: the library is there, and does nothing
	chmod 4755 "$d/probe"
	as_nobody "$d/probe" posix_spawn /bin/sleep 1 &
	for _ in $(seq 50); do pid=$(pgrep -f "^$d/probe posix_spawn") && break; sleep 0.05; done
	grep -q "$name" "/proc/$pid/maps" || fail "the library was not loaded into the setuid program"
	wait
	rm -f "$d/out/argv"
	as_nobody "$d/probe" execve "$d/tools/objtool/objtool" --x > /dev/null 2>&1
	assert_eq "setuid: the tool ran itself (argv[0] is its own path)" "$d/tools/objtool/objtool" "$(head -n 1 "$d/out/argv")"
	assert_eq "setuid: nothing recorded" 1 "$(records "$d/.kshim" 2> /dev/null | wc -l)"
}

run_tests
