"""CPU threads per process: each server worker takes its share of the cores, no more.

Issue 9: with two gunicorn workers on two cores, torch ran every forward pass on
all cores in each worker while FAISS was held to one, and the workers fought over
the CPU (1.6-4.8 req/s; 22-25 with OMP_NUM_THREADS=1). One number, applied to every
library that keeps a thread pool, stops that.
"""

from __future__ import annotations

import os
import sys
import threading

# OpenMP keeps its thread count per calling thread: a count set in the search thread at
# start-up does not reach the threads that serve requests, whose FAISS searches then
# fork a team over every core and leave an idle OpenMP thread spinning (measured: about
# 7 ms of CPU per suggestion, a third of the server's CPU). ``in_this_thread`` carries it.
_process = {"threads": 0}
_local = threading.local()


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads(workers: int | None = None) -> int:
    """Cores divided by the server's worker processes, at least 1.

    Args:
        workers: Processes sharing the machine; None reads ``WEB_CONCURRENCY``
            (gunicorn's own default for ``--workers``), else 1.

    Returns:
        Threads one process should use.
    """
    if workers is None:
        try:
            workers = int(os.environ.get("WEB_CONCURRENCY") or 1)
        except ValueError:
            workers = 1
    return max(1, available_cores() // max(1, workers))


def apply_threads(threads: int) -> dict[str, int]:
    """Hold FAISS (OpenMP) and, when loaded, torch to ``threads`` threads in this process.

    Args:
        threads: At least 1. onnxruntime sessions take theirs at creation
            (``search.onnx_encoder.OnnxEncoder``).

    Returns:
        ``{library: threads}`` for each library set.
    """
    threads = max(1, int(threads))
    applied = {}
    _process["threads"] = threads
    _local.threads = 0  # re-applied below for the calling thread
    in_this_thread()
    applied["faiss"] = threads
    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(threads)
        applied["torch"] = threads
    return applied


def in_this_thread() -> None:
    """Hold FAISS (OpenMP) in the calling thread to the process's count, once per thread.

    Call before FAISS work in any thread that ``apply_threads`` did not run in (request
    threads); a no-op until ``apply_threads`` has been called.
    """
    threads = _process["threads"]
    if threads and getattr(_local, "threads", 0) != threads:
        import faiss

        faiss.omp_set_num_threads(threads)
        _local.threads = threads
