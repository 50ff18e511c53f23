# Sourced by tests/run-tests and tests/fuzz/run: run independent jobs a few at
# a time and hand back each one's output whole, in the order given.
#
# in_order JOBS RUN DONE ITEM...
#   runs "RUN ITEM" for every ITEM, at most JOBS at once, each with its stdout
#   and stderr in a file of its own; calls "DONE ITEM FILE STATUS" in the
#   calling shell for every ITEM, in ITEM order, as soon as that job and the
#   jobs before it are finished (so DONE may add to the caller's counters).
in_order() {
	local jobs=$1 run=$2 done_fn=$3
	shift 3
	local items=("$@") n=$# next=0 shown=0 dir
	dir=$(mktemp -d)
	while [ "$shown" -lt "$n" ]; do
		while [ "$next" -lt "$n" ] && [ $((next - shown)) -lt "$jobs" ]; do
			# the status file appears whole (rename), only after the output is complete
			{ "$run" "${items[$next]}" > "$dir/$next" 2>&1; echo $? > "$dir/$next.tmp"; mv "$dir/$next.tmp" "$dir/$next.rc"; } &
			next=$((next + 1))
		done
		if [ -f "$dir/$shown.rc" ]; then
			"$done_fn" "${items[$shown]}" "$dir/$shown" "$(cat "$dir/$shown.rc")"
			shown=$((shown + 1))
		else
			wait -n 2> /dev/null || sleep 0.2
		fi
	done
	wait
	rm -rf "$dir"
}
