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
./autogen.sh
./configure ${CONFIGURE_FLAGS:-}
make -j"$(nproc)"
