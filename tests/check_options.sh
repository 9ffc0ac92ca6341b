#!/bin/sh
# Every option a subcommand accepts (read from the source by tools/cli-options.sh,
# not from a list kept here) appears in that subcommand's --help output and in its
# entry of the COMMANDS section of man/onnx-opt.1. Prints "N passed, N failed" last.
set -u
OX=${ONNX_OPT:-./onnx-opt}
SRC=${srcdir:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if ! sh "$SRC/tools/cli-options.sh" "$SRC" >"$T/options"; then
	echo "FAIL: tools/cli-options.sh failed"
	exit 1
fi
# The extraction itself must find something for the commands everyone knows.
for want in "optimize --output required" "optimize -o required" "info --json none" \
	"optimize --external-data optional"; do
	if grep -qx -- "$want" "$T/options"; then ok; else bad "cli-options.sh does not list '$want'"; fi
done

# The man page as plain text: font changes and escapes dropped, "\-" as "-".
sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(..//g' -e 's/\\[&%]//g' \
	"$SRC/man/onnx-opt.1" >"$T/man"

# section CMD: the man page's entry for CMD, from its ".TP/.B CMD" heading in
# COMMANDS to the next command's heading or the next section.
cmds=$(sed -n 's/^CMD(\([a-z0-9_-]*\),.*/\1/p' "$SRC/src/commands.def")
section() {
	awk -v cmd="$1" -v cmds=" $(echo $cmds) " '
		/^\.SH/ { inside = ($0 ~ /^\.SH COMMANDS/); on = 0 }
		inside && prev == ".TP" && /^\.B [a-z]/ {
			split($0, w, /[ \t]+/)
			if (index(cmds, " " w[2] " "))
				on = (w[2] == cmd)
		}
		on { print }
		{ prev = $0 }' "$T/man"
}

# has FILE OPTION: OPTION appears in FILE as a whole word ("--shape" does not
# count for "--shapes", nor "-o" for "-on").
has() {
	grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|$)" "$1"
}

for cmd in $cmds; do
	section "$cmd" >"$T/man.$cmd"
	if [ -s "$T/man.$cmd" ]; then ok; else bad "man page: no entry for '$cmd' under COMMANDS"; fi
	if "$OX" "$cmd" --help >"$T/help.$cmd" 2>&1; then ok; else bad "$cmd --help failed"; fi
done
while read -r cmd opt arg; do
	# --help is described once for all commands.
	case $opt in -h|--help) continue ;; esac
	if has "$T/help.$cmd" "$opt"; then ok; else bad "'$cmd --help' does not mention $opt"; fi
	if has "$T/man.$cmd" "$opt"; then ok; else bad "man page: '$cmd' does not mention $opt"; fi
done <"$T/options"
if grep -q -- '--help' "$T/man"; then ok; else bad "man page does not mention --help"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
