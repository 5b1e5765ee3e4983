"""Thread and post services: plain values in, commit, DomainError out (STYLE habit 4)."""
import re
from datetime import datetime, timezone
from typing import Iterable, Optional

from sqlalchemy import case, func, select

from .. import audit, events, permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import KINDS, Category, Post, PostRevision, Tag, Thread, User
from ..models._base import row_id, utcnow
from ..suggestions import log as suggestion_log

TITLE_MIN, TITLE_MAX = 8, 200
BODY_MIN, BODY_MAX = 1, 50_000
MAX_TAGS = 8
_TAG_RE = re.compile(r"[^\w-]+", re.UNICODE)


def check_title(title: str) -> str:
    """Strip and check the title length; raise DomainError on the title field."""
    title = (title or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise DomainError(("title", f"Title must be {TITLE_MIN} to {TITLE_MAX} characters."))
    return title


def check_body(body: str) -> str:
    """Check the post body length; raise DomainError on the body field."""
    body = (body or "").strip()
    if not BODY_MIN <= len(body) <= BODY_MAX:
        raise DomainError(("body", f"Post must be {BODY_MIN} to {BODY_MAX:,} characters."))
    return body


def normalise_tags(raw: Iterable[str] | str) -> list[str]:
    """Lowercase, hyphenated, de-duplicated tag names (at most MAX_TAGS)."""
    if isinstance(raw, str):
        raw = raw.split(",")
    names: list[str] = []
    for item in raw:
        name = _TAG_RE.sub("-", str(item).strip().lower()).strip("-")[:50]
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise DomainError(("tags", f"At most {MAX_TAGS} tags."))
    return names


def tags_for(names: list[str]) -> list[Tag]:
    """Tag rows for the names, created when missing."""
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name) or Tag(name=name)
        db.session.add(tag)
        tags.append(tag)
    return tags


def _check_can_post(user: User, category: Category) -> None:
    if not permissions.can_post(user):
        raise NotAllowed("Your account cannot post right now.")
    if not permissions.can_view_category(user, category):
        raise NotAllowed("You cannot post in this category.")


def create_thread(author: User, category: Category, title: str, body: str, *,
                  kind: str = "question", country: str = "", tags=(),
                  commit: bool = True, suggestion_session: str = "") -> Thread:
    """Open a thread with its first post (``suggestion_session``: the composer's token)."""
    _check_can_post(author, category)
    if kind not in KINDS:
        raise DomainError(("kind", "Choose question or experience."))
    thread = Thread(
        title=check_title(title), kind=kind, country=(country or "").strip()[:100],
        category=category, author=author, tags=tags_for(normalise_tags(tags)),
    )
    thread.posts.append(Post(body=check_body(body), author=author, is_opening=True))
    db.session.add(thread)
    if suggestion_session:
        db.session.flush()
        suggestion_log.record_posted(author, suggestion_session, thread)
    events.thread_created.send(thread)
    if commit:
        db.session.commit()
    return thread


def reply_target(user: User, thread: Thread, post_id) -> Optional[Post]:
    """The post of this thread a reply answers ("Reply" or "Quote" on it), if the user may read it."""
    post_id = row_id(post_id)
    post = db.session.get(Post, post_id) if post_id else None
    if post is None or post.thread_id != thread.id or post.is_deleted:
        return None
    return post if permissions.can_view_post(user, post) else None


def quote(post: Post, limit: int = 600) -> str:
    """The start of a post as a Markdown quote, to reply under (no @name: quoting is no mention)."""
    text = post.body.strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    quoted = "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())
    return f"**{post.author.name}** wrote:\n\n{quoted}\n\n"


def reply(author: User, thread: Thread, body: str, reply_to_id=None) -> Post:
    """Add a reply to an open thread (answering one of its posts when reply_to_id names one)."""
    _check_can_post(author, thread.category)
    if thread.status == "closed" and not author.is_moderator:
        raise DomainError(("body", "This thread is closed to new replies."))
    if thread.is_deleted or not permissions.can_view_thread(author, thread):
        raise NotAllowed("You cannot reply to this thread.")
    post = Post(body=check_body(body), author=author, thread=thread,
                reply_to=reply_target(author, thread, reply_to_id))
    db.session.add(post)
    # Counted in SQL, not read-modify-write in Python: concurrent replies lost half their
    # counts before (issue 12, tests/security/test_concurrency.py).
    thread.reply_count = _replies_plus(1)
    thread.last_activity_at = utcnow()
    events.reply_posted.send(post)
    db.session.commit()
    return post


def _replies_plus(delta: int):
    """An UPDATE expression for the reply count changed by delta (never below zero)."""
    changed = func.coalesce(Thread.reply_count, 0) + delta
    return case((changed < 0, 0), else_=changed)


def edit_post(editor: User, post: Post, body: str, title: Optional[str] = None,
              tags=None) -> Post:
    """Change a post, keeping the previous version as a revision."""
    if not permissions.can_edit_post(editor, post):
        raise NotAllowed("You can only edit your own posts.")
    body = check_body(body)
    new_title = check_title(title) if (title is not None and post.is_opening) else None
    thread = post.thread
    old_title = thread.title if post.is_opening else None
    if body == post.body and (new_title is None or new_title == old_title) and tags is None:
        return post
    db.session.add(PostRevision(post=post, editor=editor, body=post.body, title=old_title))
    if editor.id != post.author_id:  # a moderator editing someone's post (issue 5 audit log)
        audit.record(editor, "post.edit", "post", post.id)
    before, post.body = post.body, body
    post.updated_at = utcnow()
    if new_title is not None:
        thread.title = new_title
    if tags is not None and post.is_opening:
        thread.tags = tags_for(normalise_tags(tags))
    events.post_edited.send(post, before=before)
    db.session.commit()
    return post


def delete_post(actor: User, post: Post) -> None:
    """Soft-delete a post; deleting the opening post deletes the thread."""
    if not permissions.can_edit_post(actor, post):
        raise NotAllowed("You can only delete your own posts.")
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    if post.is_opening:
        post.thread.deleted_at = post.deleted_at
    else:
        post.thread.reply_count = _replies_plus(-1)
    if actor.id != post.author_id:
        audit.record(actor, "post.delete", "post", post.id)
    db.session.commit()


def restore_post(actor: User, post: Post) -> None:
    """Moderators bring a soft-deleted post (and its thread) back."""
    if not permissions.is_moderator(actor):
        raise NotAllowed("Only moderators can restore posts.")
    if post.deleted_at is None:
        return
    post.deleted_at = None
    post.deleted_by_id = None
    if post.is_opening:
        post.thread.deleted_at = None
    else:
        post.thread.reply_count = _replies_plus(1)
    audit.record(actor, "post.restore", "post", post.id)
    db.session.commit()


def parse_when(value) -> Optional[datetime]:
    """An ISO-8601 timestamp (a trailing Z is accepted) as naive UTC, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("created_at must be an ISO-8601 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
