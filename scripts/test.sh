#!/usr/bin/env bash
# The whole test suite, MariaDB included, on a fresh Debian machine.
#
# Installs Debian's mariadb-server when it is missing, starts a private
# server as a plain background process (its own data directory, 127.0.0.1,
# a free port, no system service), runs `cargo test` against it, and stops
# the server again, also when the tests fail. Extra arguments go to
# `cargo test`. If the server cannot start, the run fails: MySQL tests are
# never skipped here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/sbin:/usr/bin:$PATH"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v mariadbd >/dev/null 2>&1; then
  echo "== installing mariadb-server (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-mariadb.XXXXXX")
user_flag=()
if [ "$(id -u)" -eq 0 ]; then user_flag=(--user=root); fi

# A free port: one that nothing answers on.
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 30000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

stop_server() {
  if [ -f "$work/pid" ]; then
    kill "$(cat "$work/pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [ -f "$work/pid" ] || break
      sleep 0.1
    done
  fi
  rm -rf "$work"
}
trap stop_server EXIT

echo "== starting MariaDB on 127.0.0.1:$port (data in $work)"
mariadb-install-db --no-defaults --datadir="$work/data" \
  --auth-root-authentication-method=socket "${user_flag[@]}" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; exit 1; }
mariadbd --no-defaults --datadir="$work/data" --socket="$work/sock" \
  --pid-file="$work/pid" --port="$port" --bind-address=127.0.0.1 \
  --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
  "${user_flag[@]}" >"$work/server.log" 2>&1 &

for _ in $(seq 1 120); do
  if mariadb-admin --socket="$work/sock" ping >/dev/null 2>&1; then break; fi
  sleep 0.5
done
mariadb-admin --socket="$work/sock" ping >/dev/null 2>&1 \
  || { echo "MariaDB did not start:" >&2; tail -n 30 "$work/server.log" >&2; exit 1; }

password="ts-$RANDOM-$RANDOM"
mariadb --socket="$work/sock" -u root <<SQL
CREATE DATABASE zohooauth;
CREATE USER 'tokenstore'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON zohooauth.* TO 'tokenstore'@'127.0.0.1';
SQL

export TOKENSTORE_TEST_MYSQL_URI="mysql://tokenstore:$password@127.0.0.1:$port/zohooauth"
echo "== cargo test"
cargo test "$@"
