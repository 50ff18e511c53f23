#!/bin/bash
# Transparency: kshim passes on exit status, death by signal, stdin and stdout,
# and --version output exactly, and is silent on stderr.
. "$(dirname "$0")/../lib.sh"

test_exit_status_passed_on() {
	make_fake ./fake
	for code in 0 1 2 42 125 126 127 128 255; do
		assert_eq "exit $code" "exit $code" "$(FAKE="exit $code" KSHIM_CC=$T/fake $WSTATUS kshim -c x.c)"
	done
	assert_eq records 9 "$(count_records)"
	assert_eq "recorded exit" "0 1 2 42 125 126 127 128 255" "$(records | jq -r .exit | tr '\n' ' ' | sed 's/ $//')"
}

test_death_by_signal_passed_on() {
	make_fake ./fake
	for sig in SEGV KILL TERM INT ABRT; do
		num=$(kill -l "$sig")
		assert_eq "SIG$sig" "signal $num" "$(FAKE="signal $sig" KSHIM_LD=$T/fake $WSTATUS kshim-ld -o out x.o)"
	done
	assert_eq "recorded signals" "SEGV KILL TERM INT ABRT" "$(records | jq -r .signame | tr '\n' ' ' | sed 's/ $//')"
	# no core file from kshim itself
	[ ! -e core ] || fail "kshim dumped core"
}

test_signal_to_kshim_is_forwarded_to_tool() {
	make_fake ./fake
	FAKE="sleep 30" KSHIM_CC=$T/fake $WSTATUS kshim -c x.c > status &
	for _ in $(seq 50); do pgrep -f "$T/fake" >/dev/null && break; sleep 0.1; done
	# this test's kshim: the parent of its tool
	kpid=$(ps -o ppid= -p "$(pgrep -f "$T/fake" | head -n 1)" | tr -d ' ')
	[ "$(ps -o comm= -p "$kpid")" = kshim ] || fail "kshim not running (parent of the tool is '$kpid')"
	kill -TERM "$kpid"
	wait
	assert_eq "status" "signal 15" "$(cat status)"
	# the tool died too, and the call is on record
	pgrep -f "$T/fake" && fail "tool still running"
	assert_eq "recorded" "TERM" "$(records | jq -r .signame)"
}

test_stdin_and_stdout_untouched() {
	out=$(printf 'int kshim_marker = __LINE__;\n' | LLVM=-19 kshim -E -P -x c -)
	assert_eq "-E from stdin" "int kshim_marker = 1;" "$(echo "$out" | grep kshim_marker)"
	make_fake ./fake
	head -c 100000 /dev/urandom > blob
	FAKE=cat KSHIM_CC=$T/fake kshim < blob > blob.out
	cmp blob blob.out || fail "binary stdin/stdout changed"
}

test_silent_on_stderr() {
	printf 'int main(void){return 0;}\n' > a.c
	LLVM=-19 kshim -Wp,-MMD,a.d -c a.c -o a.o 2> err
	assert_file_empty err
	LLVM=-19 kshim-ld --version > /dev/null 2> err
	assert_file_empty err
}

test_version_byte_identical() {
	LLVM=-19 kshim --version > k.out
	clang-19 --version > c.out
	cmp k.out c.out || fail "kshim --version differs from clang-19 --version"
	LLVM=-19 kshim-ld --version > k.out
	ld.lld-19 --version > c.out
	cmp k.out c.out || fail "kshim-ld --version differs"
	LLVM=-19 kshim-ld -v > k.out
	ld.lld-19 -v > c.out
	cmp k.out c.out || fail "kshim-ld -v differs"
	# what kbuild stores in CONFIG_CC_VERSION_TEXT and what ld-version.sh parses
	LLVM=-19 kshim -v 2> k.err >/dev/null
	clang-19 -v 2> c.err >/dev/null
	cmp k.err c.err || fail "kshim -v stderr differs"
}

test_argv_reaches_tool_exactly() {
	make_fake ./fake
	FAKE_ARGV=$T/argv KSHIM_CC=$T/fake kshim -DA='x y' '' $'-Dnl=a\nb' -c 'we ird.c' -o out.o
	printf '%s\n' -DA='x y' '' $'-Dnl=a\nb' -c 'we ird.c' -o out.o > want
	cmp want argv || fail "argv changed on the way: $(cat argv)"
}

test_non_utf8_argv_is_logged_losslessly() {
	make_fake ./fake
	bad=$(printf 'caf\xe9.c')
	KSHIM_CC=$T/fake kshim -c "$bad" -o out.o
	records | jq -e '.argv[2].base64' > /dev/null || fail "non-UTF-8 argument not base64-encoded"
	got=$(records | jq -r '.argv[2].base64' | base64 -d)
	[ "$got" = "$bad" ] || fail "round trip lost bytes"
}

run_tests
