"""Login sessions kept on the server (issue 12): logging out, a password change, a suspension
or an admin's "sign out everywhere" delete rows, and every copy of their cookies stops working.

The Flask session and the remember cookie hold only a random key (``User.get_id()``); the
database keeps its SHA-256, so a leaked database holds no usable cookie.
"""
import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import delete, select

from .extensions import db
from .models import LoginSession, User
from .models._base import utcnow

# Writing last_seen at most this often keeps a page view from becoming a write.
TOUCH_EVERY = timedelta(minutes=5)


def lifetime() -> timedelta:
    """How long a sign-in lasts at most, remembered or not (30 days unless configured)."""
    return timedelta(days=int(current_app.config.get("LOGIN_SESSION_DAYS") or 30))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, user_agent: str = "") -> str:
    """A new session for the user: a fresh random key (so remember cookies differ per login)."""
    now = utcnow()
    # Expired rows of everyone go here: a sign-in is rare enough to carry the cleaning.
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(key_hash=_digest(key), user_id=user.id, created_at=now,
                                last_seen_at=now, expires_at=now + lifetime(),
                                user_agent=(user_agent or "")[:200]))
    db.session.commit()
    user.session_key = key
    return key


def _row(key: str) -> Optional[LoginSession]:
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    row = db.session.scalar(select(LoginSession).where(LoginSession.key_hash == _digest(key)))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def load(key: str) -> Optional[User]:
    """The user a live session key belongs to (Flask-Login's user_loader), else None."""
    row = _row(key)
    if row is None:
        return None
    row.user.session_key = key
    row.user.login_session = row  # this request's row: touch() need not read it again
    return row.user


def touch(key: str, row: Optional[LoginSession] = None) -> None:
    """Note that the session was used (at most every few minutes); call before any view work.

    ``row`` is the session's row when the caller has it (``load`` keeps it on the user)."""
    if row is None or row.key_hash != _digest(key):
        row = _row(key)
    if row is not None and row.last_seen_at <= utcnow() - TOUCH_EVERY:
        row.last_seen_at = utcnow()
        db.session.commit()


def end(key: Optional[str]) -> None:
    """End one session (logging out): the cookie and every copy of it stop working."""
    if key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _digest(key)))
        db.session.commit()


def end_all(user: User, keep: Optional[str] = None, *, commit: bool = True) -> int:
    """End every session of the user but ``keep``; returns how many ended."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        stmt = stmt.where(LoginSession.key_hash != _digest(keep))
    ended = db.session.execute(stmt).rowcount or 0
    if commit:
        db.session.commit()
    return ended


def active(user: User) -> list[LoginSession]:
    """The user's live sessions, most recently used first."""
    return list(db.session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def is_current(row: LoginSession, key: Optional[str]) -> bool:
    """True when the row is the session of this key."""
    return bool(key) and row.key_hash == _digest(key)
