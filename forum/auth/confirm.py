"""E-mail addresses are used once confirmed (issue 12): a link is sent to the new address,
and the answer on the page is the same whether or not another account already has it.

Plain values in, DomainError out; the address waits in ``User.pending_email``.
"""
from datetime import timedelta
from typing import Optional

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain import DomainError
from ..extensions import db
from ..mail import outbox
from ..mail.compose import Cancel, Composed, render
from ..models import OutboxMessage, User
from ..models._base import utcnow

SALT = "headstart-email-confirm"
MAX_AGE = 2 * 24 * 3600  # two days to open the link
INVALID = "This confirmation link has expired or was replaced by a newer one."
IN_USE = "That address is in use by another account, so it was not added to yours."
# One confirmation e-mail per account in this time, however often the form is sent.
RESEND_AFTER = timedelta(minutes=2)


def normalise(address: Optional[str]) -> Optional[str]:
    """The address as stored: trimmed, lowercase, or None."""
    return (address or "").strip().lower() or None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def request_address(user: User, address: Optional[str], *, commit: bool = True) -> bool:
    """Ask to use an address: True when it waits for confirmation (a link is mailed to it).

    Security: nothing here looks at other accounts, so the caller's answer cannot tell
    whether the address is registered; the check happens when the link is opened, by
    whoever reads that mailbox.
    """
    address = normalise(address)
    if address is None or address == user.email:
        user.pending_email = None
    elif address != user.pending_email:
        user.pending_email = address
        if not _recently_sent(user):  # a flood of requests must not become a flood of e-mails
            outbox.enqueue(user, "email_confirm")
    if commit:
        db.session.commit()
    return user.pending_email is not None


def _recently_sent(user: User) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == "email_confirm",
        OutboxMessage.created_at > utcnow() - RESEND_AFTER)) is not None


def make_token(user: User) -> str:
    """A signed token naming the member and the address waiting for confirmation."""
    return _serializer().dumps({"u": user.id, "e": user.pending_email})


def confirm(token: str) -> User:
    """Use the address of a valid token; DomainError when stale or taken by another account."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
        user, address = db.session.get(User, int(data["u"])), str(data["e"])
    except (SignatureExpired, BadSignature, KeyError, TypeError, ValueError):
        raise DomainError((None, INVALID)) from None
    if user is None or user.is_placeholder or user.pending_email != address:
        raise DomainError((None, INVALID))
    if db.session.scalar(select(User.id).where(User.email == address,
                                               User.id != user.id)):
        raise DomainError((None, IN_USE))
    user.email, user.pending_email = address, None
    try:
        db.session.commit()
    except IntegrityError:  # another account confirmed it a moment ago
        db.session.rollback()
        raise DomainError((None, IN_USE)) from None
    return user


def recipient(row: OutboxMessage) -> Optional[str]:
    """Where a confirmation e-mail goes: the address waiting, not the current one."""
    return row.user.pending_email


def compose(row: OutboxMessage) -> Composed:
    """The confirmation e-mail; its link is signed when sent."""
    user = row.user
    if not user.pending_email or row.created_at < utcnow() - timedelta(days=1):
        raise Cancel("no address waits for confirmation")
    link = url_for("auth.confirm_email", token=make_token(user), _external=True)
    text, html = render("email_confirm", recipient=user, link=link, address=user.pending_email)
    return Composed("Confirm your e-mail address for Headstart", text, html)
