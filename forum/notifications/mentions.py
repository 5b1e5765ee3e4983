"""@mentions: names in a post's text (never inside code), and the autocomplete's lookup."""
import re

from markdown_it import MarkdownIt
from sqlalchemy import func, or_, select

from .. import permissions
from ..extensions import db
from ..models import Thread, User

MAX_MENTIONS = 10  # more names than this in one post is a mass ping: the rest are ignored
# "@name" not preceded by a word character, "@", "." or "/" (e-mail addresses, URLs).
_MENTION = re.compile(r"(?<![\w@./])@([a-z0-9][a-z0-9._-]{1,31})", re.IGNORECASE)
_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _plain_texts(source: str):
    """The text runs of the Markdown, without code spans, code blocks or link targets."""
    for token in _parser.parse(source or ""):
        for child in token.children or ():
            if child.type == "text":
                yield child.content


def mentioned_names(source: str) -> list[str]:
    """Lower-cased candidate usernames mentioned in the Markdown, in order, once each."""
    names: list[str] = []
    for text in _plain_texts(source):
        for match in _MENTION.finditer(text):
            name = match.group(1).lower()
            # "@amina.diallo." ends a sentence: try the name with and without the dot.
            for candidate in (name, name.rstrip("._-")):
                if candidate not in names and len(names) < MAX_MENTIONS * 2:
                    names.append(candidate)
    return names


def mentioned_users(source: str) -> list[User]:
    """The members (not placeholders) a post mentions, at most MAX_MENTIONS."""
    names = mentioned_names(source)
    if not names:
        return []
    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(names), User.is_placeholder.is_(False)))}
    found = []
    for name in names:
        user = users.get(name)
        if user is not None and user not in found:
            found.append(user)
    return found[:MAX_MENTIONS]


def suggest(query: str, thread: Thread | None = None, limit: int = 8) -> list[User]:
    """Members whose username starts with, or display name contains, the typed text.

    With a thread, only members who may read it are offered: a mention of anyone else
    would notify nobody.
    """
    query = (query or "").strip().lstrip("@").lower()[:32]
    if not query:
        return []
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (select(User).where(User.is_placeholder.is_(False), or_(
        User.username.like(f"{pattern}%", escape="\\"),
        func.lower(User.display_name).like(f"%{pattern}%", escape="\\")))
        .order_by(func.length(User.username), User.username).limit(limit * 4))
    users = list(db.session.scalars(stmt))
    if thread is not None:
        users = [u for u in users if permissions.can_view_thread(u, thread)]
    return users[:limit]
