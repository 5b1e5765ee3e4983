"""Services for groups, categories and roles, shared by the CLI and the admin pages."""
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select

from .domain import DomainError
from .extensions import db
from .models import ROLES, Category, Group, User
from .models._base import utcnow
from .threads.importer import slugify


def create_group(name: str, description: str = "") -> Group:
    """Create a group with a unique name."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise DomainError(("name", "Group name must be 1-64 characters."))
    if db.session.scalar(select(Group.id).where(Group.name == name)):
        raise DomainError(("name", "That group exists already."))
    group = Group(name=name, description=description)
    db.session.add(group)
    db.session.commit()
    return group


def add_to_group(group: Group, user: User) -> None:
    """Make the user a member of the group (idempotent)."""
    if user not in group.members:
        group.members.append(user)
    db.session.commit()


def parse_visibility(visibility: str) -> tuple[str, Optional[Group]]:
    """'public', 'members' or 'group:NAME' to (visibility, group)."""
    visibility = (visibility or "public").strip()
    if visibility in ("public", "members"):
        return visibility, None
    if visibility.startswith("group:"):
        group = db.session.scalar(select(Group).where(Group.name == visibility[6:]))
        if group is None:
            raise DomainError(("visibility", f"No group named {visibility[6:]!r}."))
        return "group", group
    raise DomainError(("visibility", "Visibility must be public, members or group:NAME."))


def create_category(name: str, visibility: str = "public", description: str = "") -> Category:
    """Create a category with a visibility."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(("name", "Category name must be 1-100 characters."))
    if db.session.scalar(select(Category.id).where(Category.name == name)):
        raise DomainError(("name", "That category exists already."))
    kind, group = parse_visibility(visibility)
    slug = slugify(name)
    if db.session.scalar(select(Category.id).where(Category.slug == slug)):
        raise DomainError(("name", "A category with a similar name exists."))
    position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
    category = Category(name=name, slug=slug, visibility=kind, group=group,
                        description=description, position=position)
    db.session.add(category)
    db.session.commit()
    return category


def set_category_visibility(category: Category, visibility: str) -> None:
    """Change who may read a category (queries check it per user: the index holds no permissions)."""
    category.visibility, category.group = parse_visibility(visibility)
    db.session.commit()


def set_role(user: User, role: str) -> None:
    """Change an account's role."""
    if role not in ROLES:
        raise DomainError(("role", f"Role must be one of {', '.join(ROLES)}."))
    user.role = role
    db.session.commit()


def suspend_user(user: User, until: datetime, reason: str) -> None:
    """Suspend an account until a date: it can read but not post, vote or flag."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(("reason", "Give a reason: the member will see it."))
    if until <= utcnow():
        raise DomainError(("until", "The suspension must end in the future."))
    user.suspended_until, user.suspended_reason = until, reason[:500]
    db.session.commit()


def unsuspend_user(user: User) -> None:
    """Lift a suspension."""
    user.suspended_until, user.suspended_reason = None, ""
    db.session.commit()


def remove_from_group(group: Group, user: User) -> None:
    """Take the user out of the group (idempotent)."""
    if user in group.members:
        group.members.remove(user)
    db.session.commit()


def update_category(category: Category, description: str, visibility: str) -> None:
    """Change a category's description and who may read it, in one commit."""
    if len(description or "") > 500:
        raise DomainError(("description", "At most 500 characters."))
    category.visibility, category.group = parse_visibility(visibility)
    category.description = (description or "").strip()
    db.session.commit()
