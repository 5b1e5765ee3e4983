"""The worker stand-ins of bench_million.py: processes that start as a gunicorn worker does.

Run by ``fresh_process`` (never by hand): each maps the base written by bench_million.py,
answers by keywords, then by meaning, and reports its start times and memory as one JSON line.
Usage (internal): python million_worker.py FOLDER WORK N BARRIER WORKERS RANK
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from search.segments import VectorSnapshot, read_base

MODEL_TAG = "bench-million"  # the model id the bench's bases are written under
POOL = 100  # neighbours per query: the engine's pool


def fresh_process(folder: Path, work: Path, n: int, workers: int = 2) -> dict:
    """Start ``workers`` processes at once that serve as gunicorn's workers do; time the first
    one's first answers and report the memory of each with the whole base touched."""
    barrier = Path(tempfile.mkdtemp(prefix="million-barrier-"))
    started = time.perf_counter()
    command = [sys.executable, __file__, str(folder), str(work), str(n), str(barrier), str(workers)]
    try:
        procs = [subprocess.Popen(command + [str(rank)], stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
                 for rank in range(workers)]
        outs = [p.communicate()[0] for p in procs]
    finally:
        shutil.rmtree(barrier, ignore_errors=True)
    if any(p.returncode for p in procs):
        raise SystemExit(f"a worker stand-in failed: {[p.returncode for p in procs]}")
    children = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    child = children[0]
    child["spawn_s"] = time.perf_counter() - started - child.pop("alive_s")
    child["pss_touched_mb"] = max(c["pss_touched_mb"] for c in children)
    child["rss_touched_mb"] = max(c["rss_touched_mb"] for c in children)
    return child


def _wait_for_all(barrier: Path, step: str, rank: int, workers: int) -> None:
    """A file barrier: every stand-in reaches ``step`` before any goes on."""
    (barrier / f"{step}-{rank}").touch()
    while len(list(barrier.glob(f"{step}-*"))) < workers:
        time.sleep(0.05)


def child(folder: Path, work: Path, n: int, barrier: Path, rank: int, workers: int) -> None:
    """The worker stand-in: keyword answer first, then the model and the mapped base; then,
    every stand-in alive, the whole base touched (every list scanned) and the memory read."""
    born = time.perf_counter()
    from search.fulltext import FullTextIndex
    from search.ranking import EngineConfig, QueryEncoder

    faiss.omp_set_num_threads(1)
    out: dict = {}
    text_dir = work / f"fulltext-{n}"
    if text_dir.is_dir():
        reader = FullTextIndex(text_dir).reader()
        reader.search("best bank in doha for a car loan", POOL)
        out["keyword_s"] = time.perf_counter() - born
    encoder = QueryEncoder(shipped_embedder(), EngineConfig())
    one_torch_thread()
    mapped, _ = read_base(folder, MODEL_TAG, encoder.embedder.dim)
    snapshot = VectorSnapshot.from_base(mapped)
    query = encoder("Good bank", "Which is a good bank as per your experience in Doha")
    snapshot.search(query, POOL)
    out["hybrid_s"] = time.perf_counter() - born
    out.update(memory())
    out["alive_s"] = time.perf_counter() - born
    if isinstance(mapped, faiss.IndexIVF):  # the worst case: every code page resident
        mapped.search(query[None, :].astype(np.float32), 1,
                      params=faiss.SearchParametersIVF(nprobe=mapped.nlist))
    _wait_for_all(barrier, "touched", rank, workers)
    touched = memory()
    out["rss_touched_mb"], out["pss_touched_mb"] = touched["rss_mb"], touched["pss_mb"]
    _wait_for_all(barrier, "measured", rank, workers)
    print(json.dumps(out))


def shipped_embedder():
    """The query encoder a worker runs by default (SEARCH_ENCODER=auto: int8 ONNX when it
    exports, else torch) on one thread, as a worker that shares two cores with another."""
    from search.embedder import Embedder

    return Embedder(backend="auto", threads=1)


def one_torch_thread() -> None:
    """One thread per query encoding, as a worker answering requests side by side (two
    spinning intra-op threads on a loaded machine cost seconds per query). Only when torch
    is loaded: with the ONNX encoder a worker never imports it (nor may its stand-in)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def memory() -> dict:
    """This process's RSS, split into private (anon) and shared-file pages, and its PSS (shared
    pages divided among the processes that map them), in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    pss = next(int(line.split()[1]) / 1024 for line in
               Path("/proc/self/smaps_rollup").read_text().splitlines() if line.startswith("Pss:"))
    return {"rss_mb": fields["VmRSS"], "anon_mb": fields.get("RssAnon", 0.0),
            "file_mb_mapped": fields.get("RssFile", 0.0), "peak_mb": fields["VmHWM"], "pss_mb": pss}


if __name__ == "__main__":
    folder, work, n, barrier, workers, rank = sys.argv[1:7]
    child(Path(folder), Path(work), int(n), Path(barrier), int(rank), int(workers))
