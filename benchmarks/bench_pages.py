"""Issue 9 figures: read pages under load, each beside a minimal page served the same way.

The demo forum under gunicorn (2 workers, rate limits off) and, in the same run, a minimal
Flask + SQLite + Jinja page listing 30 rows (benchmarks/minimal_pages.py, on the same
database); each page loaded by wrk at 16 connections. Pages, as a guest:
  latest   /                                  (and a few filtered listings)
  thread   /threads/<id> with related threads (rotating over 20 threads)
  search   /search?q=...                      (rotating over 8 queries)
Target (issue 9): >= 40 % of the minimal page's req/s, p99 <= 100 ms, no errors.
With --uncached the forum also runs with PAGE_CACHE_SECONDS=0 (the guest page cache off),
to show what rendering costs.

Usage: .venv/bin/python benchmarks/bench_pages.py [--seconds 10] [--uncached] [--fresh]
The demo instance is built once into $HEADSTART_BENCH_CACHE/pages-demo (`--fresh` rebuilds).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import CACHE_DIR, REPO
from serving import Server, flask, instance_env

HERE = Path(__file__).resolve().parent
CONNECTIONS = 16
TARGET_SHARE, TARGET_P99 = 0.40, 100.0
QUERIES = ["donor coordination meeting", "joint procurement of vehicles", "cash transfers",
           "monitoring results framework", "staff security incident", "pooled fund governance",
           "community health workers", "drought early warning"]
GET_SCRIPT = """
local paths = {}
local n = 0
function init(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT_JSON {\\"requests\\": %d, \\"seconds\\": %.3f, \\"errors\\": %d, "
    .. "\\"non2xx\\": %d, \\"p50_ms\\": %.2f, \\"p99_ms\\": %.2f}\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def demo_instance(fresh: bool) -> Path:
    """The demo forum, loaded and indexed once, then reused (the schema is upgraded each run)."""
    instance = CACHE_DIR / "pages-demo"
    if fresh or not (instance / "ready").exists():
        shutil.rmtree(instance, ignore_errors=True)
        instance.mkdir(parents=True)
        flask(instance_env(instance), "init")
        flask(instance_env(instance), "demo", "load")  # encodes the demo into the index
        (instance / "ready").write_text("demo loaded and indexed\n")
    flask(instance_env(instance), "init")
    return instance


def page_paths(db: Path) -> dict[str, list[str]]:
    """The URLs of each page kind: public threads with the most replies, a few queries."""
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT t.id FROM threads t JOIN categories c ON c.id = t.category_id "
            "WHERE c.visibility = 'public' AND t.deleted_at IS NULL AND NOT t.is_hidden "
            "ORDER BY t.reply_count DESC, t.id LIMIT 20")]
    return {
        "latest": ["/", "/?kind=question", "/?status=solved", "/?page=2"],
        "thread": [f"/threads/{i}" for i in ids],
        "search": ["/search?" + urllib.parse.urlencode({"q": q}) for q in QUERIES],
    }


def wrk_get(base: str, paths: list[str], seconds: int) -> dict:
    """Load ``base`` with GETs cycling through ``paths`` at 16 connections."""
    with tempfile.TemporaryDirectory() as tmp:
        script, lines = Path(tmp) / "get.lua", Path(tmp) / "paths.txt"
        script.write_text(GET_SCRIPT)
        lines.write_text("\n".join(paths) + "\n")
        done = subprocess.run(["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s",
                               "-s", str(script), base, "--", str(lines)],
                              capture_output=True, text=True)
    found = re.search(r"RESULT_JSON (\{.*\})", done.stdout)
    if not found:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / max(result["seconds"], 1e-9)
    return result


def wait_hybrid(base: str, timeout: float = 300) -> None:
    """Until the forum answers searches by meaning (the model and vectors are loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/api/v1/search?q=donor", timeout=30) as response:
            if json.loads(response.read()).get("mode") == "hybrid":
                return
        time.sleep(0.2)
    raise SystemExit("the search model never loaded")


def warm(base: str, paths: list[str], rounds: int = 4) -> None:
    """GET every path a few times, one at a time, so both workers have rendered each once
    (the figures are for a warm server; `--uncached` shows what a render costs)."""
    for _ in range(rounds):
        for path in paths:
            urllib.request.urlopen(base + path, timeout=60).read()


def measure_forum(env: dict, paths: dict, seconds: int, label: str) -> dict:
    """Each page kind under load on a fresh gunicorn; a short warm-up first."""
    out = {}
    with Server("forum.wsgi:app", env) as server:
        server.wait("/")
        for _ in range(2):  # both workers
            wait_hybrid(server.url)
        for name, urls in paths.items():
            warm(server.url, urls)
            wrk_get(server.url, urls, 2)
            out[name] = wrk_get(server.url, urls, seconds)
            print(f"{label} {name}: {out[name]['rps']:.0f} req/s, p50 {out[name]['p50_ms']:.1f} ms,"
                  f" p99 {out[name]['p99_ms']:.1f} ms, errors "
                  f"{out[name]['errors'] + out[name]['non2xx']}", flush=True)
    return out


def main() -> int:
    """Baseline, then the forum's pages; a RESULT line per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--uncached", action="store_true",
                        help="also measure with the guest page cache off")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo instance")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-deps` installs it (Debian package wrk)")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before the run: {' '.join(load)} (2 cores)", flush=True)
    instance = demo_instance(args.fresh)
    # WEB_CONCURRENCY: each worker takes its share of the cores (search/threads.py).
    env = instance_env(instance, RATELIMIT_ENABLED="0", WEB_CONCURRENCY="2")
    paths = page_paths(instance / "forum.sqlite")
    with Server("minimal_pages:app", {**env, "MINIMAL_DB": str(instance / "forum.sqlite")},
                cwd=HERE) as minimal:
        minimal.wait("/")
        wrk_get(minimal.url, ["/"], 2)
        base = wrk_get(minimal.url, ["/"], args.seconds)
    print(f"baseline minimal page (30 rows): {base['rps']:.0f} req/s, p50 {base['p50_ms']:.1f} ms,"
          f" p99 {base['p99_ms']:.1f} ms", flush=True)
    forum = measure_forum(env, paths, args.seconds, "forum")
    if args.uncached:
        measure_forum({**env, "PAGE_CACHE_SECONDS": "0"}, paths, args.seconds, "uncached")
    for name, r in forum.items():
        share, errors = r["rps"] / base["rps"], r["errors"] + r["non2xx"]
        ok = share >= TARGET_SHARE and r["p99_ms"] <= TARGET_P99 and errors == 0
        print(f"RESULT {name} rps={r['rps']:.0f} share_of_minimal={share:.2f} (target >= "
              f"{TARGET_SHARE}) p99_ms={r['p99_ms']:.1f} (target <= {TARGET_P99:g}; minimal "
              f"page {base['p99_ms']:.1f}) errors={errors} {'PASS' if ok else 'FAIL'}")
    print(f"load average after the run: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
