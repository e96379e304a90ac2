# Sourced by scripts/test.sh and benches/run.sh: start_mariadb installs
# Debian's mariadb-server when missing, starts a private server as a plain
# background process (own data folder, 127.0.0.1, a free port, no system
# service), creates the `zohooauth` database and a user with a password, and
# exports TOKENSTORE_TEST_MYSQL_URI. The server is stopped when the calling
# script exits, whatever the reason. With tls_dir set (scripts/tls.sh), the
# server has a certificate and refuses plain TCP (require_secure_transport),
# and the URI asks for TLS.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

start_mariadb() {
  export PATH="/usr/sbin:/usr/bin:$PATH"
  if ! command -v mariadbd >/dev/null 2>&1; then
    echo "== installing mariadb-server (Debian package)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
  fi

  mariadb_dir=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-mariadb.XXXXXX")
  trap stop_mariadb EXIT
  local user_flag=()
  if [ "$(id -u)" -eq 0 ]; then user_flag=(--user=root); fi

  echo "== starting MariaDB (data in $mariadb_dir)"
  mariadb-install-db --no-defaults --datadir="$mariadb_dir/data" \
    --auth-root-authentication-method=socket "${user_flag[@]}" >"$mariadb_dir/install.log" 2>&1 \
    || { cat "$mariadb_dir/install.log" >&2; return 1; }

  # A free port below the kernel's ephemeral range (so no outgoing
  # connection holds it); if the bind still fails, another port.
  local ephemeral_low port="" attempt
  ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  local tls_flags=()
  if [ -n "${tls_dir:-}" ]; then
    tls_flags=(--ssl-ca="$tls_dir/ca.crt" --ssl-cert="$tls_dir/server.crt"
      --ssl-key="$tls_dir/server.key" --require-secure-transport=ON)
  fi
  for attempt in $(seq 1 8); do
    port=$((10000 + RANDOM % (ephemeral_low - 10000)))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    mariadbd --no-defaults --datadir="$mariadb_dir/data" --socket="$mariadb_dir/sock" \
      --pid-file="$mariadb_dir/pid" --port="$port" --bind-address=127.0.0.1 \
      --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
      "${tls_flags[@]}" "${user_flag[@]}" >"$mariadb_dir/server.log" 2>&1 &
    local server_pid=$!
    for _ in $(seq 1 120); do
      if mariadb-admin --socket="$mariadb_dir/sock" ping >/dev/null 2>&1; then break 2; fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.5
    done
    echo "== MariaDB did not start on port $port (attempt $attempt); trying another" >&2
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  done
  mariadb-admin --socket="$mariadb_dir/sock" ping >/dev/null 2>&1 \
    || { echo "MariaDB did not start:" >&2; tail -n 30 "$mariadb_dir/server.log" >&2; return 1; }
  echo "== MariaDB is up on 127.0.0.1:$port"

  local password="ts-$RANDOM-$RANDOM"
  mariadb --socket="$mariadb_dir/sock" -u root <<SQL
CREATE DATABASE zohooauth;
CREATE USER 'tokenstore'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON zohooauth.* TO 'tokenstore'@'127.0.0.1';
SQL
  local query=""
  if [ -n "${tls_dir:-}" ]; then query="?ssl-mode=required"; fi
  export TOKENSTORE_TEST_MYSQL_URI="mysql://tokenstore:$password@127.0.0.1:$port/zohooauth$query"
}

stop_mariadb() {
  if [ -n "${mariadb_dir:-}" ] && [ -f "$mariadb_dir/pid" ]; then
    kill "$(cat "$mariadb_dir/pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [ -f "$mariadb_dir/pid" ] || break
      sleep 0.1
    done
  fi
  [ -n "${mariadb_dir:-}" ] && rm -rf "$mariadb_dir"
  return 0
}
