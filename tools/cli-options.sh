#!/bin/sh
# Print every option each subcommand accepts, read from the source: the subcommands
# from src/commands.def, each one's options from the getopt_long call and the
# struct option table in the file that defines its ox_cmd_NAME().
# Usage: tools/cli-options.sh [SRCDIR]
# Output: one line per option, "COMMAND OPTION ARG", ARG being none, required or
# optional; OPTION is "-x" or "--long". Used by tests/check_options.sh and to
# generate the bash completion (tools/gen-completion.sh).
set -eu
SRC=${1:-.}

sed -n 's/^CMD(\([a-z0-9_-]*\), *\([a-z0-9_]*\),.*/\1 \2/p' "$SRC/src/commands.def" |
while read -r cmd fn; do
	file=$(grep -l "^$fn(" "$SRC"/src/*.c | head -n 1)
	if [ -z "$file" ]; then
		echo "cli-options.sh: no file defines $fn()" >&2
		exit 1
	fi
	# Short options: the optstring of getopt_long ("o:p::h"; a leading ':' only
	# changes error reporting).
	sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$file" | sed 's/^://' |
	while read -r optstring; do
		rest=$optstring
		while [ -n "$rest" ]; do
			c=$(printf '%s' "$rest" | cut -c1)
			rest=$(printf '%s' "$rest" | cut -c2-)
			arg=none
			case $rest in
			::*) arg=optional; rest=${rest#::} ;;
			:*) arg=required; rest=${rest#:} ;;
			esac
			echo "$cmd -$c $arg"
		done
	done
	# Long options: the rows of the struct option table.
	sed -n 's/.*{ *"\([a-zA-Z0-9-]*\)", *\([a-z]*\)_argument,.*/\1 \2/p' "$file" |
	while read -r name arg; do
		[ "$arg" = no ] && arg=none
		echo "$cmd --$name $arg"
	done
done
