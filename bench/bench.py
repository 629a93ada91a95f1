#!/usr/bin/env python3
"""Builds the prepared corpora with notesite and the peers, alternating runs, and prints one table.

usage: bench.py SCRATCH NOTESITE_BINARY CORPUS...   (run.sh prepares the corpora and the binary)

Environment: RUNS (default 3) full builds per tool and corpus, RUNS_50K (default 1) for the 50k corpus,
TOOLS (default "notesite hugo mdbook"), TIMEOUT (seconds per build, default 1800).

Each run starts from an empty output folder (a full build); notesite then also rebuilds once into its
existing output with nothing changed ("notesite no-change"). Wall, CPU (user + sys) and peak RSS come
from /usr/bin/time -v. Results are also written to SCRATCH/results/<time>.json.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

TIME = "/usr/bin/time"


def find(name):
    path = shutil.which(name)
    if not path and os.path.exists(os.path.expanduser(f"~/.cargo/bin/{name}")):
        path = os.path.expanduser(f"~/.cargo/bin/{name}")
    return path


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        return out.splitlines()[0] if out else "?"
    except Exception:  # noqa: BLE001 - a version string is only informative
        return "?"


def commands(tool, binary, site, out):
    if tool.startswith("notesite"):
        return [binary, "build", "--root", site, "--out", out, "--quiet"]
    if tool == "hugo":
        return [binary, "--source", site, "--destination", out, "--quiet"]
    if tool == "mdbook":
        return [binary, "build", site, "--dest-dir", out]
    raise ValueError(tool)


def timed(cmd, timeout):
    """(wall s, cpu s, peak RSS KiB, exit code) of one run."""
    stats = "/tmp/notesite-bench-time.txt"
    start = time.monotonic()
    proc = subprocess.run([TIME, "-v", "-o", stats, *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    wall = time.monotonic() - start
    fields = {}
    for line in open(stats):
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    cpu = float(fields.get("User time (seconds)", 0)) + float(fields.get("System time (seconds)", 0))
    rss = int(fields.get("Maximum resident set size (kbytes)", 0))
    if proc.returncode != 0:
        sys.stderr.write(f"bench: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}\n")
    return wall, cpu, rss, proc.returncode


def tree(out):
    """(files, bytes, search-index bytes, median note-page bytes) of an output folder."""
    files = size = search = 0
    pages = []
    for dirpath, _, names in os.walk(out):
        rel_dir = os.path.relpath(dirpath, out)
        for name in names:
            path = os.path.join(dirpath, name)
            n = os.path.getsize(path)
            files += 1
            size += n
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel.startswith("search") or name.startswith("searchindex") or rel == "index.json":
                search += n
            if rel.startswith("notes" + os.sep) and name.endswith(".html"):
                pages.append(n)
    return files, size, search, (statistics.median(pages) if pages else 0)


def summarize(values):
    return statistics.median(values), min(values), max(values)


def fmt_s(v):
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def mib(kib):
    return f"{kib / 1024:.0f}"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    scratch, notesite = sys.argv[1], sys.argv[2]
    corpora = sys.argv[3:]
    runs = int(os.environ.get("RUNS", "3"))
    runs_50k = int(os.environ.get("RUNS_50K", "1"))
    timeout = int(os.environ.get("TIMEOUT", "1800"))
    wanted = os.environ.get("TOOLS", "notesite hugo mdbook").split()
    binaries = {"notesite": notesite}
    for peer, hint in (("hugo", "apt-get install -y hugo"), ("mdbook", "cargo install mdbook --locked")):
        if peer not in wanted:
            continue
        path = find(peer)
        if path:
            binaries[peer] = path
        else:
            print(f"skipped: {peer} is not installed ({hint})")
    versions = {
        "notesite": version([notesite, "--version"]),
        "hugo": version([binaries["hugo"], "version"]) if "hugo" in binaries else None,
        "mdbook": version([binaries["mdbook"], "--version"]) if "mdbook" in binaries else None,
    }
    print("versions: " + "; ".join(v for v in versions.values() if v))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    results = []
    for corpus in corpora:
        base = os.path.join(scratch, "corpora", corpus)
        n_runs = runs_50k if corpus == "50k" else runs
        tools = [t for t in ("notesite", "hugo", "mdbook") if t in binaries]
        samples = {t: [] for t in tools + ["notesite no-change"]}
        shape = {}
        for r in range(n_runs):
            # Alternate the order so no tool always runs first (cold caches) or last.
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            for tool in order:
                site = os.path.join(base, tool)
                out = os.path.join(scratch, "out", corpus, tool)
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                sample = timed(commands(tool, binaries[tool], site, out), timeout)
                samples[tool].append(sample)
                shape[tool] = tree(out)
                print(f"  {corpus} run {r + 1}/{n_runs} {tool}: {sample[0]:.2f} s wall, "
                      f"{sample[1]:.2f} s CPU, {mib(sample[2])} MiB", flush=True)
                if tool == "notesite":
                    again = timed(commands(tool, notesite, site, out), timeout)
                    samples["notesite no-change"].append(again)
                    shape["notesite no-change"] = tree(out)
                    print(f"  {corpus} run {r + 1}/{n_runs} notesite no-change: {again[0]:.2f} s wall",
                          flush=True)
        results.append({"corpus": corpus, "samples": samples, "shape": shape})
    print_table(results)
    os.makedirs(os.path.join(scratch, "results"), exist_ok=True)
    path = os.path.join(scratch, "results", time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(path, "w") as f:
        json.dump({"versions": versions, "results": results}, f, indent=1)
    print(f"\nraw results: {path}")


def print_table(results):
    print()
    print("| corpus | tool | runs | wall s median (min–max) | CPU s | peak RSS MiB | files | output MiB "
          "| search index MiB | median note page KiB | notesite wall / this | notesite RSS / this |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for entry in results:
        samples, shape = entry["samples"], entry["shape"]
        ns = samples.get("notesite")
        for tool, runs in samples.items():
            if not runs:
                continue
            wall = summarize([s[0] for s in runs])
            cpu = statistics.median(s[1] for s in runs)
            rss = statistics.median(s[2] for s in runs)
            files, size, search, page = shape[tool]
            ratio_wall = ratio_rss = ""
            if ns and tool != "notesite":
                ns_wall = statistics.median(s[0] for s in ns)
                ns_rss = statistics.median(s[2] for s in ns)
                ratio_wall = f"{ns_wall / wall[0]:.2f}×"
                ratio_rss = f"{ns_rss / rss:.2f}×" if tool != "notesite no-change" else ""
                if tool == "notesite no-change":
                    ratio_wall = f"no-change / full: {wall[0] / ns_wall:.2f}×"
            failed = sum(1 for s in runs if s[3] != 0)
            note = f" ({failed} failed)" if failed else ""
            print(f"| {entry['corpus']} | {tool}{note} | {len(runs)} | {fmt_s(wall[0])} ({fmt_s(wall[1])}–{fmt_s(wall[2])}) "
                  f"| {fmt_s(cpu)} | {mib(rss)} | {files} | {size / 2**20:.1f} | {search / 2**20:.1f} "
                  f"| {page / 1024:.1f} | {ratio_wall} | {ratio_rss} |")


if __name__ == "__main__":
    main()
