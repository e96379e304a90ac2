# Sourced by scripts/test.sh and benches/run.sh: start_postgres installs
# Debian's postgresql when missing, starts a private cluster as a plain
# background process (own data folder, 127.0.0.1, a free port, no system
# service) owned by an unprivileged user (PostgreSQL refuses to run as
# root), creates the `zohooauth` database and a user with a password, and
# exports TOKENSTORE_TEST_PG_URI. Call stop_postgres when done (the
# caller's EXIT trap does, whatever the reason).

pg_as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$pg_owner" -- "$@"
  else
    "$@"
  fi
}

# The newest PostgreSQL with a server (a client-only package has no initdb).
newest_pg_server() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V \
    | while read -r dir; do [ -x "$dir/initdb" ] && echo "$dir"; done | tail -n 1
}

start_postgres() {
  local bin
  bin=$(newest_pg_server || true)
  if [ -z "$bin" ]; then
    echo "== installing postgresql (Debian package)"
    pg_as_root apt-get update -qq
    pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(newest_pg_server)
  fi
  # Known from here on: the exit trap stops a server that started even
  # if a later step fails.
  pg_bin=$bin

  # As root, the cluster belongs to a dedicated unprivileged user.
  pg_owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    pg_owner=tokenstore-pg
    id "$pg_owner" >/dev/null 2>&1 \
      || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_owner"
  fi

  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-postgres.XXXXXX")
  chmod 0755 "$pg_dir"
  if [ "$(id -u)" -eq 0 ]; then chown "$pg_owner" "$pg_dir"; fi

  echo "== starting PostgreSQL (data in $pg_dir)"
  local password="ts-$RANDOM-$RANDOM-$RANDOM"
  printf '%s\n' "$password" >"$pg_dir/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown "$pg_owner" "$pg_dir/pwfile"; fi
  # The superuser logs in over the private socket only; TCP needs a password.
  pg_as_owner "$bin/initdb" -D "$pg_dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; return 1; }
  rm -f "$pg_dir/pwfile"
  # Optional TLS (see scripts/tls.sh): a certificate, and TCP only over TLS.
  if [ -n "${tls_dir:-}" ]; then
    cp "$tls_dir/server.crt" "$tls_dir/server.key" "$pg_dir/data/"
    chmod 0600 "$pg_dir/data/server.key"
    if [ "$(id -u)" -eq 0 ]; then chown "$pg_owner" "$pg_dir/data/server.crt" "$pg_dir/data/server.key"; fi
    cat >>"$pg_dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
    cat >"$pg_dir/data/pg_hba.conf" <<HBA
local   all all                 trust
hostssl all all 127.0.0.1/32    scram-sha-256
HBA
  fi

  # A free port below the kernel's ephemeral range (so no outgoing
  # connection holds it); if the bind still fails, another port.
  local ephemeral_low port="" attempt
  ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for attempt in $(seq 1 8); do
    port=$((10000 + RANDOM % (ephemeral_low - 10000)))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if pg_as_owner "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c max_connections=300 \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      pg_port=$port
      break
    fi
    echo "== PostgreSQL did not start on port $port (attempt $attempt); trying another" >&2
  done
  if [ -z "${pg_port:-}" ]; then
    echo "PostgreSQL did not start:" >&2
    tail -n 30 "$pg_dir/server.log" >&2
    return 1
  fi
  echo "== PostgreSQL is up on 127.0.0.1:$pg_port"

  pg_as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres \
    -d postgres >/dev/null <<SQL
CREATE USER tokenstore PASSWORD '$password';
CREATE DATABASE zohooauth OWNER tokenstore;
SQL
  local query=""
  if [ -n "${tls_dir:-}" ]; then query="?sslmode=require"; fi
  export TOKENSTORE_TEST_PG_URI="postgres://tokenstore:$password@127.0.0.1:$pg_port/zohooauth$query"
  pg_bin=$bin
}

stop_postgres() {
  if [ -n "${pg_dir:-}" ] && [ -n "${pg_bin:-}" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || kill "$(head -n 1 "$pg_dir/data/postmaster.pid")" 2>/dev/null || true
  fi
  [ -n "${pg_dir:-}" ] && rm -rf "$pg_dir"
  return 0
}
