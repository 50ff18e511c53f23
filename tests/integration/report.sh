#!/bin/bash
# kshimctl report: the page of a build, a sweep and a diff, opened in Debian's
# headless Chromium (tests/helpers/browser-check drives it over the DevTools
# protocol: console messages, exceptions, the page's data-* attributes, a
# screenshot). Real clang-19 and lld on the twins; the kernel's report and the
# 30k-call page are tests/e2e/report.
. "$(dirname "$0")/../lib.sh"
check_page() { "$KSHIM_TESTS/helpers/browser-check" "$1" "$2"; }
val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
calls_of() { kshimctl log --json --build "$1" | jq -s length; }

# the bisect twin, good then bad (a rule adds four flags to core/ and lib/)
twin() {
	cp -r "$KSHIM_TESTS/bisect-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19
	unset KSHIM_RULES
	kshimctl make --build-id good -- -s -j2 > build.out 2>&1 || { cat build.out; fail "good build"; }
	export KSHIM_RULES=$PWD/bad.ini
	kshimctl make --build-id bad -- -s -B > build.out 2>&1 || { cat build.out; fail "bad build"; }
}

test_the_page_of_a_build_in_chromium() {
	twin
	kshimctl report -o r.html bad > out 2> err || { cat out err; fail "report"; }
	local line n
	line=$(check_page r.html shot) || { echo "$line"; cat shot.console; fail "the page did not render"; }
	n=$(calls_of bad)
	assert_eq "no console message" 0 "$(val "$line" console)"
	assert_eq "no script error" 0 "$(val "$line" errors)"
	assert_eq "one bar per recorded call" "$n" "$(val "$line" bars)"
	assert_eq "the data holds the calls" "$n" "$(val "$line" calls)"
	# the screenshot: not blank, and the bars' colour is in it
	local stats
	stats=$("$KSHIM_TESTS/helpers/png-stats" shot.png "#1f77b4")
	awk -v s="$stats" 'BEGIN { split(s, f, " "); sub("ink=", "", f[2]); exit !(f[2] > 0.02) }' ||
		fail "the screenshot is blank: $stats"
	[ "$(echo "$stats" | sed -n 's/.*#1f77b4=\([0-9]*\).*/\1/p')" -gt 100 ] || fail "no bar in the screenshot: $stats"
	# the terminal summary
	assert_contains "summary" "$(cat out)" "report: build bad: $n calls (0 probes, 0 failed)"
	assert_contains "rules fired" "$(cat out)" "fast-core ($PWD/bad.ini:2): 8 call(s)"
	assert_contains "critical path: compile, then link" "$(cat out)" "critical path: 2 call(s)"
	assert_contains "written" "$(cat out)" "wrote r.html"
	# self-contained: no URL the page would fetch
	if grep -Eq '(src|href)="(https?:)?//' r.html; then fail "the page loads something from the network"; fi
}

# the checks can fail: a page that throws, and a report whose data was cut
test_the_checks_see_a_broken_page() {
	printf '<html><body><script>console.error("kshim-test"); null.x;</script></body></html>' > broken.html
	local line
	line=$(check_page broken.html b)
	assert_eq "not rendered" "" "$(val "$line" rendered)"
	assert_eq "two messages" 2 "$(val "$line" console)"
	assert_contains "the exception" "$(cat b.console)" "Uncaught TypeError"
	twin
	kshimctl report -o r.html bad > /dev/null 2>&1 || fail "report"
	# the data element cut in half: the page says so, in the page and on the console
	awk '/^<script id="kshim-data"/ { cut = 1 } cut && /^[A-Za-z0-9+\/=]+$/ && ++k > 2 { next } { print }' r.html > cut.html
	line=$(check_page cut.html c)
	assert_eq "an error counted" 1 "$(val "$line" errors)"
	assert_contains "on the console" "$(cat c.console)" "kshim report:"
}

test_sweep_grid_and_diff() {
	cp -r "$KSHIM_TESTS/layout-twin/." .
	export KSHIM_CC=clang-19 KSHIM_LD=ld.lld-19 KSHIM_RULES=$PWD/layout.ini
	kshimctl make --build-id plain -- -s > build.out 2>&1 || { cat build.out; fail "twin build"; }
	kshimctl sweep --seeds 1-6 --test ./prog > /dev/null 2>&1
	local seeded
	seeded=$(kshimctl builds | awk '$1 ~ /^seed-/ {print $1}' | tail -n 1)
	kshimctl report -o r.html --diff plain "$seeded" > out 2> err || { cat out err; fail "report"; }
	assert_contains "sweep in the summary" "$(cat out)" "sweep: 6 seed(s) in $PWD/.kshim/sweep.json"
	assert_contains "diff in the summary" "$(cat out)" "diff plain -> $seeded:"
	local line
	line=$(check_page r.html s) || fail "the page did not render: $line"
	assert_eq "no console message" 0 "$(val "$line" console)"
	assert_eq "one bar per call of the seed's build" "$(calls_of "$seeded")" "$(val "$line" bars)"
	# the page's own numbers, read back from the data with the same JSON tool a user has
	kshimctl report --json -o r2.html --diff plain "$seeded" > sum.json
	assert_eq "the JSON summary's calls" "$(calls_of "$seeded")" "$(jq .calls sum.json)"
	[ "$(jq .bytes sum.json)" = "$(stat -c %s r2.html)" ] || fail "--json bytes $(jq .bytes sum.json) != $(stat -c %s r2.html)"
	kshimctl report --no-sweep -o r3.html "$seeded" > out3
	assert_not_contains "--no-sweep" "$(cat out3)" "sweep:"
}

test_errors_say_what() {
	twin
	kshimctl report -o r.html nosuch > out 2> err
	assert_eq "unknown build" 2 "$?"
	assert_contains "message" "$(cat err)" "nosuch"
	kshimctl report -o /nonexistent/dir/r.html bad > out 2> err
	assert_eq "unwritable" 2 "$?"
	assert_contains "says where" "$(cat err)" "cannot write '/nonexistent/dir/r.html"
	kshimctl report --sweep nope.json bad > out 2> err
	assert_eq "missing sweep file" 2 "$?"
	assert_contains "says which" "$(cat err)" "--sweep nope.json"
	echo '{"not": "a sweep"}' > other.json
	kshimctl report --sweep other.json -o r.html bad > out 2> err
	assert_eq "not a sweep file" 2 "$?"
	assert_contains "says so" "$(cat err)" "not a kshimctl sweep result file"
	kshimctl report a b > out 2> err
	assert_eq "two builds" 2 "$?"
	kshimctl report --help | grep -q 'DecompressionStream' || fail "--help names what the browser needs"
	[ ! -e r.html.tmp.* ] 2> /dev/null || fail "a temporary file left behind"
}

run_tests
