#!/bin/bash
# The log: concurrent appends, torn records, unwritable directories, loss accounting.
. "$(dirname "$0")/../lib.sh"

test_parallel_writers_lose_nothing() {
	make_fake ./fake
	export KSHIM_CC=$T/fake KSHIM_BUILD=par
	for w in $(seq 16); do
		( for i in $(seq 50); do kshim -c "w$w-$i.c" -o "w$w-$i.o"; done ) &
	done
	wait
	records > all.jsonl 2> err
	assert_file_empty err	# no torn lines
	assert_eq records 800 "$(wc -l < all.jsonl)"
	assert_eq unique 800 "$(jq -r '.outputs[0]' all.jsonl | sort -u | wc -l)"
	# every line of the raw file is one whole record
	assert_eq lines 800 "$(wc -l < .kshim/log.jsonl)"
}

test_large_records_do_not_interleave() {
	make_fake ./fake
	export KSHIM_CC=$T/fake
	big=$(head -c 60000 /dev/zero | tr '\0' x)
	for w in $(seq 8); do
		( for i in $(seq 10); do kshim "-D$big" -c "w$w-$i.c"; done ) &
	done
	wait
	records > all.jsonl 2> err
	assert_file_empty err
	assert_eq records 80 "$(wc -l < all.jsonl)"
}

test_torn_last_record_is_reported_not_misparsed() {
	make_fake ./fake
	KSHIM_CC=$T/fake kshim -c a.c -o a.o
	KSHIM_CC=$T/fake kshim -c b.c -o b.o
	# a writer killed mid-record: cut the last record short
	size=$(stat -c %s .kshim/log.jsonl)
	truncate -s $((size - 40)) .kshim/log.jsonl
	records > out 2> err
	assert_eq "valid records" 1 "$(wc -l < out)"
	assert_contains "warning" "$(cat err)" "torn"
	assert_contains "line" "$(cat err)" "log.jsonl:2"
	# the next writer starts a fresh line and nothing is lost after the tear
	KSHIM_CC=$T/fake kshim -c c.c -o c.o
	assert_eq "after repair" "a.o c.o" "$(records 2>/dev/null | jq -r '.outputs[0]' | tr '\n' ' ' | sed 's/ $//')"
	kshimctl stats 2>/dev/null | grep -q "torn records in the log: 1" || fail "stats does not show the torn record"
}

test_readonly_log_dir_build_goes_on_warns_once_counts() {
	# root writes into a 0555 directory anyway, so run kshim as nobody then; the
	# binary is copied here because the clone may live where nobody cannot go
	as_user=
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv > /dev/null || skip "root without setpriv"
		as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	fi
	mkdir kbin
	cp "$KSHIM_BIN/kshim" kbin/kshim
	make_fake ./fake
	mkdir -p ro/.kshim
	chmod 555 ro/.kshim
	chmod 755 "$T" ro kbin
	id=ro-$$-$RANDOM
	uid=$($as_user id -u)
	rm -f /tmp/kshim-"$uid"/lost/*-"$id"
	for i in 1 2 3; do
		( cd ro && $as_user env -i PATH=/usr/bin:/bin KSHIM_CC="$T/fake" KSHIM_BUILD="$id" FAKE="exit 3" \
			"$T/kbin/kshim" -c x.c ) 2>> err
		assert_eq "tool status passed on" 3 "$?"
	done
	assert_eq "warned once" 1 "$(grep -c 'records of this build are being lost' err)"
	grep -q "Permission denied" err || fail "the warning does not say why: $(cat err)"
	assert_eq "lost counted" 3 "$(cat /tmp/kshim-"$uid"/lost/*-"$id" | wc -l)"
	# the directory becomes writable again (space freed): the build's later
	# records land, and kshimctl stats reports the earlier loss for that build
	cp "$KSHIM_BIN/kshimctl" kbin/kshimctl
	[ -n "$as_user" ] && chown nobody ro/.kshim
	chmod 755 ro/.kshim
	( cd ro && $as_user env -i PATH=/usr/bin:/bin KSHIM_CC="$T/fake" KSHIM_BUILD="$id" "$T/kbin/kshim" -c y.c ) 2>> err
	assert_eq "recorded now" 1 "$($as_user env -i "$T/kbin/kshimctl" log --dir "$T/ro/.kshim" --json | wc -l)"
	assert_eq "stats shows the loss" 3 \
		"$($as_user env -i "$T/kbin/kshimctl" stats --dir "$T/ro/.kshim" -b "$id" --json | jq .lost)"
	rm -f /tmp/kshim-"$uid"/lost/*-"$id"
}

test_log_required_fails_before_running_tool() {
	make_fake ./fake
	mkdir ro
	touch ro/.kshim   # a file where the directory should be: cannot be created
	( cd ro && FAKE_ARGV=$T/ran KSHIM_CC=$T/fake KSHIM_LOG_REQUIRED=yes kshim -c x.c ) 2> err
	assert_eq status 125 "$?"
	assert_contains message "$(cat err)" "required"
	[ ! -e ran ] || fail "the tool ran although the log could not be written"
}

test_full_disk_build_goes_on() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for tmpfs"
	mkdir full
	mount -t tmpfs -o size=64k tmpfs full || skip "cannot mount tmpfs"
	head -c 60000 /dev/zero > full/filler 2>/dev/null
	make_fake ./fake
	big=$(head -c 20000 /dev/zero | tr '\0' y)
	KSHIM_DIR=$T/full/.kshim KSHIM_CC=$T/fake KSHIM_BUILD=full-$$ kshim "-D$big" -c x.c 2> err
	rc=$?
	umount full
	assert_eq "status" 0 "$rc"
	assert_contains "warning" "$(cat err)" "being lost"
}

run_tests
