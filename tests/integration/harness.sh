#!/bin/bash
# The test harness itself (tests/lib.sh, tests/run-tests): a skipped test is
# counted apart, never as passed; a failing one fails its suite and the run.
. "$(dirname "$0")/../lib.sh"

suite() {	# a suite with one test that passes, one that skips, one that fails
	mkdir -p s
	cat > s/mini.sh <<SUITE
#!/bin/bash
. "$KSHIM_TESTS/lib.sh"
test_a_passes() { true; }
test_b_skips() { skip "no such tool here"; fail "skip returned"; }
test_c_fails() { fail "on purpose"; }
run_tests
SUITE
}

test_skip_is_counted_apart() {
	suite
	bash s/mini.sh > out 2>&1
	assert_eq "the suite fails (one test failed)" 1 "$?"
	assert_eq "totals" "mini.sh: 1 passed, 1 failed, 1 skipped" "$(tail -n 1 out)"
	assert_contains "the skip says why" "$(cat out)" "skip test_b_skips: no such tool here"
	assert_contains "the failure says why" "$(cat out)" "FAIL: on purpose"
}

test_run_tests_adds_up_skips() {
	suite
	cp s/mini.sh s/mini2.sh
	sed -i '/test_c_fails/d' s/mini2.sh
	KSHIM_TEST_JOBS=2 "$KSHIM_TESTS/run-tests" s > out 2>&1
	assert_eq "the run fails" 1 "$?"
	assert_eq "totals" "integration: 2 passed, 1 failed, 2 skipped" "$(tail -n 1 out)"
	rm s/mini.sh
	"$KSHIM_TESTS/run-tests" s > out 2>&1
	assert_eq "skips alone do not fail a run" 0 "$?"
	assert_eq "totals" "integration: 1 passed, 0 failed, 1 skipped" "$(tail -n 1 out)"
}

run_tests
