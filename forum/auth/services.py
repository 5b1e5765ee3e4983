"""Account services: register and authenticate (plain values in, DomainError out)."""
from functools import cache
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..accounts import create_user
from . import confirm
from ..domain import DomainError
from ..extensions import db
from ..models import User

# One message for every failure, so the form does not tell who has an account.
LOGIN_FAILED = "That username or email and password do not match an account."


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no-such-account", method="scrypt")


def authenticate(login: str, password: str) -> User:
    """The account matching the username or email and password; placeholders never match."""
    login = (login or "").strip().lower()
    user = db.session.scalar(select(User).where(
        or_(User.username == login, User.email == login)))  # both stored lowercase
    if user is None:
        # Security: spend the same hashing time as a real check, so response times
        # do not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password or "")
        raise DomainError((None, LOGIN_FAILED))
    if not user.check_password(password or ""):
        raise DomainError((None, LOGIN_FAILED))
    return user


def register(username: str, password: str, email: Optional[str] = None) -> User:
    """Create a member account; an address waits for its confirmation link.

    Security (issue 12): the address is not checked against other accounts here, so
    signing up cannot tell who is registered; confirm.confirm checks it when the link
    is opened, by whoever reads that mailbox.
    """
    try:
        user = create_user(username, password, context=(email or "",))
    except IntegrityError:  # two sign-ups racing for the same name
        db.session.rollback()
        raise DomainError(("username", "That name was just taken.")) from None
    confirm.request_address(user, email)
    return user


def suspension_notice(user: User) -> Optional[str]:
    """Words telling a suspended member why and until when, or None."""
    if not user.is_suspended:
        return None
    until = user.suspended_until.strftime("%d %B %Y, %H:%M UTC")
    reason = f" Reason: {user.suspended_reason}." if user.suspended_reason else ""
    return (f"Your account is suspended until {until}.{reason} "
            "You can read and search, but you cannot post until then.")
