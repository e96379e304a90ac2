#!/usr/bin/env python3
"""Paired A/B timing for benches/run.sh: tokenstore (A) against its floor (B).

    ab.py run RESULTS --op OP --size N --runs R --a CMD [--b CMD]
              [--floor-name TEXT] [--prepare-a CMD] [--prepare-b CMD]
              [--target-ratio X] [--target-peak-mb M] [--target-ms T]
              [--peak] [--devnull]
              [--note TEXT]
    ab.py table RESULTS [MARKDOWN]

`run` warms each command up once, then runs A and B alternately R times
each, swapping who goes first every pair (A B, B A, A B, ...), so both see
the same machine load, page cache and server state. Each run is timed as a
whole process: wall time from spawn to exit (os.posix_spawnp + os.wait4,
no shell). With --peak, every run goes through GNU time
(`/usr/bin/time -f %M`) for its peak RSS, which adds about a millisecond to
both sides (meant for the bulk commands). A prepare command (run through
bash, untimed) precedes every run of its side. Stdout goes to a scratch
file beside RESULTS (not /dev/null: GNU grep stops at the first match when
it sees /dev/null), or to /dev/null with --devnull for large outputs.
`{run}` in a command becomes a number unique to each run (so an upsert
really changes its row every time: tokenstore writes nothing for a save
that changes nothing).

The ratio reported is the median of the R per-pair ratios A/B: on a shared
machine a burst of load hits both runs of a pair alike and cancels out,
where the ratio of the two medians moves by tens of percent between
identical runs (`true` against `true`: 0.93x to 1.42x; paired: 1.11x
each time, the cost of a PATH search). Both medians and their ratio are
printed too, and (without --peak) the median CPU time (user + system) of
each side and their ratio, which waiting for a busy CPU does not inflate;
everything is appended to RESULTS as one JSON line.

`table` prints RESULTS as the markdown table the README shows (and writes
it to MARKDOWN too when given).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def spawn(argv, stdout_path, env):
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0], argv, env,
            file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1)])
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, code


RUN = 0


def run_one(cmd, prepare, stdout_path, env, label, peak_file=None):
    global RUN
    RUN += 1
    cmd = [arg.replace("{run}", f"{os.getpid()}.{RUN}") for arg in cmd]
    if prepare:
        subprocess.run(["bash", "-c", prepare], check=True, env=env)
    if peak_file:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", peak_file] + cmd
    elapsed, cpu, code = spawn(cmd, stdout_path, env)
    rss = None
    if peak_file and code == 0:
        with open(peak_file) as f:
            rss = int(f.read().split()[-1])
    # (wait4's own maxrss would include this Python process's.)
    if code != 0:
        tail = ""
        if stdout_path != os.devnull:
            with open(stdout_path, "rb") as f:
                tail = f.read()[-500:].decode(errors="replace")
        sys.exit(f"ab.py: {label} exited {code}: {shlex.join(cmd)}\n{tail}")
    return elapsed, rss, cpu


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.1f} ms" if s >= 0.01 else f"{s * 1000:.2f} ms"


def fmt_side(t, peak_kb, show_peak):
    if t is None:
        return "—"
    text = fmt_time(t)
    if show_peak:
        text += f", {peak_kb / 1024:.0f} MB peak"
    return text


def cmd_run(args):
    env = dict(os.environ)
    scratch = args.results + ".stdout"
    if args.devnull:
        scratch = os.devnull
    a = shlex.split(args.a)
    b = shlex.split(args.b) if args.b else None
    peak = args.results + ".peak" if args.peak else None
    ta, tb, ra, rb, ca, cb = [], [], [], [], [], []
    # Warm-up: one untimed run of each.
    run_one(a, args.prepare_a, scratch, env, "A", peak)
    if b:
        run_one(b, args.prepare_b, scratch, env, "B", peak)
    for i in range(args.runs):
        order = [("a", a), ("b", b)] if i % 2 == 0 else [("b", b), ("a", a)]
        for side, cmd in order:
            if cmd is None:
                continue
            prep = args.prepare_a if side == "a" else args.prepare_b
            t, rss, cpu = run_one(cmd, prep, scratch, env, side.upper(), peak)
            (ta if side == "a" else tb).append(t)
            (ra if side == "a" else rb).append(rss)
            (ca if side == "a" else cb).append(cpu)
    ma = statistics.median(ta)
    mb = statistics.median(tb) if tb else None
    row = {
        "op": args.op, "size": args.size, "runs": args.runs,
        "a": ma, "a_peak_kb": max(ra) if peak else None, "a_min": min(ta), "a_max": max(ta),
        "b": mb, "b_peak_kb": max(rb) if peak and rb else None,
        "b_min": min(tb) if tb else None, "b_max": max(tb) if tb else None,
        # The headline: the median of the per-pair ratios, which cancels
        # load that hits both runs of a pair alike.
        "ratio": statistics.median(x / y for x, y in zip(ta, tb)) if tb else None,
        "median_ratio": ma / mb if mb else None,
        # CPU time (user + system) of the process itself, which waiting
        # for a busy CPU does not inflate (without --peak only: GNU time
        # would be the process measured).
        "a_cpu": statistics.median(ca) if not peak else None,
        "b_cpu": statistics.median(cb) if cb and not peak else None,
        "target_ratio": args.target_ratio, "target_peak_mb": args.target_peak_mb,
        "target_ms": args.target_ms,
        "floor": args.floor_name, "note": args.note,
        "a_cmd": args.a, "b_cmd": args.b,
    }
    with open(args.results, "a") as f:
        f.write(json.dumps(row) + "\n")
    def side(t, r):
        text = f"{fmt_time(statistics.median(t))} (min {fmt_time(min(t))}, max {fmt_time(max(t))}"
        return text + (f", peak {max(r) // 1024} MB)" if peak else ")")
    line = f"{args.op} @ {args.size}: tokenstore {side(ta, ra)}"
    if mb:
        line += (f" | floor {side(tb, rb)}"
                 f" | ratio {row['ratio']:.2f}x (of the medians {ma / mb:.2f}x)")
        if row["a_cpu"] and row["b_cpu"]:
            line += f" | CPU {fmt_time(row['a_cpu'])} vs {fmt_time(row['b_cpu'])}: {row['a_cpu'] / row['b_cpu']:.2f}x"
    print(line, flush=True)


def verdict(row):
    parts, met = [], True
    if row["target_ratio"] is not None and row["ratio"] is not None:
        parts.append(f"≤ {row['target_ratio']:g}×")
        met = met and row["ratio"] <= row["target_ratio"]
    if row.get("target_ms") is not None:
        parts.append(f"≤ {row['target_ms']:g} ms")
        met = met and row["a"] * 1000 <= row["target_ms"]
    if row["target_peak_mb"] is not None:
        parts.append(f"peak ≤ {row['target_peak_mb']:g} MB")
        met = met and row["a_peak_kb"] is not None and row["a_peak_kb"] / 1024 <= row["target_peak_mb"]
    if not parts:
        return "—", "—"
    if met:
        return ", ".join(parts), "✓"
    miss = []
    if row["target_ratio"] is not None and row["ratio"] is not None and row["ratio"] > row["target_ratio"]:
        miss.append(f"{row['ratio'] / row['target_ratio']:.2f}× over")
    if row.get("target_ms") is not None and row["a"] * 1000 > row["target_ms"]:
        miss.append(f"{row['a'] * 1000 / row['target_ms']:.2f}× over")
    if row["target_peak_mb"] is not None and row["a_peak_kb"] / 1024 > row["target_peak_mb"]:
        miss.append(f"peak {row['a_peak_kb'] / 1024 / row['target_peak_mb']:.1f}× over")
    return ", ".join(parts), "✗ " + ", ".join(miss)


def cmd_table(args):
    rows = [json.loads(l) for l in open(args.results) if l.strip()]
    out = ["| operation | size | tokenstore | floor | ratio | target | met? |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        show_peak = r["a_peak_kb"] is not None
        target, met = verdict(r)
        floor = fmt_side(r["b"], r["b_peak_kb"], show_peak)
        if r.get("floor") and r["b"] is not None:
            floor = f"{floor} ({r['floor']})"
        elif r.get("floor"):
            floor = r["floor"]
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "—"
        size = f"{r['size']:,}" if r["size"] else "—"
        op = r["op"] + (f" ({r['note']})" if r.get("note") else "")
        out.append(f"| {op} | {size} | {fmt_side(r['a'], r['a_peak_kb'], show_peak)} | {floor} | {ratio} | {target} | {met} |")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("results")
    r.add_argument("--op", required=True)
    r.add_argument("--size", type=int, required=True)
    r.add_argument("--runs", type=int, default=11)
    r.add_argument("--a", required=True, help="the tokenstore command")
    r.add_argument("--b", help="the floor command")
    r.add_argument("--floor-name", help="what the floor is, for the table")
    r.add_argument("--prepare-a")
    r.add_argument("--prepare-b")
    r.add_argument("--target-ratio", type=float)
    r.add_argument("--target-peak-mb", type=float)
    r.add_argument("--target-ms", type=float, help="an absolute target for tokenstore's median")
    r.add_argument("--devnull", action="store_true")
    r.add_argument("--peak", action="store_true", help="peak RSS through GNU time")
    r.add_argument("--note")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("markdown", nargs="?")
    args = p.parse_args()
    cmd_run(args) if args.command == "run" else cmd_table(args)


if __name__ == "__main__":
    main()
