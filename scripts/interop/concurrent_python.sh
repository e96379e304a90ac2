#!/usr/bin/env bash
# How many tokens are lost when the real Python SDK 8.0 FileStore and tokenstore write
# the same file at the same time.
#
#   scripts/interop/concurrent_python.sh [RUNS]        (default 3 runs)
#
# Each run starts from an empty store; one SDK process saves N distinct users, one
# save_token at a time, while tokenstore saves N other distinct users, one process per
# save; both start together. Afterwards the 2N users are counted in the file, as read by
# tokenstore (list) and by the SDK (get_tokens). Prints per run:
#   run R: lost K of 2N (sdk: a, tokenstore: b)      <- as read by tokenstore
# where a / b are the SDK's / tokenstore's tokens missing, then the same as the SDK
# reads it, the save errors of each side, duplicate ids and timings.
# The SDK takes no lock and rewrites the file in place, so some loss is expected even
# from a perfect tokenstore: this is a measurement, and it exits 0 unless it could not run.
#
# Environment: TOKENSTORE_BIN, TOKENSTORE_INTEROP_CACHE as for ../interop.sh;
#   TOKENSTORE_CONCURRENT_N (default 300) users per writer.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${TOKENSTORE_INTEROP_CACHE:-$HOME/.cache/tokenstore-interop}
RUNS=${1:-3}
N=${TOKENSTORE_CONCURRENT_N:-300}
if [[ -z ${TOKENSTORE_BIN:-} ]]; then
  if [[ -x $ROOT/target/release/tokenstore ]]; then
    TOKENSTORE_BIN=$ROOT/target/release/tokenstore
  else
    TOKENSTORE_BIN=$ROOT/target/debug/tokenstore
  fi
fi
[[ -x $TOKENSTORE_BIN ]] || { echo "concurrent: no tokenstore binary at $TOKENSTORE_BIN" >&2; exit 2; }
TOKENSTORE_INTEROP_CACHE=$CACHE "$ROOT/scripts/interop.sh" --install-only python8
PY=$CACHE/py8/bin/python
DRIVER=$HERE/sdk_python.py

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-concurrent.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# N tokens for the SDK, as JSON
python3 - "$N" >"$WORK/sdk-tokens.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
print(json.dumps([{"user_name": "sdk-%04d@example.com" % i, "client_id": "1000.SDKCLIENT",
                   "client_secret": "sdksecret", "refresh_token": "1000.rt.sdk.%04d" % i,
                   "access_token": "1000.at.sdk.%04d" % i, "expiry_time": "4102444800000",
                   "api_domain": "https://www.zohoapis.com"} for i in range(1, n + 1)]))
EOF

# count.py VIEW_JSON N -> "lost K of 2N (sdk: a, tokenstore: b); duplicate ids: d"
cat >"$WORK/count.py" <<'EOF'
import collections, json, sys
tokens, n = json.load(open(sys.argv[1])), int(sys.argv[2])
users = {t.get("user_name") for t in tokens}
sdk = sum(1 for i in range(1, n + 1) if "sdk-%04d@example.com" % i not in users)
ts = sum(1 for i in range(1, n + 1) if "ts-%04d@example.com" % i not in users)
dup = sum(c - 1 for c in collections.Counter(t.get("id") for t in tokens).values() if c > 1)
print("lost %d of %d (sdk: %d, tokenstore: %d); duplicate ids: %d" % (sdk + ts, 2 * n, sdk, ts, dup))
EOF

now() { date +%s.%N; }

for run in $(seq 1 "$RUNS"); do
  F=$WORK/run$run.csv
  "$PY" "$DRIVER" "$F" list >/dev/null  # the SDK creates the file with its header
  t0=$(now)
  ( "$PY" "$DRIVER" "$F" save-each <"$WORK/sdk-tokens.json" >"$WORK/sdk-save.out" 2>&1 || true
    now >"$WORK/sdk-end" ) &
  sdk_pid=$!
  ( errs=0
    for i in $(seq -f %04g 1 "$N"); do
      if ! "$TOKENSTORE_BIN" --store "file:$F" save --user-name "ts-$i@example.com" \
          --client-id 1000.TSCLIENT --client-secret tssecret --refresh-token "1000.rt.ts.$i" \
          --access-token "1000.at.ts.$i" --expiry-time 4102444800000 >/dev/null 2>>"$WORK/ts-save.err"; then
        errs=$((errs + 1))
      fi
    done
    echo "$errs" >"$WORK/ts-errors"
    now >"$WORK/ts-end" ) &
  ts_pid=$!
  wait "$sdk_pid" "$ts_pid"

  sdk_s=$(python3 -c "print('%.1f' % ($(cat "$WORK/sdk-end") - $t0))")
  ts_s=$(python3 -c "print('%.1f' % ($(cat "$WORK/ts-end") - $t0))")
  sdk_errs=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['result']['errors'] if r.get('ok') else 'driver failed: '+r.get('error',''))" "$WORK/sdk-save.out" 2>/dev/null || echo "driver failed: $(tail -c 300 "$WORK/sdk-save.out")")

  if "$TOKENSTORE_BIN" --store "file:$F" list --format json --reveal >"$WORK/ts-view.json" 2>"$WORK/ts-list.err"; then
    echo "run $run: $(python3 "$WORK/count.py" "$WORK/ts-view.json" "$N" | sed 's/; duplicate.*//')"
    echo "  via tokenstore list: $(python3 "$WORK/count.py" "$WORK/ts-view.json" "$N")"
  else
    echo "run $run: tokenstore cannot list the file: $(head -c 300 "$WORK/ts-list.err")"
  fi
  if "$PY" "$DRIVER" "$F" list >"$WORK/sdk-list.out" 2>&1 &&
      python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['result'], open(sys.argv[2],'w'))" \
        "$WORK/sdk-list.out" "$WORK/sdk-view.json"; then
    echo "  via SDK get_tokens:  $(python3 "$WORK/count.py" "$WORK/sdk-view.json" "$N")"
  else
    echo "  via SDK get_tokens:  failed: $(tail -c 300 "$WORK/sdk-list.out")"
  fi
  echo "  save errors: sdk $sdk_errs, tokenstore $(cat "$WORK/ts-errors") of $N each; writers took sdk ${sdk_s}s, tokenstore ${ts_s}s"
  if [[ -s $WORK/ts-save.err ]]; then
    echo "  first tokenstore error: $(head -n 1 "$WORK/ts-save.err")"
    : >"$WORK/ts-save.err"
  fi
  first_sdk_err=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); e=r.get('result',{}).get('first_errors') or []; print(e[0][:300] if e else '')" "$WORK/sdk-save.out" 2>/dev/null || true)
  [[ -z $first_sdk_err ]] || echo "  first sdk error: $first_sdk_err"
done
