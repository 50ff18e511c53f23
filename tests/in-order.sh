# Sourced by tests/run-tests and tests/fuzz/run: run independent jobs a few at
# a time and hand back each one's output whole, in the order given.
#
# in_order JOBS RUN DONE ITEM...
#   runs "RUN ITEM" for every ITEM, at most JOBS at once, each with its stdout
#   and stderr in a file of its own; calls "DONE ITEM FILE STATUS SECONDS" in
#   the calling shell for every ITEM, in ITEM order, as soon as that job and the
#   jobs before it are finished (so DONE may add to the caller's counters).
#   A job starts as soon as fewer than JOBS run, whether or not the output of
#   the ones before it has been handed back: a long first job never holds the
#   other CPUs idle.
in_order() {
	local jobs=$1 run=$2 done_fn=$3
	shift 3
	local items=("$@") n=$# next=0 shown=0 running=0 i dir
	dir=$(mktemp -d)
	while [ "$shown" -lt "$n" ]; do
		while [ "$next" -lt "$n" ] && [ "$running" -lt "$jobs" ]; do
			# the status file appears whole (rename), only after the output is complete
			{ t0=$SECONDS; "$run" "${items[$next]}" > "$dir/$next" 2>&1
			  echo "$? $((SECONDS - t0))" > "$dir/$next.tmp"; mv "$dir/$next.tmp" "$dir/$next.rc"; } &
			next=$((next + 1))
			running=$((running + 1))
		done
		while [ "$shown" -lt "$n" ] && [ -f "$dir/$shown.rc" ]; do
			read -r st secs < "$dir/$shown.rc"
			"$done_fn" "${items[$shown]}" "$dir/$shown" "$st" "$secs"
			shown=$((shown + 1))
		done
		running=0
		for ((i = shown; i < next; i++)); do
			[ -f "$dir/$i.rc" ] || running=$((running + 1))
		done
		[ "$shown" -lt "$n" ] && [ "$running" -ge "$jobs" -o "$next" -ge "$n" ] && { wait -n 2> /dev/null || sleep 0.2; }
	done
	wait
	rm -rf "$dir"
}
