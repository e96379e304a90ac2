#!/usr/bin/env bash
# Whole-process benchmarks of the release binary on generated stores.
#
#   bash benches/run.sh [TOKENS]      # default 100000
#
# Generates TOKENS realistic tokens, loads them into a file: and a sqlite:
# store with one `save --input`, then times lookups, upserts, listing and
# migration (to MySQL and PostgreSQL too, on private servers it starts) with hyperfine
# and GNU time, both installed from Debian if missing; then runs the
# in-process criterion benchmarks (benches/store_ops.rs) at 1,000, 100,000
# (with MySQL and PostgreSQL) and TOKENS tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-100000}
source scripts/mariadb.sh
source scripts/postgres.sh
command -v hyperfine >/dev/null 2>&1 || as_root apt-get install -y -qq hyperfine >/dev/null
[ -x /usr/bin/time ] || as_root apt-get install -y -qq time >/dev/null
cargo build --release -q
ts="$PWD/target/release/tokenstore"
work=$(mktemp -d)
trap 'rm -rf "$work"; stop_mariadb; stop_postgres' EXIT
start_mariadb >/dev/null
trap 'rm -rf "$work"; stop_mariadb; stop_postgres' EXIT
start_postgres >/dev/null
mysql="$TOKENSTORE_TEST_MYSQL_URI"
pg="$TOKENSTORE_TEST_PG_URI"
cd "$work"

echo "== $n tokens on $(nproc) cores, $(uname -m), $(date -u +%F)"
seq 1 "$n" | awk '{
  printf "{\"id\":\"%d\",\"user_name\":\"user%d@example.com\",\"client_id\":\"1000.CLIENT\",", $1, $1
  printf "\"client_secret\":\"ssssssssssssssssssssssssssssssssssssssss\",\"refresh_token\":\"1000.rt.%08d.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\",", $1
  printf "\"access_token\":\"1000.at.%08d.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"expiry_time\":\"%d\",", $1, 1767225600000 + $1
  printf "\"redirect_url\":\"https://app.example.com/cb\",\"api_domain\":\"https://www.zohoapis.com\"}\n"
}' > tokens.jsonl

mid=$((n / 2 + 7))
rt=$(printf '1000.rt.%08d.%s' "$mid" "$(printf 'r%.0s' $(seq 60))")
secret=$(printf 's%.0s' $(seq 40))
hf() { hyperfine --style basic --warmup 2 "$@"; }

echo "== loading (one save --input, one transaction)"
hf --runs 3 --prepare 'rm -f f.csv f.csv.lock' "$ts --store file:f.csv save --input tokens.jsonl --format jsonl"
hf --runs 3 --prepare 'rm -f s.db' "$ts --store sqlite:s.db save --input tokens.jsonl --format jsonl"
"$ts" --store file:f.csv save --input tokens.jsonl --format jsonl >/dev/null
"$ts" --store sqlite:s.db save --input tokens.jsonl --format jsonl >/dev/null

echo "== lookups and upserts"
for store in sqlite:s.db file:f.csv; do
  hf -N --runs 20 \
    "$ts --store $store find-by-id $mid --json" \
    "$ts --store $store find --user-name user$mid@example.com --json" \
    "$ts --store $store find --refresh-token $rt --client-id 1000.CLIENT --client-secret $secret --json" \
    "$ts --store $store save --user-name user$mid@example.com --access-token fresh --json"
done

echo "== listing and migrating"
/usr/bin/time -f "list --format jsonl (sqlite): %e s, peak %M KB" "$ts" --store sqlite:s.db list --format jsonl >/dev/null
hf --runs 3 --prepare 'rm -f m.db' "$ts --store file:f.csv migrate --to sqlite:m.db"
/usr/bin/time -f "migrate file -> sqlite: %e s, peak %M KB" "$ts" --store file:f.csv migrate --to sqlite:m2.db >/dev/null
/usr/bin/time -f "migrate sqlite -> mysql: %e s, peak %M KB" "$ts" --store sqlite:s.db migrate --to "$mysql" >/dev/null
/usr/bin/time -f "migrate sqlite -> postgres: %e s, peak %M KB" "$ts" --store sqlite:s.db migrate --to "$pg" >/dev/null
for server in "$mysql" "$pg"; do
  hf -N --runs 20 \
    "$ts --store $server find-by-id $mid --json" \
    "$ts --store $server find --user-name user$mid@example.com --json" \
    "$ts --store $server save --user-name user$mid@example.com --access-token fresh --json"
done
hf -N --runs 50 "$ts --version"

echo "== in-process store operations (criterion, benches/store_ops.rs)"
cd "$root"
sizes=$(printf '%s\n' 1000 100000 "$n" | sort -un | paste -sd,)
TOKENSTORE_BENCH_SIZES="$sizes" cargo bench -q --bench store_ops 2>&1 | grep -E "^[a-z]+/|time:"
