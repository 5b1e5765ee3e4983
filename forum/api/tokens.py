"""Personal API tokens (issue 12): shown once, stored hashed, read or read-write, expiring,
revocable, with the time they were last used. Plain values in, DomainError out.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Optional

from sqlalchemy import func, select, update

from ..domain import DomainError
from ..extensions import db
from ..models import TOKEN_SCOPES, ApiToken, User
from ..models._base import utcnow

PREFIX = "hs_"  # recognisable in a leaked config file or a secret scanner
EXPIRY_DAYS = (7, 30, 90, 365)
MAX_ACTIVE = 20
# Writing last_used at most this often keeps a busy integration from writing per request.
TOUCH_EVERY = timedelta(minutes=1)
INVALID = "The API token is not valid, has expired or was revoked."


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def active(user: User) -> list[ApiToken]:
    """The member's tokens that still work, newest first."""
    now = utcnow()
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create(user: User, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new token and its secret, which is returned this once and never stored."""
    name = (name or "").strip()
    reasons = []
    if not 1 <= len(name) <= 100:
        reasons.append(("name", "Name the token (at most 100 characters), e.g. the tool using it."))
    if scope not in TOKEN_SCOPES:
        reasons.append(("scope", "Choose read or read-write."))
    if days not in EXPIRY_DAYS:
        reasons.append(("days", "Choose how long the token works."))
    if reasons:
        raise DomainError(*reasons)
    if len(active(user)) >= MAX_ACTIVE:
        raise DomainError((None, f"You have {MAX_ACTIVE} tokens already; revoke one first."))
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, scope=scope, token_hash=_digest(raw),
                     prefix=raw[:10], expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.commit()
    return token, raw


def authenticate(raw: str) -> ApiToken:
    """The usable token with this secret (its last-used time noted), or DomainError."""
    raw = (raw or "").strip()
    if not raw.startswith(PREFIX) or len(raw) > 100:
        raise DomainError((None, INVALID))
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    # The lookup is by digest, so timing says nothing about the secret; compare anyway.
    if token is None or not hmac.compare_digest(token.token_hash, _digest(raw)):
        raise DomainError((None, INVALID))
    if not token.is_usable or token.user.is_placeholder:
        raise DomainError((None, INVALID))
    now = utcnow()
    if token.last_used_at is None or token.last_used_at <= now - TOUCH_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens (someone else's is "not found")."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None or token.user_id != user.id:
        raise DomainError((None, "There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def revoke_all(user: User, *, commit: bool = True) -> int:
    """Revoke every token of the member (sign out everywhere, suspension)."""
    done = db.session.execute(update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount or 0
    if commit:
        db.session.commit()
    return done


def count_active(user: User) -> int:
    """How many tokens of the member still work."""
    return db.session.scalar(select(func.count()).select_from(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                  ApiToken.expires_at > utcnow()).subquery())) or 0


def bearer(header: Optional[str]) -> Optional[str]:
    """The secret of an ``Authorization: Bearer`` header; None without the header."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise DomainError((None, "Send the token as 'Authorization: Bearer <token>'."))
    return value.strip()
