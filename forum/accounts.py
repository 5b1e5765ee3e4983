"""Accounts: the one place that creates login accounts and says what a good password is.

Registration (auth), the command line and the admin pages all create accounts here.
"""
import re
from typing import Optional

from sqlalchemy import func, select

from .domain import DomainError
from .extensions import db
from .models import ROLES, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
PASSWORD_MIN = 8


def check_username(name: str) -> str:
    """Lowercase letters, digits, dot, dash, underscore; 3-32 characters; not taken."""
    name = (name or "").strip().lower()
    if not USERNAME_RE.match(name):
        raise DomainError(("username", "Use 3-32 lowercase letters, digits, '.', '-' or '_'."))
    if db.session.scalar(select(User.id).where(func.lower(User.username) == name)):
        raise DomainError(("username", "That name is taken."))
    return name


def create_user(name: str, password: str, *, email: Optional[str] = None,
                role: str = "member", **profile) -> User:
    """Create a login account."""
    name = check_username(name)
    check_password(password)
    if role not in ROLES:
        raise DomainError(("role", f"Role must be one of {', '.join(ROLES)}."))
    email = (email or "").strip().lower() or None
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise DomainError(("email", "That email is already registered."))
    user = User(username=name, email=email, role=role, **profile)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def check_password(password: str) -> str:
    """The password, if it is long enough (the reason is reported on the password field)."""
    if len(password or "") < PASSWORD_MIN:
        raise DomainError(("password", f"Use at least {PASSWORD_MIN} characters."))
    return password
