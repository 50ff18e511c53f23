# Shared helpers for the shell test suites. Source it, define test_* functions,
# then call `run_tests`. Each test runs in a subshell inside its own scratch
# directory ($T); a test fails if it returns non-zero or calls fail.
set -u
: "${KSHIM_BIN:?KSHIM_BIN must point at the build directory with kshim and kshimctl}"
KSHIM_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$KSHIM_BIN:$PATH"
WSTATUS=$KSHIM_BIN/tests/wstatus
unset KSHIM_DIR KSHIM_BUILD KSHIM_CC KSHIM_HOSTCC KSHIM_LD KSHIM_OBJTOOL KSHIM_CONFIG KSHIM_VERBOSE \
      KSHIM_LOG_REQUIRED KSHIM_DEPTH LLVM
# Tests run under `make test`: each test is its own top-level world, as if run by hand.
unset MAKELEVEL MAKEFLAGS MFLAGS MAKEOVERRIDES
# nor the variables of the make that ran the tests (make O=build-san exports O)
unset O M ARCH CROSS_COMPILE KBUILD_OUTPUT
export XDG_CONFIG_HOME=/nonexistent-kshim-test-config	# no user config leaks into tests
export XDG_RUNTIME_DIR=   # lost-record counters go to /tmp/kshim-UID
# sanitizer builds of kshim are dynamic: under LD_PRELOAD=libkshim-preload.so ASan must not insist on coming first
export ASAN_OPTIONS=verify_asan_link_order=0

fail() { echo "    FAIL: $*" >&2; exit 1; }
# skip WHY: this test cannot run here (a tool or a privilege is missing); counted apart, never as passed
skip() { echo "    SKIP: $*" >&2; exit 77; }
# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }
assert_contains() { case "$2" in *"$3"*) ;; *) fail "$1: '$3' not in: $2" ;; esac; }
assert_not_contains() { case "$2" in *"$3"*) fail "$1: '$3' in: $2" ;; esac; }
assert_file_empty() { [ ! -s "$1" ] || fail "expected $1 to be empty, it holds: $(head -c 500 "$1")"; }
# records: the valid records of the log in $1 (default .kshim) as JSON Lines, via kshimctl
records() { kshimctl log --json --dir "${1:-.kshim}"; }
count_records() { records "$@" | wc -l; }
jqf() { jq -r "$@"; }

# A fake tool that does what FAKE says: "exit N", "signal SIG", "cat" (stdin to stdout),
# "sleep S"; records its argv in $FAKE_ARGV if set.
make_fake() {
	cat > "$1" <<'FAKE'
#!/bin/bash
[ -n "${FAKE_ARGV:-}" ] && printf '%s\n' "$@" > "$FAKE_ARGV"
f=${FAKE:-exit 0}
case "$f" in
exit*) exit "${f#exit }" ;;
signal*) kill -s "${f#signal }" $$; sleep 5; exit 99 ;;
cat) exec cat ;;
sleep*) sleep "${f#sleep }" ;;
esac
FAKE
	chmod +x "$1"
}

run_tests() {
	local pass=0 failn=0 skipn=0 t names st
	names=$(declare -F | awk '{print $3}' | grep '^test_' | sort)
	[ -n "${ONLY:-}" ] && names=$(echo "$names" | grep -- "$ONLY")
	for t in $names; do
		local dir
		dir=$(mktemp -d /tmp/kshim-t.XXXXXX)
		# a cache of its own per test (parsed rules, tool versions)
		(cd "$dir" && T=$dir && export T XDG_CACHE_HOME=$dir.cache && "$t") > "$dir.out" 2>&1
		st=$?
		if [ $st -eq 0 ]; then
			pass=$((pass + 1))
			echo "  ok   $t"
		elif [ $st -eq 77 ]; then
			skipn=$((skipn + 1))
			echo "  skip $t: $(sed -n 's/^    SKIP: //p' "$dir.out" | tail -n 1)"
		else
			failn=$((failn + 1))
			echo "  FAIL $t"
			sed 's/^/       /' "$dir.out" | tail -n 30
		fi
		rm -rf "$dir" "$dir.out" "$dir.cache"
	done
	echo "$(basename "$0"): $pass passed, $failn failed, $skipn skipped"
	[ "$failn" -eq 0 ]
}
