#!/usr/bin/env bash
# SDK side by side: filling an empty file store with N tokens, one save at a
# time, by the real Python Zoho CRM SDK 8.0 FileStore in one process against
# tokenstore run as one process per save.
#
#   bash benches/sdk_side_by_side.sh [N...]      # default: 2000 4000
#
# The issue's target: tokenstore (one process per save) stays at least 2x
# faster than the SDK (one process), and the gap grows with N (the SDK reads
# and rewrites the whole file on every save_token: O(N^2)). tokenstore also
# rewrites the file, under a lock, with an fsync per save; the SDK never
# syncs.
#
# Each side fills a fresh file with the same N distinct tokens (the values
# benches/run.sh generates: user{n}@example.com, 1000.CLIENT, a client
# secret, refresh and access tokens, expiry in ms, redirect URL, API domain;
# no id, so both sides assign ids 1..N):
#   SDK         one `python sdk_fill` process: FileStore(path), then
#               save_token N times through scripts/interop/sdk_python.py
#               (the interop tests' driver, the SDK's own OAuthToken and
#               UserSignature); timed from spawn to exit, so interpreter
#               start and SDK import count (both are small next to the saves).
#   tokenstore  N `tokenstore --store file:PATH save ... -q` processes,
#               spawned one after the other from Python with os.posix_spawn
#               (no shell, no bash fork per save: the floor of starting a
#               process, the same way benches/ab.py spawns); the whole loop
#               is timed.
# The two alternate (SDK first, then tokenstore first, ...) RUNS times per N
# (default 3); the table shows the medians and their ratio, and the
# per-pair ratios are printed beside it. After every run, untimed, both
# files must hold exactly N tokens by `tokenstore list -o jsonl | wc -l`
# and by the SDK's own get_tokens(), and the same tokens (ids included), so
# the benchmark cannot silently time nothing.
#
# The table is saved to target/bench/sdk-side-by-side.md.
#
# Environment:
#   TOKENSTORE_BENCH_BIN      tokenstore binary to time (default: cargo build
#                             --release, as benches/run.sh does)
#   TOKENSTORE_SXS_RUNS       runs per side and N (default 3)
#   TOKENSTORE_INTEROP_CACHE  the SDK venv cache of scripts/interop.sh, which
#                             installs the SDK (default ~/.cache/tokenstore-interop)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 4000)
runs=${TOKENSTORE_SXS_RUNS:-3}

if [ -n "${TOKENSTORE_BENCH_BIN:-}" ]; then
  ts=$(realpath "$TOKENSTORE_BENCH_BIN")
else
  cargo build --release -q
  ts="${CARGO_TARGET_DIR:-$root/target}/release/tokenstore"
fi

# The Python SDK 8.0 in its private venv: installed (once) by the interop
# script itself, so both use the same package and cache.
bash scripts/interop.sh --install-only python8
cache=${TOKENSTORE_INTEROP_CACHE:-$HOME/.cache/tokenstore-interop}
sdk_py=$cache/py8/bin/python

out_dir="${CARGO_TARGET_DIR:-$root/target}/bench"
mkdir -p "$out_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One Python file, two roles: `sdk-fill` runs inside the SDK's venv,
# `bench` (system python3) spawns, times, checks and prints the table.
cat >"$work/sxs.py" <<'PY'
import json, os, statistics, subprocess, sys, time

def token(n):
    """Token n, as benches/run.sh generates them (without the id)."""
    return {"user_name": "user%d@example.com" % n, "client_id": "1000.CLIENT",
            "client_secret": "s" * 40,
            "refresh_token": "1000.rt.%08d.%s" % (n, "r" * 60),
            "access_token": "1000.at.%08d.%s" % (n, "a" * 60),
            "expiry_time": str(1767225600000 + n),
            "redirect_url": "https://app.example.com/cb",
            "api_domain": "https://www.zohoapis.com"}

def sdk_fill(path, n, interop_dir):
    sys.path.insert(0, interop_dir)
    import sdk_python as sdk  # the interop driver: the SDK's FileStore and token classes
    assert sdk.FLAVOUR == "python8", sdk.FLAVOUR
    store = sdk.SDK["FileStore"](path)
    start = time.perf_counter()
    for i in range(1, n + 1):
        sdk.save_one(store, token(i))  # FileStore.save_token(OAuthToken)
    print(json.dumps({"loop_s": time.perf_counter() - start}))

def sdk_info():
    from importlib import metadata
    dists = metadata.packages_distributions().get("zohocrmsdk", ["?"])
    print(" ".join("%s %s" % (d, metadata.version(d)) for d in dists))

def bench(ts, sdk_py, interop_dir, work, md_path, runs, sizes):
    me = os.path.abspath(__file__)
    devnull = os.open(os.devnull, os.O_RDWR)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1)]

    def fresh(name):
        for p in (name, name + ".lock"):
            if os.path.exists(p):
                os.remove(p)
        return name

    def run_sdk(n):
        path = fresh(os.path.join(work, "sdk-%d.csv" % n))
        start = time.perf_counter()
        out = subprocess.run([sdk_py, me, "sdk-fill", path, str(n), interop_dir],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True)
        return time.perf_counter() - start, path, json.loads(out.stdout)["loop_s"]

    def run_ts(n):
        path = fresh(os.path.join(work, "ts-%d.csv" % n))
        argvs = []
        for i in range(1, n + 1):
            t = token(i)
            argvs.append([ts, "--store", "file:" + path, "save", "-q"] +
                         [a for f in ("user_name", "client_id", "client_secret", "refresh_token",
                                      "access_token", "expiry_time", "redirect_url", "api_domain")
                          for a in ("--" + f.replace("_", "-"), t[f])])
        start = time.perf_counter()
        for argv in argvs:
            pid = os.posix_spawn(ts, argv, os.environ, file_actions=quiet)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                sys.exit("tokenstore save failed (status %d): %s" % (status, argv))
        return time.perf_counter() - start, path, None

    def check(n, sdk_path, ts_path):
        lists = []
        for path in (sdk_path, ts_path):
            jsonl = subprocess.run([ts, "--store", "file:" + path, "list", "-o", "jsonl", "--reveal"],
                                   stdout=subprocess.PIPE, check=True, text=True).stdout
            got = jsonl.count("\n")  # tokenstore list -o jsonl | wc -l
            sdk = subprocess.run([sdk_py, os.path.join(interop_dir, "sdk_python.py"), path, "list"],
                                 stdout=subprocess.PIPE, check=True).stdout
            by_sdk = len(json.loads(sdk)["result"])
            if got != n or by_sdk != n:
                sys.exit("%s: %d tokens by tokenstore, %d by the SDK, expected %d" % (path, got, by_sdk, n))
            lists.append(jsonl)
        if lists[0] != lists[1]:
            sys.exit("N=%d: the SDK's and tokenstore's files hold different tokens" % n)

    rows = []
    for n in sizes:
        sdk_t, ts_t, loops = [], [], []
        for r in range(runs):
            order = ("sdk", "ts") if r % 2 == 0 else ("ts", "sdk")  # alternate who goes first
            paths = {}
            for side in order:
                secs, paths[side], loop = run_sdk(n) if side == "sdk" else run_ts(n)
                (sdk_t if side == "sdk" else ts_t).append(secs)
                if loop is not None:
                    loops.append(loop)
            check(n, paths["sdk"], paths["ts"])
            print("  N=%d run %d: SDK %.2f s (save loop %.2f s), tokenstore %.2f s (%.2f ms/save), %.2fx"
                  % (n, r + 1, sdk_t[-1], loops[-1], ts_t[-1], ts_t[-1] / n * 1e3, sdk_t[-1] / ts_t[-1]),
                  flush=True)
        sdk_m, ts_m = statistics.median(sdk_t), statistics.median(ts_t)
        pairs = [a / b for a, b in zip(sdk_t, ts_t)]
        rows.append((n, sdk_m, ts_m, sdk_m / ts_m, statistics.median(pairs), statistics.median(loops)))

    lines = ["| N | SDK (one process) | tokenstore (one process per save) | ratio SDK/tokenstore | target | met? |",
             "|---|---|---|---|---|---|"]
    for n, sdk_m, ts_m, ratio, _, _ in rows:
        lines.append("| {:,} | {:.2f} s | {:.2f} s ({:.2f} ms/save) | {:.2f}× | ≥ 2× | {} |".format(
            n, sdk_m, ts_m, ts_m / n * 1e3, ratio, "✓" if ratio >= 2 else "✗ %.2f× short" % (2 / ratio)))
    ratios = [row[3] for row in rows]
    grows = all(b > a for a, b in zip(ratios, ratios[1:]))
    notes = ["",
             "Medians of %d runs per side, alternating; per-pair ratios (median): %s." % (
                 runs, ", ".join("N=%d %.2f×" % (row[0], row[4]) for row in rows)),
             "SDK save_token loop alone (without interpreter start and SDK import), median: %s." % (
                 ", ".join("N=%d %.2f s" % (row[0], row[5]) for row in rows)),
             "Gap grows with N: %s (%s)." % ("✓" if grows else "✗", " → ".join("%.2f×" % r for r in ratios))]
    text = "\n".join(lines + notes) + "\n"
    print(text, end="")
    with open(md_path, "w") as f:
        f.write(text)

if __name__ == "__main__":
    role = sys.argv[1]
    if role == "sdk-fill":
        sdk_fill(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif role == "sdk-info":
        sdk_info()
    else:
        ts, sdk_py, interop_dir, work, md_path, runs = sys.argv[2:8]
        bench(ts, sdk_py, interop_dir, work, md_path, int(runs), [int(n) for n in sys.argv[8:]])
PY

echo "== SDK side by side: N = ${sizes[*]}, $runs runs per side, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(df -T "$work" | awk 'NR==2 {print $2}') at $work, $(date -u '+%F %H:%M UTC')"
echo "   $("$ts" --version | head -1); SDK: $("$sdk_py" "$work/sxs.py" sdk-info) (Python $("$sdk_py" -c 'import platform; print(platform.python_version())'))"
python3 "$work/sxs.py" bench "$ts" "$sdk_py" "$root/scripts/interop" "$work" \
  "$out_dir/sdk-side-by-side.md" "$runs" "${sizes[@]}"
echo "== saved to $out_dir/sdk-side-by-side.md"
