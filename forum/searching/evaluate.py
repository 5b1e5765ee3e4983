"""`flask search evaluate DIR`: measure similar-thread quality through the forum's own paths.

The folder's threads.jsonl is imported into a temporary instance with the same
importer as `threads import`, indexed by the same worker, and every query runs
through searching.similar_threads — the function behind /api/v1/similar — as a guest.
"""
import hashlib
import os
import tempfile
from pathlib import Path

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from search.evaluation import RETRIEVAL_DEPTH, evaluate, format_table, load_dataset

from ..extensions import db
from ..models import FeaturedPractice, Thread, User
from ..threads.importer import import_lines
from .queries import service, similar_threads


def run_evaluation(make_app, directory: str, modes, echo=print,
                   featured_fraction: float = 0.0) -> str:
    """Import, index and evaluate in a temporary instance made by ``make_app(config)``;
    return the results table.

    featured_fraction > 0 features that share of the threads (chosen by a hash of their
    external id, so every run picks the same ones) to show what the featured tie-break
    does to the figures.
    """
    dataset = load_dataset(directory)
    with tempfile.TemporaryDirectory(prefix="headstart-eval-") as tmp:
        app = make_app({
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "eval.sqlite"),
            "SEARCH_INDEX_DIR": os.path.join(tmp, "search"),
            "SECRET_KEY": "evaluation-only",
            "SEARCH_MODEL": os.environ.get("SEARCH_MODEL") or None,  # the operator's model
            "SEARCH_WORKER": "inline",
        })
        with app.app_context():
            db.create_all()
            lines = (Path(directory) / "threads.jsonl").read_text(encoding="utf-8").splitlines()
            with service().paused():  # encode once, in batches, after the import
                report = import_lines(lines)
            echo(f"Imported {report.created} threads ({len(report.errors)} failed).")
            if featured_fraction > 0:
                echo(f"Featured {feature_sample(featured_fraction)} threads.")
            service().settle()
            ids = {ext: tid for tid, ext in db.session.execute(
                select(Thread.id, Thread.external_id))}
            to_ext = {tid: ext for ext, tid in ids.items()}
            guest = AnonymousUserMixin()

            def run_query(query, mode, candidates):
                restrict = [ids[c] for c in candidates if c in ids] if candidates is not None else None
                limit = len(restrict) if restrict is not None else RETRIEVAL_DEPTH
                hits = similar_threads(guest, query.title, query.text, limit=max(limit, 1),
                                       mode=mode, candidate_ids=restrict)
                return [to_ext[h.thread.id] for h in hits]

            results = evaluate(run_query, dataset, [m.strip() for m in modes])
            db.session.remove()
            db.engine.dispose()
    return format_table(results, title=f"{dataset.name} ({len(dataset.queries)} queries)")


def feature_sample(fraction: float) -> int:
    """Feature a deterministic sample of the imported threads; returns how many."""
    curator = User(username="evaluation-curator", role="moderator", is_placeholder=True)
    db.session.add(curator)
    count = 0
    for thread in db.session.scalars(select(Thread)):
        digest = hashlib.sha256(thread.external_id.encode()).digest()
        if digest[0] / 256 < fraction:
            db.session.add(FeaturedPractice(thread=thread, summary="(evaluation)",
                                            featured_by=curator))
            count += 1
    db.session.commit()
    return count
