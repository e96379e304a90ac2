#!/usr/bin/env bash
# The whole test suite, MariaDB and PostgreSQL included, on a fresh Debian
# machine.
#
# Installs Debian's mariadb-server and postgresql when they are missing,
# starts a private server of each (see scripts/mariadb.sh and
# scripts/postgres.sh), runs `cargo test` against them, and stops both
# again, also when the tests fail. Extra arguments go to `cargo test`. If a
# server cannot start, the run fails: MySQL and PostgreSQL tests are never
# skipped here. Both servers run with TLS only (a throwaway CA and server
# certificate from scripts/tls.sh): MariaDB with require_secure_transport,
# PostgreSQL with ssl=on and hostssl-only rules, so every server test goes
# over TLS and tests/tls.rs checks the modes and refusals. Without arguments it then runs the CLI tests of the
# build without MySQL and scripts/interop.sh (the real SDKs, installed once
# from PyPI and npm into ~/.cache/tokenstore-interop).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mariadb.sh
source scripts/postgres.sh
source scripts/tls.sh
cleanup() { stop_mariadb; stop_postgres; remove_test_tls; }
trap cleanup EXIT
make_test_tls
start_mariadb
trap cleanup EXIT # start_mariadb sets its own
start_postgres
echo "== cargo test"
cargo test "$@"
if [ $# -eq 0 ]; then
  echo "== cargo test --no-default-features (the build without MySQL)"
  cargo test --no-default-features --test cli
  echo "== interop with the real Python and Node SDKs (scripts/interop.sh)"
  cargo build --quiet
  TOKENSTORE_BIN="${CARGO_TARGET_DIR:-target}/debug/tokenstore" bash scripts/interop.sh
fi
