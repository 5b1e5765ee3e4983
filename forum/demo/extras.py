"""Demo state beyond threads: votes, bookmarks, featured practices, duplicates, pins, flags.

Everything here is idempotent: loading the demo twice leaves the same state. Random-looking
choices (who voted for what) come from a CRC of stable names, so they repeat exactly.
"""
import json
import re
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Callable, Optional

from sqlalchemy import select

from .. import permissions
from ..domain import DomainError
from ..extensions import db
from ..models import Bookmark, Flag, Post, Thread, User, Vote
from ..models._base import utcnow
from . import staying_informed

HERE = Path(__file__).parent
_LINK = re.compile(r"\((opening|reply:(\d+)|thread:([\w-]+))\)")


def _pick(percent: int, *parts) -> bool:
    """A stable pseudo-random choice: True for about `percent` % of the name tuples."""
    return zlib.crc32("|".join(map(str, parts)).encode()) % 100 < percent


class Demo:
    """The loaded demo: members by username, threads by external id."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.users = {u.username: u for u in db.session.scalars(
            select(User).where(User.is_placeholder.is_(False)))}
        self.threads = {t.external_id: t for t in db.session.scalars(
            select(Thread).where(Thread.external_id.like("demo-%")))}
        self.curator = self.users.get(spec["curator"])

    def post(self, external_id: str, which) -> Optional[Post]:
        """The opening post or the n-th reply of a demo thread, or None."""
        thread = self.threads.get(external_id)
        if thread is None:
            return None
        if which == "opening":
            return thread.opening_post
        replies = [p for p in thread.posts if not p.is_opening]
        return replies[which] if which < len(replies) else None


def _votes(demo: Demo) -> int:
    """Helpful votes: more on accepted answers, never on your own post."""
    pct = demo.spec["votes"]
    have = set(db.session.execute(select(Vote.post_id, Vote.user_id)).all())
    added = 0
    for ext, thread in sorted(demo.threads.items()):
        for user in demo.users.values():
            if not permissions.can_view_thread(user, thread):
                continue
            for i, p in enumerate(thread.posts):
                share = (pct["opening_percent"] if p.is_opening else pct["accepted_percent"]
                         if p.id == thread.accepted_post_id else pct["reply_percent"])
                if (p.author_id != user.id and not p.is_hidden and (p.id, user.id) not in have
                        and _pick(share, ext, i, user.username)):
                    db.session.add(Vote(post_id=p.id, user_id=user.id))
                    added += 1
    db.session.commit()
    return added


def _bookmarks(demo: Demo) -> int:
    """Saved threads: a few each, plus the ones the demo names."""
    named = demo.spec["bookmarks"]
    have = set(db.session.execute(select(Bookmark.thread_id, Bookmark.user_id)).all())
    added = 0
    for ext, thread in sorted(demo.threads.items()):
        for name, user in demo.users.items():
            wanted = ext in named.get(name, ()) or _pick(demo.spec["bookmark_percent"],
                                                         "save", ext, name)
            if wanted and (thread.id, user.id) not in have and \
                    permissions.can_view_thread(user, thread):
                db.session.add(Bookmark(thread_id=thread.id, user_id=user.id))
                added += 1
    db.session.commit()
    return added


def _summary(demo: Demo, thread: Thread, path: Path) -> str:
    """A summary file with (opening), (reply:N) and (thread:EXT) links made real."""
    def link(match):
        if match.group(1) == "opening":
            return f"(/threads/{thread.id}#post-{thread.opening_post.id})"
        if match.group(2) is not None:
            post = demo.post(thread.external_id, int(match.group(2)))
            return f"(/threads/{thread.id}#post-{post.id})" if post else f"(/threads/{thread.id})"
        other = demo.threads.get(match.group(3))
        return f"(/threads/{other.id})" if other else "(/featured)"
    return _LINK.sub(link, path.read_text(encoding="utf-8")).strip()


def _featured(demo: Demo) -> int:
    """Featured practices with the curated summaries in demo/featured/, earlier drafts first."""
    from ..featured import services
    done = 0
    for ext in demo.spec["featured"]:
        thread = demo.threads.get(ext)
        if thread is None:
            continue
        folder = HERE / "featured"
        versions = sorted(folder.glob(f"{ext}.v*.md")) + [folder / f"{ext}.md"]
        practice = services.practice_of(thread)
        if practice is None:
            practice = services.feature_thread(
                demo.curator, thread, _summary(demo, thread, versions[0]), "demo: curated library")
        else:
            versions = versions[-1:]  # earlier drafts went in on the first load
        for path in versions:
            services.edit_summary(demo.curator, practice, _summary(demo, thread, path),
                                  "demo: fuller summary")
        done += 1
    return done


def _duplicates(demo: Demo) -> int:
    """Close a paraphrase as a duplicate of the earlier thread (replies stay where they are)."""
    from ..moderation.duplicates import mark_duplicate
    done = 0
    for spec in demo.spec["duplicates"]:
        thread, original = demo.threads.get(spec["thread"]), demo.threads.get(spec["original"])
        if thread is None or original is None:
            continue
        if thread.duplicate_of_id is None:
            mark_duplicate(demo.curator, thread, original, move_replies=False, reason=spec["reason"])
        elif thread.status != "closed":  # a re-import marks accepted threads solved again
            thread.status = "closed"
            db.session.commit()
        done += 1
    return done


def _pins(demo: Demo) -> int:
    """Pin a thread site-wide and one in its category (with an end date)."""
    from ..moderation.services import pin_thread
    done = 0
    for spec in demo.spec["pins"]:
        thread = demo.threads.get(spec["thread"])
        if thread is None:
            continue
        if thread.pinned_scope != spec["scope"]:
            until = utcnow() + timedelta(days=spec["days"]) if spec["days"] else None
            pin_thread(demo.curator, thread, spec["scope"], until, spec["reason"])
        done += 1
    return done


def _flag(demo: Demo, spec: dict) -> Optional[Flag]:
    """One member's flag on a demo post, unless they flagged it already."""
    from ..answers.services import flag_post
    post, user = demo.post(spec["thread"], spec["post"]), demo.users.get(spec["by"])
    if post is None or user is None or db.session.scalar(select(Flag.id).where(
            Flag.post_id == post.id, Flag.flagger_id == user.id)):
        return None
    # A threshold above the demo's flag counts: nothing is hidden pending review.
    return flag_post(user, post, spec["reason"], spec["text"], threshold=1000)


def _flags(demo: Demo) -> int:
    """Open flags for the review queue, and one already dismissed with its outcome."""
    from ..moderation.flags import resolve_flags
    for spec in demo.spec["open_flags"]:
        _flag(demo, spec)
    for spec in demo.spec["dismissed_flags"]:
        flag = _flag(demo, spec)
        if flag is not None:
            resolve_flags(demo.curator, flag.post, "dismissed", spec["note"])
    return len(demo.spec["open_flags"])


def apply(echo: Callable[[str], None] = print) -> None:
    """Apply the demo's moderation and recognition state (idempotent)."""
    demo = Demo(json.loads((HERE / "extras.json").read_text(encoding="utf-8")))
    if demo.curator is None or not demo.threads:
        echo("Demo extras skipped: no curator account or no demo threads.")
        return
    try:
        counts = {"featured practices": _featured(demo), "duplicates": _duplicates(demo),
                  "pins": _pins(demo), "open flags": _flags(demo),
                  "new helpful votes": _votes(demo), "new saved threads": _bookmarks(demo),
                  "new notifications": staying_informed.apply(demo)}
    except DomainError as exc:
        db.session.rollback()
        echo(f"Demo extras stopped: {exc.message}")
        return
    echo("Demo extras: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
