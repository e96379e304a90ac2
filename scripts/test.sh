#!/usr/bin/env bash
# The whole test suite, MariaDB included, on a fresh Debian machine.
#
# Installs Debian's mariadb-server when it is missing, starts a private
# server (see scripts/mariadb.sh), runs `cargo test` against it, and stops
# the server again, also when the tests fail. Extra arguments go to
# `cargo test`. If the server cannot start, the run fails: MySQL tests are
# never skipped here. Without arguments it then runs the CLI tests of the
# build without MySQL and scripts/interop.sh (the real SDKs, installed once
# from PyPI and npm into ~/.cache/tokenstore-interop).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mariadb.sh
start_mariadb
echo "== cargo test"
cargo test "$@"
if [ $# -eq 0 ]; then
  echo "== cargo test --no-default-features (the build without MySQL)"
  cargo test --no-default-features --test cli
  echo "== interop with the real Python and Node SDKs (scripts/interop.sh)"
  cargo build --quiet
  TOKENSTORE_BIN=target/debug/tokenstore bash scripts/interop.sh
fi
