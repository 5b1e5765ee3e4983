"""flask --app forum search status | reindex | verify | repair | worker | evaluate."""
from __future__ import annotations

import json
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from search.ranking import covers_enough

from .. import create_app  # the evaluation runs in a temporary instance of its own
from ..extensions import db
from ..models import SearchDocument, Thread, ThreadEmbedding
from ..models._base import utcnow
from .documents import count_indexable, count_without_vectors
from .evaluate import run_evaluation
from .events import enqueue_select
from .keeper import current_seq
from .service import encoder_settings, load_embedder
from .verify import repair as repair_report
from .verify import verify as verify_index
from .worker import IndexWorker, queue_state

search_cli = AppGroup("search", help="The similar-threads index.")


def init_app(app) -> None:
    """Register the search commands."""
    app.cli.add_command(search_cli)


def _service():
    return current_app.extensions["searching"]


def paused():
    """Queue work without indexing it yet (a bulk import, then ``process_queue``)."""
    return current_app.extensions["searching"].paused()


def build_files() -> None:
    """Publish the index files for the server to start from (when no server keeps them)."""
    service = _service()
    if service.enabled:
        service.publish_base()


def process_queue(label: str = "Encoding threads", reencode: bool = False) -> int:
    """Index everything queued, with a progress bar (count, rate, time left); returns threads.

    When a running server's worker holds the lease, show its progress instead.
    """
    service = _service()
    with Session(service.bind) as session:
        waiting = queue_state(session)[0]
    if not waiting or not service.enabled:
        return 0
    started, done = time.monotonic(), [0]

    def step(bar, n):
        done[0] += n
        bar.update(n, f"{done[0] / max(time.monotonic() - started, 1e-6):.1f} threads/s")

    with click.progressbar(length=waiting, label=label, file=sys.stderr, show_pos=True,
                           show_eta=True, item_show_func=lambda rate: rate) as bar:
        service.settle(progress=lambda n: step(bar, n), reencode=reencode)
        while True:  # another process holds the lease: follow the queue until it is empty
            with Session(service.bind) as session:
                left = queue_state(session)[0]
            if not left:
                break
            step(bar, max(0, waiting - left - done[0]))
            time.sleep(0.5)
            service.settle()
    seconds = time.monotonic() - started
    embedder = service.embedder
    click.echo(f"{label}: {done[0]} threads in {seconds:.1f} s, {done[0] / max(seconds, 1e-6):.1f} "
               f"threads/s (encoder {embedder.backend if embedder else 'none'}, "
               f"{service.threads.get('faiss', '?')} thread(s))", err=True)
    return done[0]


@search_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json):
    """Model, counts, queue, freshness and index files."""
    info = status_info()
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    if info["mode"] == "lexical only":
        click.echo(f"WARNING: embedding model unavailable, keyword search only "
                   f"({info['unavailable_reason']})")
    elif info["threads_without_vectors"] > info["queue_length"]:
        click.echo(f"WARNING: {info['threads_without_vectors']} of {info['database_threads']} "
                   f"threads have no vector from {info['model']} (SEARCH_MODEL changed?): "
                   "similar threads find them by keywords only until "
                   "`flask --app forum search reindex`")
    for key, value in info.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")


def status_info() -> dict:
    """What `search status` prints (also for health checks)."""
    service = current_app.extensions["searching"]
    cfg = current_app.config
    settings = encoder_settings(cfg)
    embedder, reason = load_embedder(cfg.get("SEARCH_MODEL"), cfg.get("SEARCH_MODEL_SHA256"),
                                     **settings)
    with Session(service.bind) as session:
        waiting, oldest = queue_state(session)
        info = {
            "model": embedder.model_id if embedder else None,
            "mode": "hybrid" if embedder else "lexical only",
            "unavailable_reason": reason,
            "encoder": embedder.backend if embedder else None,
            "encoder_note": embedder.backend_note if embedder else "",
            "threads": settings["threads"],
            "database_threads": count_indexable(session),
            "indexed_threads": session.scalar(select(func.count()).select_from(SearchDocument)
                                              .where(SearchDocument.indexed.is_(True))),
            # Vectors of this model only: after SEARCH_MODEL changes the others serve nothing.
            "stored_embeddings": session.scalar(
                select(func.count()).select_from(ThreadEmbedding)
                .where(ThreadEmbedding.model_id == (embedder.model_id if embedder else None))),
            "other_models_embeddings": session.scalar(
                select(func.count()).select_from(ThreadEmbedding)
                .where(ThreadEmbedding.model_id != (embedder.model_id if embedder else ""))),
            "threads_without_vectors": (count_without_vectors(session, embedder.model_id)
                                        if embedder else 0),
            "queue_length": waiting,
            "oldest_pending": f"{(utcnow() - oldest).total_seconds():.0f} s ago" if oldest else "none",
            "latest_change": current_seq(session),
        }
    with_vectors = info["database_threads"] - info["threads_without_vectors"]
    if embedder and not covers_enough(with_vectors, info["database_threads"]):
        info["mode"] = "lexical (rebuilding)"  # as the servers answer meanwhile
    info["directory"] = service.directory
    return info


@search_cli.command("reindex")
@click.option("--reencode", is_flag=True, help="Re-embed every thread instead of reusing "
              "the vectors stored in the database.")
def reindex(reencode):
    """Re-derive every thread's index entry from the database (new files replace the old)."""
    rebuild_index(reencode)


def forget_lease() -> None:
    """After `restore` (servers stopped): the queue's lease in the backup was a worker's of the
    backed-up forum; freed, so indexing here does not wait for it to run out."""
    IndexWorker.forget_lease(db.engine)


def rebuild_index(reencode: bool = False) -> None:
    """Queue every thread, index the queue and write new index files (reindex, restore)."""
    service = _service()
    with Session(service.bind) as session, service.paused():
        enqueue_select(session, select(Thread.id))
        session.commit()
        count = count_indexable(session)
    process_queue("Indexing threads", reencode=reencode)
    service.rebuild_files()
    click.echo(f"Indexed {count} threads.")


@search_cli.command("verify")
def verify():
    """Exit non-zero when the index and the database disagree, saying how."""
    service = _service()
    service.settle()
    report = verify_index(service)
    for line in report.lines:
        click.echo(f"MISMATCH: {line}", err=True)
    if report.ids:
        sys.exit(1)
    click.echo("Index and database agree.")


@search_cli.command("repair")
def repair():
    """Requeue every thread `verify` finds and index it again."""
    service = _service()
    service.settle()
    count = repair_report(service, verify_index(service))
    process_queue("Repairing threads")
    click.echo(f"Requeued {count} thread(s).")


@search_cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is queued, then exit.")
def worker(once):
    """Run the indexing worker in this process (set SEARCH_WORKER=off on the web servers)."""
    service = _service()
    service.settle()
    if once:
        while service.worker.run_once():
            pass
        return
    click.echo(f"Search worker {service.worker.name} running; Ctrl-C stops it.")
    try:
        while True:
            if not service.worker.run_once():
                time.sleep(service.poll)
    except KeyboardInterrupt:
        service.stop()


@search_cli.command("evaluate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--modes", default="dense,lexical,hybrid", show_default=True)
@click.option("--featured-fraction", default=0.0, show_default=True,
              help="Feature this share of the threads first (measures the featured tie-break).")
def evaluate(directory, modes, featured_fraction):
    """Import a SemEval-style folder into a temporary instance and print quality figures."""
    click.echo(run_evaluation(create_app, directory, modes.split(","), echo=click.echo,
                              featured_fraction=featured_fraction))
