#!/bin/bash
# The fault matrix of issue 7 that the other suites do not already cover
# (read-only log dir and full disk: log.sh; missing tool: resolve.sh; the tool
# killed by SIGSEGV/SIGKILL/SIGTERM: transparency.sh; non-UTF-8 argv:
# transparency.sh): signal storms while kshim waits, stdout closed, argv close
# to ARG_MAX, a 100k-line response file, non-UTF-8 bytes in paths. In every
# case the outcome is the one without kshim, and the record says what happened.
. "$(dirname "$0")/../lib.sh"
export LLVM=-19

test_signal_storm_while_waiting() {
	# a tool that ignores SIGHUP and takes its time; 2000 SIGHUPs at kshim: each is forwarded
	# (and ignored), each interrupts wait4, and kshim keeps waiting for the tool's own exit
	cat > slow <<'EOF'
#!/bin/bash
trap '' HUP
for i in $(seq 30); do sleep 0.05; done
echo done > slow.out
exit 3
EOF
	chmod +x slow
	KSHIM_LD=$T/slow kshim-ld -o out x.o &
	kpid=$!
	for _ in $(seq 50); do pgrep -f "$T/slow" > /dev/null && break; sleep 0.02; done
	sent=0
	while kill -0 "$kpid" 2> /dev/null && [ $sent -lt 2000 ]; do
		kill -HUP "$kpid" 2> /dev/null && sent=$((sent + 1))
	done
	wait "$kpid"
	assert_eq "the tool's status" 3 "$?"
	[ "$sent" -gt 100 ] || fail "only $sent signals were sent while kshim waited"
	assert_eq "the tool finished" done "$(cat slow.out)"
	assert_eq "recorded" 3 "$(records | jq -r .exit)"
	echo "  ($sent SIGHUPs while waiting)"
}

test_stdout_closed() {
	# the tool meets a closed stdout exactly as it would without kshim
	clang-19 --version >&- 2> /dev/null
	direct=$?
	kshim --version >&- 2> /dev/null
	assert_eq "same status" "$direct" "$?"
	printf 'int x;\n' > a.c
	clang-19 -E a.c >&- 2> direct.err
	direct=$?
	kshim -E a.c >&- 2> kshim.err
	assert_eq "same status for -E" "$direct" "$?"
	assert_eq "same message" "$(cat direct.err)" "$(cat kshim.err)"
	assert_eq "recorded" "$direct" "$(records | tail -n 1 | jq -r .exit)"
}

test_argv_close_to_arg_max() {
	make_fake ./fake
	# ~1.4 MB of arguments (the kernel takes 2 MiB with the environment; each word costs its
	# bytes, a NUL and a pointer): the tool gets them all, the record holds them all (one
	# write under the log's lock: far more than PIPE_BUF)
	max=$(getconf ARG_MAX)
	n=$(( (max - 600000) / 40 ))
	seq -f "-DARGUMENT_%016g" 1 "$n" > words
	mapfile -t args < words
	FAKE_ARGV=$T/got KSHIM_LD=$T/fake kshim-ld -o out "${args[@]}"
	assert_eq "status" 0 "$?"
	assert_eq "every argument reached the tool" "$((n + 2))" "$(wc -l < got)"
	assert_eq "every argument in the record" "$((n + 3))" "$(records | jq '.argv | length')"
}

test_huge_response_file() {
	make_fake ./fake
	# 100k lines: the tool gets the @file as written; kshim classifies the expanded words
	seq -f "-DR%g" 1 100000 > big.rsp
	echo "-o out.o" >> big.rsp
	FAKE_ARGV=$T/got KSHIM_LD=$T/fake kshim-ld @big.rsp in.o
	assert_eq "status" 0 "$?"
	assert_eq "the tool got the @file itself, unexpanded" "@big.rsp in.o" "$(tr '\n' ' ' < got | sed 's/ $//')"
	assert_eq "expanded in the record" 100004 "$(records | jq '.argv_expanded | length')"
	assert_eq "output found in the @file" '["out.o"]' "$(records | jq -c .outputs)"
}

test_non_utf8_paths() {
	# a directory and a source whose names are not UTF-8: compiled, recorded losslessly, diffable
	dir=$(printf 'src-\xff\xfe')
	mkdir "$dir"
	src=$(printf '%s/caf\xe9.c' "$dir")
	printf 'int f(void) { return 1; }\n' > "$src"
	kshim -c "$src" -o "$(printf 'caf\xe9.o')"
	assert_eq "status" 0 "$?"
	[ -f "$(printf 'caf\xe9.o')" ] || fail "no object"
	# JSON keys must be UTF-8: such paths are "base64:" keys; the bytes come back exactly
	key=$(records | tail -n 1 | jq -r '.fp.inputs | keys[0]')
	assert_eq "input key" "base64:$(printf '%s' "$src" | base64 -w0)" "$key"
	assert_eq "its digest" "$(sha256sum < "$src" | cut -d' ' -f1)" "$(records | tail -n 1 | jq -r '.fp.inputs[]')"
	assert_eq "output digest recorded" "$(sha256sum < "$(printf 'caf\xe9.o')" | cut -d' ' -f1)" \
		"$(records | tail -n 1 | jq -r '.fp.outputs[] | .sha256')"
	kshimctl log > /dev/null
	assert_eq "log readable" 0 "$?"
	# and the manifest and a diff see the output under its own name
	kshimctl fingerprint | jq -e --arg k "base64:$(printf 'caf\xe9.o' | base64 -w0)" '.outputs[$k].sha256' > /dev/null ||
		fail "manifest key of a non-UTF-8 output"
}

run_tests
