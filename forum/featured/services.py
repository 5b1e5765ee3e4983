"""Featured practices: moderators curate a thread with a versioned summary; all audited."""
import re
from typing import Callable

from .. import audit
from ..domain import DomainError
from ..extensions import db
from ..markup import snippet
from ..models import FeaturedPractice, FeaturedRevision, Post, Thread, User
from ..models._base import utcnow
from ..notifications import services as notify
from ..permissions import require_moderator

SUMMARY_MIN, SUMMARY_MAX = 40, 20_000
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^#+ .*$", re.MULTILINE)


def check_summary(summary: str) -> str:
    """Strip and check the summary length."""
    summary = (summary or "").strip()
    if not SUMMARY_MIN <= len(summary) <= SUMMARY_MAX:
        raise DomainError(("summary", f"The summary must be {SUMMARY_MIN} to "
                                      f"{SUMMARY_MAX:,} characters."))
    return summary


def practice_of(thread: Thread):
    """The thread's featured practice, or None."""
    return thread.featured[0] if thread.featured else None


def feature_thread(moderator: User, thread: Thread, summary: str, reason: str = "") -> FeaturedPractice:
    """Feature a thread in the library with a curated summary (its first version)."""
    require_moderator(moderator)
    summary = check_summary(summary)
    if practice_of(thread) is not None:
        raise DomainError((None, "This thread is featured already; edit its summary instead."))
    if thread.is_deleted or thread.is_hidden:
        raise DomainError((None, "A hidden or deleted thread cannot be featured."))
    practice = FeaturedPractice(thread=thread, summary=summary, featured_by_id=moderator.id)
    practice.revisions.append(FeaturedRevision(editor_id=moderator.id, summary=summary))
    db.session.add(practice)
    db.session.flush()
    notify.on_thread_changed(thread, "featured", moderator)
    audit.record(moderator, "featured.create", "thread", thread.id, reason)
    db.session.commit()
    return practice


def edit_summary(moderator: User, practice: FeaturedPractice, summary: str,
                 reason: str = "") -> bool:
    """Save a new version of the summary; False when nothing changed."""
    require_moderator(moderator)
    summary = check_summary(summary)
    if summary == practice.summary:
        return False
    practice.summary, practice.updated_at = summary, utcnow()
    practice.revisions.append(FeaturedRevision(editor_id=moderator.id, summary=summary))
    audit.record(moderator, "featured.edit", "thread", practice.thread_id, reason,
                 f"version {len(practice.revisions)}")
    db.session.commit()
    return True


def unfeature(moderator: User, practice: FeaturedPractice, reason: str = "") -> None:
    """Take a thread out of the library (its summary versions go with it)."""
    require_moderator(moderator)
    audit.record(moderator, "featured.remove", "thread", practice.thread_id, reason,
                 f"{len(practice.revisions)} versions removed")
    db.session.delete(practice)
    db.session.commit()


def contributors(thread: Thread) -> list[tuple[User, list[Post]]]:
    """Each member who replied, in order of first reply, with their visible replies."""
    found: dict[int, tuple[User, list[Post]]] = {}
    for post in thread.posts:
        if post.is_opening or post.is_deleted or post.is_hidden:
            continue
        found.setdefault(post.author_id, (post.author, []))[1].append(post)
    return list(found.values())


def summary_template(thread: Thread, post_url: Callable[[Post], str]) -> str:
    """A Markdown skeleton for a new summary, crediting every contributor with links."""
    credits = "\n".join(
        f"- [{user.name}]({post_url(posts[0])})"
        + "".join(f", [reply {i}]({post_url(p)})" for i, p in enumerate(posts[1:], start=2))
        + " — what they contributed"
        for user, posts in contributors(thread)) or "- (no replies yet)"
    opening = thread.opening_post
    asker = f"[{thread.author.name}]({post_url(opening)})" if opening else thread.author.name
    return (
        f"## The question\n{asker} asked: …\n\n"
        "## What the contributions said\nA synopsis in a few sentences.\n\n"
        "## Key points\n- …\n- …\n\n"
        "## Where views differed\n- …\n\n"
        f"## Contributors\n{credits}\n\n"
        "## Further resources\n- [Title](https://example.org)\n"
    )


def teaser(summary: str, length: int = 280) -> str:
    """A plain excerpt of a summary for the library: no headings, link texts only."""
    return snippet(_HEADING.sub(" ", _LINK.sub(r"\1", summary or "")), length)
