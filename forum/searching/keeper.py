"""The keeper: the one process per index folder that writes the folder's files.

Every server process on a machine reads the same folder; whichever holds the
folder's lock (an flock on ``keeper.lock``, freed by the kernel if it dies) keeps
the Tantivy keyword index up to date from the numbered documents and writes vector
bases. Files are written under new names and published by renaming a small JSON
pointer (``fulltext.json``, ``base.json``), so readers see the old or the new
state, never half of one; superseded files are removed after a grace period
(a process that mapped them keeps its pages).
"""
from __future__ import annotations

import fcntl
import json
import logging
import shutil
import time
import uuid
import weakref
from pathlib import Path
from typing import Callable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from search.fulltext import FullTextIndex
from search.index import _atomic_write
from search.segments import remove_old_bases, write_base
from search.text import lexical_text, text_digest

from ..models import SearchDocument, SearchState
from .documents import load_docs

log = logging.getLogger(__name__)

POINTER = "fulltext.json"
GRACE_SECONDS = 120  # keep superseded files this long for processes switching over
PAGE = 2000


def read_pointer(directory) -> dict:
    """``{"dir": …, "seq": …}`` of the published keyword index, or {} when there is none."""
    try:
        data = json.loads((Path(directory) / POINTER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("dir"), str) else {}


class Keeper:
    """Holds the folder's lock; writes the keyword index and vector bases."""

    def __init__(self, directory: Path, lock_file) -> None:
        self.directory = directory
        # Closing the file frees the lock: also when the keeper is dropped without release().
        self._release = weakref.finalize(self, lock_file.close)

    @classmethod
    def try_acquire(cls, directory) -> Optional[Keeper]:
        """The keeper role for ``directory`` if no other process (or app) holds it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / "keeper.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        return cls(directory, handle)

    def release(self) -> None:
        """Give the role up (closing the file frees the lock)."""
        self._release()

    # ------------------------------------------------------------ keyword index
    def sync_lexical(self, bind, progress: Optional[Callable[[int], None]] = None) -> int:
        """Bring the published keyword index up to the database's documents; returns its seq.

        With no usable index, a new one is built in a new folder from every indexed
        document and published when complete.
        """
        pointer = read_pointer(self.directory)
        index = self._open(pointer)
        if index is None:
            return self.rebuild_lexical(bind, progress)
        seq = int(pointer.get("seq", 0))
        with Session(bind) as session:
            rows = session.execute(select(SearchDocument.thread_id, SearchDocument.indexed,
                                          SearchDocument.seq).where(SearchDocument.seq > seq)
                                   .order_by(SearchDocument.seq)).all()
            if not rows:
                return seq
            for start in range(0, len(rows), PAGE):
                self._apply(session, index, rows[start:start + PAGE])
        index.commit()
        newest = max(r.seq for r in rows)
        self._publish(pointer["dir"], newest)
        return newest

    def _open(self, pointer: dict) -> Optional[FullTextIndex]:
        if not pointer or not (self.directory / pointer["dir"]).is_dir():
            return None
        try:
            return FullTextIndex(self.directory / pointer["dir"])
        except (OSError, ValueError):
            log.warning("Keyword index %s cannot be opened; rebuilding it", pointer["dir"])
            return None

    def _apply(self, session: Session, index: FullTextIndex, rows) -> None:
        docs = load_docs(session, [r.thread_id for r in rows if r.indexed])
        index.remove_many([r.thread_id for r in rows if r.thread_id not in docs])
        index.upsert_many((tid, text, text_digest(text)) for tid, text in
                          ((tid, lexical_text(doc)) for tid, doc in docs.items()))

    def rebuild_lexical(self, bind, progress=None) -> int:
        """Build a new keyword index from every indexed document, then publish it."""
        name = f"fulltext-{uuid.uuid4().hex[:12]}"
        index = FullTextIndex(self.directory / name)
        with Session(bind) as session:
            seq = current_seq(session)
            after = 0
            while True:
                rows = session.execute(select(SearchDocument.thread_id, SearchDocument.indexed)
                                       .where(SearchDocument.thread_id > after,
                                              SearchDocument.indexed.is_(True))
                                       .order_by(SearchDocument.thread_id).limit(PAGE)).all()
                if not rows:
                    break
                self._apply(session, index, rows)
                after = rows[-1].thread_id
                if progress:
                    progress(len(rows))
        index.commit()
        self._publish(name, seq)
        log.info("Built keyword index %s at change %d", name, seq)
        return seq

    def _publish(self, name: str, seq: int) -> None:
        _atomic_write(self.directory / POINTER, json.dumps({"dir": name, "seq": seq}).encode())

    # ------------------------------------------------------------ vector bases
    def write_base(self, index, fields: dict) -> dict:
        """Publish a vector base (see ``search.segments.write_base``)."""
        return write_base(self.directory, index, fields)

    def cleanup(self) -> None:
        """Remove superseded keyword folders and vector bases after the grace period."""
        current = read_pointer(self.directory).get("dir")
        now = time.time()
        for folder in self.directory.glob("fulltext-*"):
            try:
                if folder.name != current and now - folder.stat().st_mtime > GRACE_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                continue
        manifest = _read_json(self.directory / "base.json")
        remove_old_bases(self.directory, keep=manifest.get("index_file", ""), older_than=GRACE_SECONDS)


def current_seq(session: Session) -> int:
    """The last sequence number given out (0 before the first)."""
    return int(session.scalar(select(SearchState.seq).where(SearchState.id == 1)) or 0)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
