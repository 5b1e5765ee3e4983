"""Password reset by e-mail: a signed, expiring, single-use link (plain values in, DomainError out)."""
import hashlib
import hmac
from datetime import timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from .. import login_sessions
from ..accounts import check_password, password_context
from ..domain import DomainError
from ..extensions import db
from ..mail import outbox
from ..mail.compose import Cancel, Composed, render
from ..mail.smtp import is_configured
from ..models import OutboxMessage, User
from ..models._base import utcnow

SALT = "headstart-password-reset"
INVALID = "This reset link has expired or was used already. Ask for a new one."
# One reset e-mail per account in this time, however often the form is sent.
RESEND_AFTER = timedelta(minutes=2)


def available() -> bool:
    """True when the forum can send e-mail (otherwise an admin resets passwords)."""
    return is_configured(current_app.config)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    # The token is bound to the current password hash: once the password changes
    # (with this link or any other way), every earlier link stops working: single use.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    """A signed token naming the member and their current password's fingerprint."""
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user)})


def user_for_token(token: str) -> User:
    """The member a valid, unexpired, unused token belongs to; DomainError otherwise."""
    max_age = int(current_app.config.get("PASSWORD_RESET_MAX_AGE") or 3600)
    try:
        data = _serializer().loads(token, max_age=max_age)
        user = db.session.get(User, int(data["u"]))
        fingerprint = str(data["p"])
    except (SignatureExpired, BadSignature, KeyError, TypeError, ValueError):
        raise DomainError((None, INVALID)) from None
    if user is None or user.is_placeholder or not hmac.compare_digest(
            fingerprint, _fingerprint(user)):
        raise DomainError((None, INVALID))
    return user


def request_reset(email: str) -> None:
    """Queue a reset e-mail when an account has this address; say nothing either way.

    Security: the caller shows the same words whether or not the address is registered,
    so the form cannot be used to find out who has an account.
    """
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(
        User.email == email, User.is_placeholder.is_(False))) if email else None
    if user is None or not available():
        return
    recent = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == "password_reset",
        OutboxMessage.created_at > utcnow() - RESEND_AFTER))
    if recent is None:  # a flood of requests must not become a flood of e-mails
        outbox.enqueue(user, "password_reset")
        db.session.commit()


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset token; the token is used up."""
    user = user_for_token(token)
    check_password(password, password_context(user))
    user.set_password(password)
    # Whoever forgot a password may have lost a device: every session of theirs ends.
    login_sessions.end_all(user, commit=False)
    db.session.commit()
    return user


def compose(row: OutboxMessage) -> Composed:
    """The reset e-mail; the link is signed when sent, so its lifetime starts then."""
    user = row.user
    if row.created_at < utcnow() - timedelta(days=1):
        raise Cancel("the request is more than a day old")
    link = url_for("auth.reset_password", token=make_token(user), _external=True)
    minutes = int(current_app.config.get("PASSWORD_RESET_MAX_AGE") or 3600) // 60
    text, html = render("password_reset", recipient=user, link=link, minutes=minutes)
    return Composed("Reset your Headstart password", text, html)
