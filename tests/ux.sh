#!/bin/sh
# Everyday-use tests: colour only on a terminal and never with NO_COLOR or
# --no-color, the progress line only on a terminal and never with --quiet, optimize's
# before/after table, JSON Lines that parse line by line and equal --format json for
# one model, and --jobs 2 printing exactly what --jobs 1 prints. The terminal cases
# run under script(1) from util-linux when it is there. Prints "N passed, N failed"
# last; exits 1 when anything failed.
set -u
OX=${ONNX_OPT:-./onnx-opt}
SRC=${srcdir:-.}
JL=${JSONL_CHECK:-./tests/jsonl_check}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ESC=$(printf '\033')

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

. "$SRC/tests/valgrind.sh"

# expect STATUS CMD...: the command exits with STATUS (stdout in $T/out, stderr in $T/err).
expect() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "exit $got, wanted $want: $*"; sed 's/^/  /' "$T/err" | head -5; fi
}

# has FILE PATTERN WHAT / lacks FILE PATTERN WHAT
has() {
	if grep -q -- "$2" "$1"; then ok; else bad "$3"; sed 's/^/  /' "$1" | head -10; fi
}
lacks() {
	if grep -q -- "$2" "$1"; then bad "$3"; grep -- "$2" "$1" | cat -v | head -5; else ok; fi
}

# Models for batches: every good one of the tree, and some broken ones.
GOOD="$SRC/examples/tinycnn.onnx $SRC/examples/tinybert.onnx $SRC/tests/models/control_flow.onnx \
$SRC/tests/models/external_data.onnx"
BROKEN=$(ls "$SRC"/tests/invalid/*.onnx | head -12)

# --- not a terminal: no escape codes, no progress, whatever the options ---
for cmd in "info $GOOD" "info --shapes $SRC/examples/tinycnn.onnx" "passes" "targets" \
	"audit $GOOD" "validate $GOOD $BROKEN" "optimize $SRC/examples/tinycnn.onnx -o $T/o.onnx" \
	"check -n 3 $SRC/examples/tinybert.onnx $SRC/examples/tinybert.onnx"; do
	# shellcheck disable=SC2086
	env -u NO_COLOR TERM=xterm $OX $cmd >"$T/out" 2>"$T/err"
	lacks "$T/out" "$ESC" "$cmd: escape codes on stdout that is not a terminal"
	lacks "$T/err" "$ESC" "$cmd: escape codes on stderr that is not a terminal"
	if grep -q "$(printf '\r')" "$T/err"; then bad "$cmd: a progress line on stderr that is not a terminal"; else ok; fi
done
# A successful batch says nothing on stderr at all.
expect 0 env TERM=xterm $OX audit --target ort-cpu $GOOD
if [ ! -s "$T/err" ]; then ok; else bad "a batch audit wrote on stderr: $(head -3 "$T/err")"; fi

# --- global options ---
expect 0 $OX --help
has "$T/out" '--no-color' "--help does not list --no-color"
has "$T/out" '--quiet' "--help does not list --quiet"
# anywhere before "--", and not seen by the subcommand
expect 0 $OX passes --no-color -q
expect 0 $OX -q --no-color passes
expect 2 $OX passes -- -q

# --- optimize's before/after table ---
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/o.onnx"
has "$T/out" '^op type  *before  *after  *change$' "optimize prints no before/after header"
# tinycnn's two BatchNormalization fold into the Convs: 11 nodes become 9
has "$T/out" '^BatchNormalization  *2  *0  *-2$' "optimize does not show BatchNormalization 2 -> 0"
has "$T/out" '^Conv  *2  *2$' "optimize shows an unchanged row with a change"
has "$T/out" '^nodes  *11  *9  *-2$' "optimize does not total the nodes"
size_in=$(wc -c <"$SRC/examples/tinycnn.onnx")
size_out=$(wc -c <"$T/o.onnx")
if [ "$size_out" -lt "$size_in" ]; then has "$T/out" '^file size .*-[0-9.]*%$' "optimize does not show the smaller file"; fi
for q in -q --quiet; do
	expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/q.onnx" $q
	if [ ! -s "$T/out" ] && [ ! -s "$T/err" ]; then ok; else bad "optimize $q still prints: $(head -2 "$T/out")"; fi
	if cmp -s "$T/o.onnx" "$T/q.onnx"; then ok; else bad "optimize $q writes another model"; fi
done

# --- tables ---
expect 0 $OX info "$SRC/examples/tinycnn.onnx"
# counts right-aligned under their header
has "$T/out" '^  op                  count$' "info's op table has no aligned header"
has "$T/out" '^  Conv                    2$' "info's op counts are not right-aligned"
expect 0 $OX passes
# the second column starts at the same place on every line
if [ "$(awk '{ match($0, /^[^ ]+ +/); print RLENGTH }' "$T/out" | sort -u | wc -l)" -eq 1 ]; then ok
else bad "passes: the default column is not aligned"; fi

# --- JSON Lines ---
if [ -x "$JL" ]; then
	# one valid object per model, in command-line order
	expect 2 $OX info --format jsonl $GOOD "$T/missing.onnx"
	"$JL" lines "$T/out" file >"$T/files" || bad "info jsonl does not parse line by line"
	printf '%s\n' $GOOD | cmp -s - "$T/files" && ok || bad "info jsonl is not one line per model in order: $(cat "$T/files")"
	for f in $GOOD; do
		expect 0 $OX info --format json "$f"
		cp "$T/out" "$T/one.json"
		expect 0 $OX info --format jsonl "$f"
		"$JL" equal "$T/one.json" "$T/out" 1 && ok || bad "info jsonl of $f differs from its json"
	done
	expect 1 $OX audit --target opset:11 --format jsonl $GOOD
	"$JL" lines "$T/out" >"$T/n" && [ "$(cat "$T/n")" -eq 4 ] && ok || bad "audit jsonl: not 4 objects"
	"$JL" lines "$T/out" models >"$T/m" || bad "audit jsonl lines lack models"
	cp "$T/out" "$T/all.jsonl"
	i=0
	for f in $GOOD; do
		i=$((i + 1))
		$OX audit --target opset:11 --format json "$f" >"$T/one.json"
		"$JL" equal "$T/one.json" "$T/all.jsonl" $i && ok || bad "audit jsonl line $i differs from json of $f"
	done
	# -o writes the same lines, atomically
	expect 1 $OX audit --target opset:11 --format jsonl -o "$T/a.jsonl" $GOOD
	cmp -s "$T/a.jsonl" "$T/all.jsonl" && ok || bad "audit jsonl -o differs from stdout"
	expect 1 $OX validate --format jsonl $GOOD $BROKEN
	"$JL" lines "$T/out" >"$T/n" && [ "$(cat "$T/n")" -eq "$(echo $GOOD $BROKEN | wc -w)" ] && ok || bad "validate jsonl: not one object per model"
	cp "$T/out" "$T/all.jsonl"
	i=0
	for f in $GOOD $BROKEN; do
		i=$((i + 1))
		$OX validate --format json "$f" >"$T/one.json"
		"$JL" equal "$T/one.json" "$T/all.jsonl" $i && ok || bad "validate jsonl line $i differs from json of $f"
	done
else
	bad "no $JL to read JSON Lines with"
fi

# --- --jobs 2 prints what --jobs 1 prints ---
for cmd in "info" "info --format jsonl" "info --format json" "info --shapes" \
	"audit" "audit --format jsonl" "audit --format json" "audit --format sarif" \
	"validate" "validate --format jsonl" "validate --format json"; do
	# shellcheck disable=SC2086
	$OX $cmd --jobs 1 $GOOD $BROKEN $GOOD >"$T/j1" 2>"$T/e1"
	r1=$?
	# shellcheck disable=SC2086
	$OX $cmd --jobs 2 $GOOD $BROKEN $GOOD >"$T/j2" 2>"$T/e2"
	r2=$?
	if [ "$r1" -eq "$r2" ] && cmp -s "$T/j1" "$T/j2" && cmp -s "$T/e1" "$T/e2"; then ok
	else bad "$cmd: --jobs 2 differs from --jobs 1 (exit $r1 vs $r2)"; diff "$T/j1" "$T/j2" | head -5; fi
done
expect 2 $OX info --jobs 0 "$SRC/examples/tinycnn.onnx"
expect 2 $OX audit --jobs x "$SRC/examples/tinycnn.onnx"
expect 2 $OX validate --jobs 999 "$SRC/examples/tinycnn.onnx"
expect 2 $OX info --format yaml "$SRC/examples/tinycnn.onnx"

# --- new paths under valgrind ---
if [ -n "$VG" ]; then
	# shellcheck disable=SC2086
	expect 2 $VG $OX info --jobs 3 --format jsonl --shapes $GOOD "$T/missing.onnx"
	# shellcheck disable=SC2086
	expect 2 $VG $OX audit --jobs 3 --format jsonl -o "$T/v.jsonl" $GOOD "$T/missing.onnx"
	# shellcheck disable=SC2086
	expect 1 $VG $OX validate --jobs 3 $GOOD $BROKEN
	expect 0 $VG $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/v.onnx"
fi

# --- on a terminal (script(1) gives the command a pseudo-terminal) ---
# tty CMD: run CMD in a pseudo-terminal, stdout and stderr together into $T/tty.
tty() {
	script -q -e -c "$*" /dev/null >"$T/tty" 2>&1 </dev/null
}
if command -v script >/dev/null 2>&1 && script -q -e -c true /dev/null >/dev/null 2>&1 </dev/null; then
	# colour: the header of a table is bold
	tty env -u NO_COLOR TERM=xterm $OX passes
	has "$T/tty" "$ESC\[1mpass" "no bold table header on a terminal"
	tty env NO_COLOR=1 TERM=xterm $OX passes
	lacks "$T/tty" "$ESC" "escape codes on a terminal with NO_COLOR=1"
	tty env -u NO_COLOR TERM=xterm $OX passes --no-color
	lacks "$T/tty" "$ESC" "escape codes on a terminal with --no-color"
	tty env -u NO_COLOR TERM=dumb $OX passes
	lacks "$T/tty" "$ESC" "escape codes on a terminal with TERM=dumb"
	# changed rows of optimize's table in colour, unchanged ones plain
	tty env -u NO_COLOR TERM=xterm $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/t.onnx"
	has "$T/tty" "${ESC}\[33mBatchNormalization" "optimize's changed row is not coloured"
	lacks "$T/tty" "${ESC}\[33mConv " "optimize colours an unchanged row"
	# progress: batches and check -n, erased at the end; silent with --quiet
	tty env -u NO_COLOR TERM=xterm $OX audit --target ort-cpu $GOOD
	has "$T/tty" "audit 0/4 (0%)" "no progress line for a batch audit on a terminal"
	tty env -u NO_COLOR TERM=xterm $OX validate $GOOD
	has "$T/tty" "validate 0/4 (0%)" "no progress line for a batch validate on a terminal"
	tty env -u NO_COLOR TERM=xterm $OX check -n 3 "$SRC/examples/tinybert.onnx" "$SRC/examples/tinybert.onnx"
	has "$T/tty" "check: input sets 0/3 (0%)" "no progress line for check -n 3 on a terminal"
	for q in -q --quiet; do
		tty env -u NO_COLOR TERM=xterm $OX audit $q --target ort-cpu $GOOD
		lacks "$T/tty" "audit [0-9]*/4" "a progress line with $q"
		tty env -u NO_COLOR TERM=xterm $OX $q check -n 3 "$SRC/examples/tinybert.onnx" "$SRC/examples/tinybert.onnx"
		lacks "$T/tty" "input sets" "a check progress line with $q"
	done
else
	echo "SKIP: no script(1) with a pseudo-terminal; the terminal cases did not run"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
