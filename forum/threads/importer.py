"""Import a discussion archive (JSONL, one thread a line), idempotent on external_id."""
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from sqlalchemy import select

from ..domain import DomainError
from ..extensions import db
from ..models import KINDS, Category, Post, Thread, User
from ..models._base import utcnow
from .services import TITLE_MAX, check_body, normalise_tags, parse_when, tags_for

_SLUG_RE = re.compile(r"[^a-z0-9]+")
# A savepoint isolates each bad line; committing in batches keeps big archives fast.
COMMIT_EVERY = 200


@dataclass
class ImportReport:
    """What an import did: counts and each bad line with its reason."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no line failed."""
        return not self.errors


def slugify(name: str) -> str:
    """A URL slug for a name."""
    return _SLUG_RE.sub("-", name.lower()).strip("-") or "category"


def get_or_create_category(name: str) -> Category:
    """The category of that name, created public when missing."""
    category = db.session.scalar(select(Category).where(Category.name == name))
    if category is None:
        slug, n = slugify(name), 1
        while db.session.scalar(select(Category.id).where(Category.slug == slug)):
            n += 1
            slug = f"{slugify(name)}-{n}"
        category = Category(name=name, slug=slug, visibility="public")
        db.session.add(category)
        db.session.flush()
    return category


def author_for(name: Optional[str], cache: Optional[dict] = None) -> User:
    """The account of that name, or a placeholder that keeps the archive's attribution."""
    name = (name or "").strip()[:64] or "archive"
    key = name.lower()[:64]  # usernames are stored lowercase ("İ" lowercases to two characters)
    if cache is not None and key in cache:
        return cache[key]
    user = db.session.scalar(select(User).where(User.username == key))
    if user is None:
        user = User(username=key, display_name=name, is_placeholder=True)
        db.session.add(user)
        db.session.flush()
    if cache is not None:
        cache[key] = user
    return user


def _require(record: dict, key: str, kind=str):
    value = record.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise ValueError(f"'{key}' is missing or not a {kind.__name__}")
    return value


def _validated(record) -> dict:
    """Check one parsed line; raise ValueError with the reason."""
    if not isinstance(record, dict):
        raise ValueError("line is not a JSON object")
    ext = record.get("external_id")
    if isinstance(ext, bool) or not isinstance(ext, (str, int)) or not str(ext).strip():
        raise ValueError("'external_id' is missing or not a string")
    external_id = str(ext).strip()[:200]
    kind = record.get("kind") or "question"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    replies = record.get("replies") or []
    if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
        raise ValueError("'replies' must be a list of objects")
    try:
        # Archives predate our rules: a short title ("Visa?") is kept, a long one is not.
        title = _require(record, "title").strip()
        if len(title) > TITLE_MAX:
            raise ValueError(f"title is longer than {TITLE_MAX} characters")
        body = check_body(_require(record, "body"))
        for r in replies:
            check_body(r.get("body") if isinstance(r.get("body"), str) else "")
        tags = normalise_tags(record.get("tags") or [])
    except DomainError as exc:
        raise ValueError(exc.message) from exc
    accepted = record.get("accepted_reply")
    if accepted is not None and not (isinstance(accepted, int) and 0 <= accepted < len(replies)):
        raise ValueError("'accepted_reply' must index one of the replies")
    return {
        "external_id": external_id, "title": title, "body": body, "kind": kind, "tags": tags,
        "category": record.get("category"), "country": str(record.get("country") or "")[:100],
        "author": record.get("author"), "created_at": parse_when(record.get("created_at")),
        "replies": replies, "accepted_reply": accepted,
    }


def _apply_replies(thread: Thread, replies: list[dict], accepted: Optional[int],
                   authors: Optional[dict]) -> None:
    """Update replies in order, add new ones; never delete what users added since."""
    existing = [p for p in thread.posts if not p.is_opening]
    posts = []
    for i, r in enumerate(replies):
        when = parse_when(r.get("created_at")) or thread.created_at
        if i < len(existing):
            post = existing[i]
            post.body = r["body"].strip()
        else:
            post = Post(body=r["body"].strip(), author=author_for(r.get("author"), authors),
                        created_at=when, thread=thread)
            db.session.add(post)
        posts.append(post)
    thread.reply_count = max(len(existing), len(replies))
    if posts:
        thread.last_activity_at = max(p.created_at or thread.created_at for p in posts)
    if accepted is not None:
        db.session.flush()
        thread.accepted_post_id = posts[accepted].id
        if thread.status == "open":  # a moderator's "closed" survives a re-import
            thread.status = "solved"


def import_record(record: dict, default_category: Optional[str] = None,
                  authors: Optional[dict] = None) -> bool:
    """Create or update one thread from a validated record; True when created."""
    data = _validated(record)
    category = get_or_create_category(data["category"] or default_category or "General")
    thread = db.session.scalar(select(Thread).where(Thread.external_id == data["external_id"]))
    created = thread is None
    when = data["created_at"] or utcnow()
    if created:
        thread = Thread(external_id=data["external_id"], author=author_for(data["author"], authors),
                        created_at=when, last_activity_at=when)
        thread.posts.append(Post(body=data["body"], author=thread.author, is_opening=True,
                                 created_at=when))
        db.session.add(thread)
    else:
        thread.opening_post.body = data["body"]
    thread.title, thread.kind, thread.country = data["title"], data["kind"], data["country"]
    thread.category = category
    thread.tags = tags_for(data["tags"])
    _apply_replies(thread, data["replies"], data["accepted_reply"], authors)
    return created


def import_lines(lines: Iterable[str], default_category: Optional[str] = None,
                 on_line: Optional[Callable[[], None]] = None) -> ImportReport:
    """Import every good line (committed in batches) and report the bad ones by number."""
    report = ImportReport()
    authors: dict = {}
    for number, line in enumerate(lines, start=1):
        if on_line:
            on_line()
        if not line.strip():
            continue
        try:
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"invalid JSON: {exc}") from exc
            with db.session.begin_nested():
                created = import_record(record, default_category, authors)
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            report.errors.append((number, str(exc)))
            authors.clear()  # the savepoint rolled back any placeholder it created
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
        if (report.created + report.updated) % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.commit()
    return report
