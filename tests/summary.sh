#!/bin/sh
# Add up what the test logs report and print one line: "N passed, N failed".
# Usage: summary.sh [DIR...]: the logs of each DIR (default: this script's directory,
# i.e. tests/ of an in-tree build); CI passes the logs of both of its builds.
# Check programs print "NN%: Checks: N, Failures: F, Errors: E"; shell tests print
# "N passed, N failed". A test program that crashed before printing counts as failed;
# one that skipped itself (exit 77, automake's .trs says SKIP) is not counted.
[ $# -gt 0 ] || set -- "$(dirname "$0")"
passed=0
failed=0
for dir in "$@"; do
	for log in "$dir"/*.log; do
		[ -f "$log" ] || continue
		[ "$(basename "$log")" = test-suite.log ] && continue
		# a test that skipped itself (exit 77) neither passed nor failed
		grep -q '^:test-result: SKIP' "${log%.log}.trs" 2>/dev/null && continue
		line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			# shellcheck disable=SC2046
			set -- $(echo "$line" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
			passed=$((passed + $1 - $2 - $3))
			failed=$((failed + $2 + $3))
			continue
		fi
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			# shellcheck disable=SC2046
			set -- $(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
			passed=$((passed + $1))
			failed=$((failed + $2))
			continue
		fi
		failed=$((failed + 1))
	done
done
echo "$passed passed, $failed failed"
