#!/bin/sh
# `make install` into a temporary DESTDIR, then use the installed files alone: the
# binary, the man page, the bash completion, one public header (no internal one),
# a shared library that exports exactly the header's functions and a static one,
# and onnxopt.pc, through which examples/optimize_example.c is compiled (shared and
# static) and run on examples/tinycnn.onnx. Its output must load with
# `onnx-opt info`, have fewer nodes, compute the same outputs, and equal what
# `onnx-opt optimize` writes. Prints "N passed, N failed" last.
set -u
OX=${ONNX_OPT:-./onnx-opt}
SRC=${srcdir:-.}
TOP=${top_builddir:-.}
MAKE=${MAKE:-make}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

. "$SRC/tests/valgrind.sh"
# The installed library of a sanitizer build needs the sanitizer runtime in every
# program that links it; the packaging is what this tests, and the normal build does.
if [ -n "$ASAN" ]; then echo "SKIP: sanitizer build"; exit 77; fi

# The make that runs this test passes its flags down; this install is a make of
# its own, and must not build anything (everything is built before tests run).
R=$T/root
if MAKEFLAGS= MFLAGS= $MAKE -C "$TOP" install DESTDIR="$R" >"$T/install.log" 2>&1; then
	ok
else
	bad "make install DESTDIR=$R failed"; tail -20 "$T/install.log"; finish
fi

# --- what was installed ---
pc=$(find "$R" -name onnxopt.pc)
if [ -n "$pc" ] && [ "$(echo "$pc" | wc -l)" -eq 1 ]; then ok; else bad "onnxopt.pc installed $(echo "$pc" | wc -l) times"; finish; fi
export PKG_CONFIG_PATH="${pc%/*}"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
libdir=$($PKG_CONFIG --variable=libdir onnxopt)
includedir=$($PKG_CONFIG --variable=includedir onnxopt)
if [ -n "$libdir" ] && [ -n "$includedir" ]; then ok; else bad "onnxopt.pc gives no libdir or includedir"; finish; fi
# The .pc names the final prefix; under DESTDIR the files are below $R.
PC="$PKG_CONFIG --define-variable=libdir=$R$libdir --define-variable=includedir=$R$includedir"

if [ "$($PKG_CONFIG --modversion onnxopt)" = "$($OX --version | cut -d' ' -f2)" ]; then ok; else bad "onnxopt.pc version differs from onnx-opt --version"; fi
bin=$(find "$R" -type f -name onnx-opt -path '*/bin/*')
if [ -n "$bin" ] && "$bin" --version >/dev/null; then ok; else bad "no working bin/onnx-opt installed"; fi
if [ -n "$(find "$R" -path '*/man1/onnx-opt.1')" ]; then ok; else bad "no man1/onnx-opt.1 installed"; fi
if [ -n "$(find "$R" -path '*/targets/ort-cpu.json')" ]; then ok; else bad "the target profiles are not installed"; fi
for f in libonnxopt.a libonnxopt.so; do
	if [ -e "$R$libdir/$f" ]; then ok; else bad "$libdir/$f not installed"; fi
done
headers=$(cd "$R" && find . -name '*.h' | sort | tr '\n' ' ')
if [ "$headers" = ".$includedir/onnxopt.h " ]; then ok; else bad "installed headers are '$headers', wanted $includedir/onnxopt.h alone"; fi

# The bash completion completes subcommands and options.
comp=$(find "$R" -type f -path '*bash-completion/completions/onnx-opt')
if [ -n "$comp" ]; then
	ok
	got=$(bash -c '. "$1"; COMP_WORDS=(onnx-opt optimize --external-d); COMP_CWORD=2; _onnx_opt; echo "${COMPREPLY[*]}"' sh "$comp")
	if [ "$got" = "--external-data --external-data-threshold" ]; then ok; else bad "completion of 'optimize --external-d' gave '$got'"; fi
	got=$(bash -c '. "$1"; COMP_WORDS=(onnx-opt conv); COMP_CWORD=1; _onnx_opt; echo "${COMPREPLY[*]}"' sh "$comp")
	if [ "$got" = convert ]; then ok; else bad "completion of 'conv' gave '$got'"; fi
	got=$(bash -c '. "$1"; COMP_WORDS=(onnx-opt audit --format s); COMP_CWORD=3; _onnx_opt; echo "${COMPREPLY[*]}"' sh "$comp")
	if [ "$got" = sarif ]; then ok; else bad "completion of 'audit --format s' gave '$got'"; fi
else
	bad "no bash-completion/completions/onnx-opt installed"
fi

# The shared library exports the functions the header declares, and nothing else.
if command -v nm >/dev/null 2>&1; then
	sed -n 's/^[a-z].*[ *]\(ox_[a-z_]*\)(.*/\1/p' "$R$includedir/onnxopt.h" | sort >"$T/declared"
	nm -D --defined-only "$R$libdir/libonnxopt.so" | awk '$2 == "T" { print $3 }' | sort >"$T/exported"
	if [ -s "$T/declared" ] && cmp -s "$T/declared" "$T/exported"; then
		ok
	else
		bad "exported functions differ from the header's:"; diff "$T/declared" "$T/exported" | head -10
	fi
fi

# --- the example, built from the installed files alone ---
cflags=$($PC --cflags onnxopt)
libs=$($PC --libs onnxopt)
if $CC -std=c99 -Wall -Wextra -Werror -pedantic $cflags "$SRC/examples/optimize_example.c" \
	$libs -o "$T/example" 2>"$T/cc.err"; then ok; else bad "the example does not build: $(head -5 "$T/cc.err")"; finish; fi
static_libs=$($PC --static --libs onnxopt | sed 's/-lonnxopt\b//')
if $CC -std=c99 -Wall -Wextra -Werror $cflags "$SRC/examples/optimize_example.c" \
	"$R$libdir/libonnxopt.a" $static_libs -o "$T/example-static" 2>"$T/cc.err"; then
	ok
else
	bad "the example does not link statically: $(head -5 "$T/cc.err")"
fi

M=$SRC/examples/tinycnn.onnx
export LD_LIBRARY_PATH="$R$libdir"
if $VG "$T/example" "$M" "$T/out.onnx" >"$T/ex.out" 2>"$T/ex.err"; then ok; else bad "the example failed on $M: $(cat "$T/ex.err")"; fi
if ldd "$T/example" | grep -q "$R$libdir/libonnxopt.so"; then ok; else bad "the example does not use the installed libonnxopt.so"; fi
if $OX info "$T/out.onnx" >"$T/info.out" 2>&1; then ok; else bad "onnx-opt info cannot read the example's output: $(cat "$T/info.out")"; fi
nodes() { $OX info --json "$1" | sed -n 's/^  "nodes": \([0-9]*\),$/\1/p'; }
before=$(nodes "$M")
after=$(nodes "$T/out.onnx")
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -lt "$before" ]; then ok; else bad "nodes before '$before', after '$after': not fewer"; fi
if [ "$(cat "$T/ex.out")" = "$M: $before nodes, $T/out.onnx: $after nodes" ]; then ok; else bad "the example printed '$(cat "$T/ex.out")', onnx-opt info counts $before and $after"; fi
if $OX check "$M" "$T/out.onnx" -n 2 --shape input=2x3x32x32 >"$T/check.out" 2>&1; then ok; else bad "the example's output computes something else: $(tail -3 "$T/check.out")"; fi
$OX optimize "$M" -o "$T/cli.onnx" 2>/dev/null
if cmp -s "$T/cli.onnx" "$T/out.onnx"; then ok; else bad "the library and 'onnx-opt optimize' write different models"; fi
if [ -x "$T/example-static" ]; then
	if ldd "$T/example-static" | grep -q libonnxopt; then bad "the static example links libonnxopt.so"; else ok; fi
	if "$T/example-static" "$M" "$T/static.onnx" >/dev/null 2>&1 && cmp -s "$T/static.onnx" "$T/out.onnx"; then
		ok
	else
		bad "the static example did not write the same model"
	fi
fi

# Bad input: exit 2, the message names the file, nothing written.
$VG "$T/example" "$T/missing.onnx" "$T/bad.onnx" >/dev/null 2>"$T/ex.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "$T/missing.onnx" "$T/ex.err" && [ ! -e "$T/bad.onnx" ]; then
	ok
else
	bad "the example on a missing file: exit $rc, '$(cat "$T/ex.err")'"
fi
head -c 300 "$M" >"$T/truncated.onnx"
$VG "$T/example" "$T/truncated.onnx" "$T/bad.onnx" >/dev/null 2>"$T/ex.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "$T/truncated.onnx" "$T/ex.err" && [ ! -e "$T/bad.onnx" ]; then ok; else bad "the example on a truncated model: exit $rc, '$(cat "$T/ex.err")'"; fi
$VG "$T/example" "$M" "$T/no/such/dir/out.onnx" >/dev/null 2>"$T/ex.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "$T/no/such/dir/out.onnx" "$T/ex.err"; then ok; else bad "the example writing to a missing directory: exit $rc, '$(cat "$T/ex.err")'"; fi

finish
