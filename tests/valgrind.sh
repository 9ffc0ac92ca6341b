# tests/valgrind.sh: sourced by the CLI test scripts after they set OX (the binary).
# Sets VG to the valgrind command that checks a run for memory errors and leaks, or
# to nothing when valgrind is missing, OX_NO_VALGRIND is set, or the binary is built
# with AddressSanitizer (which checks the same things itself and does not run under
# valgrind); ASAN is 1 in that last case, and ASan's own leak check fails with 98.
VG=
ASAN=
if nm "$OX" 2>/dev/null | grep -q __asan_init || grep -q __asan_init "$OX" 2>/dev/null; then
	ASAN=1
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:exitcode=98"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1:exitcode=98"
elif command -v valgrind >/dev/null 2>&1 && [ -z "${OX_NO_VALGRIND:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
fi
