"""Per-member notification settings: kinds in the forum and by e-mail, the digest, unsubscribing."""
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..auth import confirm
from ..domain import DomainError
from ..extensions import db
from ..models import (
    DIGEST_FREQUENCIES,
    DigestSubscription,
    NotificationPreference,
    User,
)
from .kinds import SETTINGS, SETTINGS_BY_KEY

UNSUBSCRIBE_SALT = "headstart-unsubscribe"
DIGEST_CHOICES = ("off",) + DIGEST_FREQUENCIES


@dataclass
class Choice:
    """Whether a setting's kinds show in the forum and come by e-mail."""

    web: bool
    email: bool


def preferences(user: User) -> dict[str, Choice]:
    """Every setting for the member: their choice where they made one, else the default."""
    chosen = {p.setting: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {s.key: Choice(chosen[s.key].web, chosen[s.key].email) if s.key in chosen
            else Choice(s.web, s.email) for s in SETTINGS}


def digest_frequency(user: User) -> str:
    """"off", "daily" or "weekly"."""
    sub = db.session.get(DigestSubscription, user.id)
    return sub.frequency if sub is not None else "off"


def _set_choice(user: User, key: str, web: bool, email: bool) -> None:
    pref = db.session.get(NotificationPreference, (user.id, key))
    if pref is None:
        pref = NotificationPreference(user_id=user.id, setting=key)
        db.session.add(pref)
    pref.web, pref.email = bool(web), bool(email)


def _set_digest(user: User, frequency: str) -> None:
    if frequency not in DIGEST_CHOICES:
        raise DomainError(("digest", "Choose off, daily or weekly."))
    sub = db.session.get(DigestSubscription, user.id)
    if frequency == "off":
        if sub is not None:
            db.session.delete(sub)
    elif sub is None:
        db.session.add(DigestSubscription(user_id=user.id, frequency=frequency))
    else:
        sub.frequency = frequency


def save(user: User, choices: dict[str, tuple[bool, bool]], digest: str,
         email: Optional[str]) -> None:
    """Save the member's settings; a new address waits for its confirmation link.

    Security (issue 12): the answer is the same whether or not another account has the
    address; "That address belongs to another account" told anyone who was registered.
    """
    email = confirm.normalise(email)
    if digest != "off" and not email:
        raise DomainError(("digest", "A digest needs an e-mail address."))
    for key, (web, mail) in choices.items():
        if key not in SETTINGS_BY_KEY:
            raise ValueError(f"no such notification setting: {key}")
        _set_choice(user, key, web, mail)
    _set_digest(user, digest)
    if email is None:
        user.email = None  # removing one's address reveals nothing
    confirm.request_address(user, email, commit=False)
    db.session.commit()


# --- unsubscribing from an e-mail, without logging in --------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, scope: str) -> str:
    """A signed token for one member and scope ("digest" or a setting key); it never expires.

    An unsubscribe link must still work in a months-old e-mail, and all it can do is
    switch e-mail off, so it carries no expiry.
    """
    return _serializer().dumps({"u": user.id, "s": scope})


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The member and scope of a token; DomainError when it is forged or stale."""
    try:
        data = _serializer().loads(token)
        user, scope = db.session.get(User, int(data["u"])), str(data["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise DomainError((None, "This unsubscribe link is not valid.")) from None
    if user is None or (scope != "digest" and scope not in SETTINGS_BY_KEY):
        raise DomainError((None, "This unsubscribe link is not valid."))
    return user, scope


def scope_label(scope: str) -> str:
    """What a scope switches off, in words."""
    if scope == "digest":
        return "the digest e-mail"
    return f"e-mails for “{SETTINGS_BY_KEY[scope].label}”"


def unsubscribe(user: User, scope: str) -> None:
    """Switch off the e-mails of one scope (idempotent); forum notifications stay as they are."""
    if scope == "digest":
        _set_digest(user, "off")
    else:
        _set_choice(user, scope, preferences(user)[scope].web, False)
    db.session.commit()
