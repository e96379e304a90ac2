#!/usr/bin/env bash
# Whole-process benchmarks of the release binary against the floor for the
# same work, measured in the same run, then the in-process criterion ones.
#
#   bash benches/run.sh [TOKENS]      # default 100000
#
# Generates TOKENS realistic tokens, loads them into a file: and a sqlite:
# store with one `save --input`, and compiles the C floor programs in
# benches/floor/ (statically, against Debian's libsqlite3). Then each
# command is run against its floor (a C program, `grep -F`, `sqlite3`,
# `LOAD DATA` on a private MariaDB it starts) by benches/ab.py: the two
# alternate run by run, and the ratio is the median of the per-pair ratios.
# Lookups and upserts run 31 pairs, file lookups 11, bulk commands 5 (3
# from 1,000,000 tokens), with peak memory through GNU time. It prints
# one table (operation | size | tokenstore | floor | ratio | target |
# met?) and saves it as markdown under target/bench/ (TOKENSTORE_BENCH_BIN
# times another build of tokenstore instead). Finally it runs the
# in-process criterion benchmarks (benches/store_ops.rs) at 1,000, 100,000
# (with MySQL and PostgreSQL, on a private cluster it starts) and TOKENS
# tokens; TOKENSTORE_BENCH_CRITERION=0 skips them.
#
# Whatever is missing is installed from Debian: gcc, libc6-dev,
# libsqlite3-dev, sqlite3, time, python3, mariadb-server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-100000}
began=$(date +%s)
source scripts/mariadb.sh
source scripts/postgres.sh

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -n "$(gcc -print-file-name=libc.a 2>/dev/null | grep /)" ] || need+=(libc6-dev)
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# TOKENSTORE_BENCH_BIN measures another build (e.g. another branch's
# target/release/tokenstore) with this harness.
if [ -n "${TOKENSTORE_BENCH_BIN:-}" ]; then
  ts=$(realpath "$TOKENSTORE_BENCH_BIN")
else
  cargo build --release -q
  ts="${CARGO_TARGET_DIR:-$root/target}/release/tokenstore"
fi
out_dir="${CARGO_TARGET_DIR:-$root/target}/bench"
mkdir -p "$out_dir"
start_mariadb >/dev/null
mysql="$TOKENSTORE_TEST_MYSQL_URI"
work=$(mktemp -d)
trap 'rm -rf "$work"; stop_mariadb; stop_postgres' EXIT
cd "$work"

# The floor programs: static, like the release binary's bundled SQLite
# (falls back to a dynamic libc where no static one is installed).
mkdir bin
for prog in sqlite_floor file_save_floor; do
  gcc -O2 -static -o "bin/$prog" "$root/benches/floor/$prog.c" -l:libsqlite3.a -lm 2>/dev/null ||
    gcc -O2 -o "bin/$prog" "$root/benches/floor/$prog.c" -l:libsqlite3.a -lm -lpthread
done
sqlite_floor="$work/bin/sqlite_floor"
file_save_floor="$work/bin/file_save_floor"
sqlite3=$(command -v sqlite3)
grep=$(command -v grep)
mariadb=$(command -v mariadb)

results="$work/results.jsonl"
ab() { python3 "$root/benches/ab.py" run "$results" "$@"; }
big=$((n >= 1000000))
lookup_runs=31
scan_runs=11
bulk_runs=$((big ? 3 : 5))

echo "== $n tokens on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -m), $(free -g | awk '/Mem:/ {print $2}') GiB, $(df -T . | awk 'NR==2 {print $2}') at $work, $(date -u '+%F %H:%M UTC')"
echo "   $("$ts" --version | head -1); SQLite: tokenstore bundles its own, floors $("$sqlite3" --version | cut -d' ' -f1); $("$mariadb" --version | sed 's/.*Distrib \([^,]*\),.*/MariaDB \1/')"
echo "== generating tokens"
gen() {
  seq 1 "$1" | awk '{
    printf "{\"id\":\"%d\",\"user_name\":\"user%d@example.com\",\"client_id\":\"1000.CLIENT\",", $1, $1
    printf "\"client_secret\":\"ssssssssssssssssssssssssssssssssssssssss\",\"refresh_token\":\"1000.rt.%08d.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\",", $1
    printf "\"access_token\":\"1000.at.%08d.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"expiry_time\":\"%d\",", $1, 1767225600000 + $1
    printf "\"redirect_url\":\"https://app.example.com/cb\",\"api_domain\":\"https://www.zohoapis.com\"}\n"
  }'
}
gen "$n" > tokens.jsonl
mid=$((n / 2 + 7))
user="user$mid@example.com"
rt=$(printf '1000.rt.%08d.%s' "$mid" "$(printf 'r%.0s' $(seq 60))")
secret=$(printf 's%.0s' $(seq 40))
cols="id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain"

echo "== loading the stores (untimed: one save --input each)"
"$ts" -q --store file:f.csv save --input tokens.jsonl --fields id >/dev/null
"$ts" -q --store sqlite:s.db save --input tokens.jsonl --fields id >/dev/null
# The schema and indexes tokenstore creates, for the sqlite3 .import floor.
"$sqlite3" s.db .schema > schema.sql
# A file store of 100,000 tokens for the file save figures.
small=$((n < 100000 ? n : 100000))
smid=$((small / 2 + 7))
if [ "$small" -lt "$n" ]; then
  head -n "$small" tokens.jsonl > tokens-small.jsonl
  "$ts" -q --store file:f-small.csv save --input tokens-small.jsonl --fields id >/dev/null
else
  cp tokens.jsonl tokens-small.jsonl
  cp f.csv f-small.csv
fi

echo "== sqlite: lookups and upsert ($lookup_runs pairs each)"
ab --op "sqlite find-by-id" --size "$n" --runs "$lookup_runs" --target-ratio 1.15 \
  --floor-name "C" \
  --a "$ts --store sqlite:s.db find-by-id $mid --json" \
  --b "$sqlite_floor s.db 'SELECT $cols FROM oauthtoken WHERE id = ?' $mid"
ab --op "sqlite find --user-name" --size "$n" --runs "$lookup_runs" --target-ratio 1.15 \
  --floor-name "C" \
  --a "$ts --store sqlite:s.db find --user-name $user --json" \
  --b "$sqlite_floor s.db 'SELECT $cols FROM oauthtoken WHERE user_name = ?' $user"
ab --op "sqlite find --refresh-token" --size "$n" --runs "$lookup_runs" --target-ratio 1.15 \
  --floor-name "C" \
  --a "$ts --store sqlite:s.db find --refresh-token $rt --client-id 1000.CLIENT --client-secret $secret --json" \
  --b "$sqlite_floor s.db 'SELECT $cols FROM oauthtoken WHERE refresh_token = ? AND client_id = ? AND client_secret = ?' $rt 1000.CLIENT $secret"
ab --op "sqlite save (upsert)" --size "$n" --runs "$lookup_runs" --target-ratio 1.15 \
  --floor-name "C" \
  --a "$ts -q --store sqlite:s.db save --user-name $user --access-token fresh{run} --json" \
  --b "$sqlite_floor --write s.db 'UPDATE oauthtoken SET access_token = ? WHERE user_name = ?' fresh{run} $user"

echo "== file: lookups ($scan_runs pairs) and upsert ($lookup_runs pairs)"
ab --op "file find-by-id" --size "$n" --runs "$scan_runs" --target-ratio 3 \
  --floor-name "grep -F" \
  --a "$ts --store file:f.csv find-by-id $mid --json" \
  --b "$grep -F $mid, f.csv"
ab --op "file find --user-name" --size "$n" --runs "$scan_runs" --target-ratio 3 \
  --floor-name "grep -F" \
  --a "$ts --store file:f.csv find --user-name $user --json" \
  --b "$grep -F $user f.csv"
ab --op "file find --refresh-token" --size "$n" --runs "$scan_runs" --target-ratio 3 \
  --floor-name "grep -F" \
  --a "$ts --store file:f.csv find --refresh-token $rt --client-id 1000.CLIENT --client-secret $secret --json" \
  --b "$grep -F $rt f.csv"
ab --op "file save (upsert)" --size "$small" --runs "$lookup_runs" --target-ratio 1.3 \
  --floor-name "C" \
  --a "$ts -q --store file:f-small.csv save --user-name user$smid@example.com --access-token fresh{run} --json" \
  --b "$file_save_floor f-small.csv 1 user$smid@example.com 5 fresh{run}"

echo "== bulk: loading, migrating, listing ($bulk_runs pairs each, peak memory through GNU time)"
import="$sqlite3 i.db BEGIN '.read schema.sql' '.import --csv --skip 1 f.csv oauthtoken' COMMIT"
ab --op "migrate file → sqlite (new file)" --size "$n" --runs "$bulk_runs" --peak --devnull --target-ratio 1.0 \
  --floor-name "sqlite3 .import" \
  --prepare-a "rm -f m.db m.db-journal" --prepare-b "rm -f i.db i.db-journal" \
  --a "$ts --store file:f.csv migrate --to sqlite:m.db" --b "$import"
ab --op "save --input → sqlite (new)" --size "$n" --runs "$bulk_runs" --peak --devnull --target-ratio 1.0 --target-peak-mb 200 \
  --floor-name "sqlite3 .import" \
  --prepare-a "rm -f m.db m.db-journal" --prepare-b "rm -f i.db i.db-journal" \
  --a "$ts -q --store sqlite:m.db save --input tokens.jsonl --fields id" --b "$import"
save_file() { # size, jsonl, csv
  ab --op "save --input → file (new)" --size "$1" --runs "$bulk_runs" --peak --devnull --target-ratio 5 --target-peak-mb 200 \
    --floor-name "C" \
    --prepare-a "rm -f n.csv n.csv.lock" --prepare-b "rm -f n2.csv n2.csv.lock" \
    --a "$ts -q --store file:n.csv save --input $2 --fields id" --b "$file_save_floor --copy $3 n2.csv"
}
[ "$small" -lt "$n" ] && save_file "$small" tokens-small.jsonl f-small.csv
save_file "$n" tokens.jsonl f.csv
ab --op "list --format jsonl (sqlite)" --size "$n" --runs "$bulk_runs" --peak --devnull --target-ratio 1.3 --target-peak-mb 64 \
  --floor-name "sqlite3" \
  --a "$ts --store sqlite:s.db list --format jsonl" \
  --b "$sqlite3 s.db 'SELECT $cols FROM oauthtoken ORDER BY CAST(id AS INTEGER), id'"
# Every list format on both backends, one after the other: the time is
# their sum, the peak the largest of the five.
for store in file:f.csv sqlite:s.db; do
  ab --op "list, each of 5 formats (${store%%:*})" --size "$n" --runs 1 --peak --devnull --target-peak-mb 64 \
    --floor-name "peak memory only" \
    --a "bash -c 'for f in table wide json jsonl csv; do $ts -q --store $store list -o \$f; done'"
done

# The first line of a listing in id order, every format: the whole
# pipeline `list | head -1` (tokenstore ends at its next write after head
# exits, so this bounds the time to the first line from above).
for store in file:f.csv sqlite:s.db; do
  for f in table wide json jsonl csv; do
    ab --op "list -o $f, first line (${store%%:*})" --size "$n" --runs "$scan_runs" --target-ms 100 \
      --floor-name "time to the first line" \
      --a "bash -c '$ts --store $store list -o $f | head -1'"
  done
done

# MySQL: the floor loads the same rows (exported from s.db, NULLs kept)
# into a table with the DDL and indexes tokenstore's own migrate created.
mysql_port=$(sed 's/.*:\([0-9]*\)\/.*/\1/' <<<"$mysql")
mysql_user=$(sed 's|mysql://\([^:]*\):.*|\1|' <<<"$mysql")
export MYSQL_PWD=$(sed 's|mysql://[^:]*:\([^@]*\)@.*|\1|' <<<"$mysql")
maria="$mariadb --local-infile=1 --protocol=tcp -h 127.0.0.1 -P $mysql_port -u $mysql_user zohooauth"
"$sqlite3" -separator $'\t' -nullvalue '\N' s.db "SELECT $cols FROM oauthtoken" > rows.tsv
$maria -e "DROP TABLE IF EXISTS oauthtoken"
"$ts" -q --store sqlite:s.db migrate --to "$mysql" >/dev/null
$maria -N -e "SHOW CREATE TABLE oauthtoken" | cut -f2- | sed 's/\\n/ /g; s/CREATE TABLE `oauthtoken`/CREATE TABLE `floor`/' > floor-ddl.sql
load="$maria -e \"$(cat floor-ddl.sql); LOAD DATA LOCAL INFILE 'rows.tsv' INTO TABLE floor\""
ab --op "migrate sqlite → mysql (new table)" --size "$n" --runs "$bulk_runs" --peak --devnull --target-ratio 1.2 \
  --floor-name "LOAD DATA" \
  --prepare-a "$maria -e 'DROP TABLE IF EXISTS oauthtoken'" --prepare-b "$maria -e 'DROP TABLE IF EXISTS floor'" \
  --a "$ts --store sqlite:s.db migrate --to $mysql" --b "$load"
test "$($maria -N -e 'SELECT COUNT(*) FROM floor')" = "$n"

echo "== without a floor in the issue: mysql lookups, start-up"
ab --op "mysql find-by-id" --size "$n" --runs "$lookup_runs" --a "$ts --store $mysql find-by-id $mid --json"
ab --op "mysql find --user-name" --size "$n" --runs "$lookup_runs" --a "$ts --store $mysql find --user-name $user --json"
ab --op "mysql save (upsert)" --size "$n" --runs "$lookup_runs" --a "$ts -q --store $mysql save --user-name $user --access-token fresh{run} --json"
ab --op "tokenstore --version" --size 0 --runs "$lookup_runs" --a "$ts --version"

table="$out_dir/ratios-$n.md"
{
  echo "Measured by \`bash benches/run.sh $n\` on $(date -u '+%F %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(df -T . | awk 'NR==2 {print $2}'); whole-process medians, ratio = median of paired ratios."
  echo
  python3 "$root/benches/ab.py" table "$results"
} > "$table"
whole=$(($(date +%s) - began))

if [ "${TOKENSTORE_BENCH_CRITERION:-1}" != 0 ]; then
  echo "== in-process store operations (criterion, benches/store_ops.rs)"
  cd "$root"
  start_postgres >/dev/null
  sizes=$(printf '%s\n' 1000 100000 "$n" | sort -un | paste -sd,)
  TOKENSTORE_BENCH_SIZES="$sizes" cargo bench -q --bench store_ops 2>&1 | grep -E "^[a-z]+/|time:"
fi

echo
echo "== tokenstore against the floor for the same work ($n tokens; whole-process part took $((whole / 60)) min $((whole % 60)) s)"
cat "$table"
echo "(saved as $table)"
