"""Admin actions from the web: the shared admin services plus an audit row, in one commit."""
from datetime import datetime
from typing import Callable

from sqlalchemy import select

from .. import admin_services, audit, login_sessions, permissions
from ..api import tokens
from ..domain import DomainError
from ..extensions import db
from ..models import Category, Group, User
from ..notifications import services as notify


def _audited(admin: User, action: str, target_type: str, target_id: int, reason: str,
             details: str, change: Callable[[], None]) -> None:
    """Add the audit row, then let the change commit both; nothing is kept if it fails."""
    audit.record(admin, action, target_type, target_id, reason, details)
    try:
        change()
    except DomainError:
        db.session.rollback()
        raise


def _not_self(admin: User, user: User) -> None:
    # An admin who demotes or suspends themselves could lock everyone out.
    if admin.id == user.id:
        raise DomainError((None, "You cannot change your own role or suspend yourself."))


def change_role(admin: User, user: User, role: str, reason: str = "") -> None:
    """Make a member a moderator or admin, or back."""
    permissions.require_admin(admin)
    _not_self(admin, user)
    _audited(admin, "user.role", "user", user.id, reason, f"from {user.role} to {role}",
             lambda: admin_services.set_role(user, role))


def suspend(admin: User, user: User, until: datetime, reason: str) -> None:
    """Suspend a member until a date, telling them why."""
    permissions.require_admin(admin)
    _not_self(admin, user)
    notify.notice(user.id, f"Your account is suspended until {until:%Y-%m-%d}: {reason}")

    def change() -> None:
        _end_everywhere(user)  # committed by suspend_user, or rolled back with it
        admin_services.suspend_user(user, until, reason)

    _audited(admin, "user.suspend", "user", user.id, reason, f"until {until:%Y-%m-%d}", change)


def _end_everywhere(user: User) -> None:
    # Security (issue 12): every session and remember cookie of the account, and its API
    # tokens, stop working at once; they can sign in again and read while suspended.
    login_sessions.end_all(user, commit=False)
    tokens.revoke_all(user, commit=False)


def sign_out_everywhere(admin: User, user: User, reason: str = "") -> None:
    """End every session of a member and revoke their API tokens (a stolen device)."""
    permissions.require_admin(admin)

    def change() -> None:
        _end_everywhere(user)
        db.session.commit()

    _audited(admin, "user.sign_out", "user", user.id, reason, "every session and token", change)


def unsuspend(admin: User, user: User, reason: str = "") -> None:
    """Lift a member's suspension."""
    permissions.require_admin(admin)
    notify.notice(user.id, "Your account's suspension has been lifted.")
    _audited(admin, "user.unsuspend", "user", user.id, reason, "",
             lambda: admin_services.unsuspend_user(user))


def new_group(admin: User, name: str, description: str = "") -> Group:
    """Create a group."""
    permissions.require_admin(admin)
    group = admin_services.create_group(name, description)
    audit.record(admin, "group.create", "group", group.id, "", group.name)
    db.session.commit()
    return group


def add_member(admin: User, group: Group, username: str) -> User:
    """Add the member with that username to the group."""
    permissions.require_admin(admin)
    user = db.session.scalar(select(User).where(
        User.username == (username or "").strip().lower()))
    if user is None or user.is_placeholder:
        raise DomainError(("username", "There is no member with that username."))
    _audited(admin, "group.add", "group", group.id, "", user.username,
             lambda: admin_services.add_to_group(group, user))
    return user


def remove_member(admin: User, group: Group, user: User) -> None:
    """Take a member out of the group."""
    permissions.require_admin(admin)
    _audited(admin, "group.remove", "group", group.id, "", user.username,
             lambda: admin_services.remove_from_group(group, user))


def new_category(admin: User, name: str, visibility: str, description: str = "") -> Category:
    """Create a category."""
    permissions.require_admin(admin)
    category = admin_services.create_category(name, visibility, description)
    audit.record(admin, "category.create", "category", category.id, "",
                 f"{category.name} ({category.visibility_label})")
    db.session.commit()
    return category


def edit_category(admin: User, category: Category, description: str, visibility: str,
                  reason: str = "") -> None:
    """Change a category's description and visibility; threads follow at once."""
    permissions.require_admin(admin)
    before = category.visibility_label
    _audited(admin, "category.edit", "category", category.id, reason,
             f"visibility {before} -> {visibility}",
             lambda: admin_services.update_category(category, description, visibility))
