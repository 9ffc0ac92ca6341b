#!/bin/sh
# tests/fuzz/build.sh: build the libFuzzer harnesses (what `make fuzz` runs).
# Usage: build.sh SRCDIR SOURCE...   with CC, CPPFLAGS, LIBS and JOBS in the
# environment (the Makefile passes them). Every library source is compiled again
# with clang's coverage and sanitizers into tests/fuzz/obj/ of the build directory;
# an object is rebuilt when its source or any header of the tree is newer.
set -e
srcdir=$1
shift
obj=tests/fuzz/obj
mkdir -p "$obj"
export CC CPPFLAGS FLAGS
FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
newest_header=$(ls -t "$srcdir"/src/*.h "$srcdir"/src/ops/*.h "$srcdir"/passes/*.h \
	"$srcdir"/passes/*.def "$srcdir"/src/*.def "$srcdir"/src/ops/*.def proto/onnx.pb-c.h \
	2>/dev/null | head -n 1)
objects=
todo=$obj/todo
: >"$todo"
for s in "$@"; do
	case $s in *.c) ;; *) continue ;; esac
	src=$s
	[ -f "$src" ] || src=$srcdir/$s
	o=$obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	objects="$objects $o"
	if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		echo "$src $o" >>"$todo"
	fi
done
xargs -r -n 2 -P "${JOBS:-2}" sh -c \
	'echo "  FUZZCC   $1"; $CC $FLAGS -fsanitize=fuzzer-no-link $CPPFLAGS -c "$0" -o "$1"' <"$todo"
rm -f "$todo"
for h in fuzz_load fuzz_optimize; do
	echo "  FUZZLD   tests/fuzz/$h"
	# shellcheck disable=SC2086
	$CC $FLAGS -fsanitize=fuzzer $CPPFLAGS -o "tests/fuzz/$h" "$srcdir/tests/fuzz/$h.c" \
		$objects $LIBS
done
