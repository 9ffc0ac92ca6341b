#!/bin/sh
# Install what onnx-opt needs on Debian 12 (as root, or through sudo) and build it.
# Usage: tools/setup.sh   (then ./onnx-opt is at the top of the tree)
set -e
cd "$(dirname "$0")/.."
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2046
$SUDO apt-get install -y -q --no-install-recommends $(cat tools/debian-packages.txt)
# The JSON Schema validators of `make check` (tests/schemas.sh): Ajv and the SARIF
# 2.1.0 schema, from the npm registry into tools/schema-check/node_modules.
if command -v npm >/dev/null 2>&1; then
	(cd tools/schema-check && npm install --no-audit --no-fund --ignore-scripts \
		--no-package-lock --loglevel=error) ||
		echo "setup.sh: npm install in tools/schema-check failed; tests/schemas.sh will skip" >&2
else
	echo "setup.sh: no npm; tests/schemas.sh will skip" >&2
fi
./autogen.sh
./configure ${CONFIGURE_FLAGS:-}
make -j"$(nproc)"
